// Rows of the networks table: the record is the network service's JSON document, opaque here.
import { SkiffError } from '../base/index.js';
import type { SqliteDb } from './types.js';

export interface NetworkRow<T> {
  id: string;
  name: string;
  createdMs: number;
  record: T;
}

interface Raw { id: string; name: string; created_ms: number; record: string }

export class NetworkRepo<T> {
  constructor(private readonly db: SqliteDb) {}

  private fromRaw(r: Raw): NetworkRow<T> {
    return { id: r.id, name: r.name, createdMs: r.created_ms, record: JSON.parse(r.record) as T };
  }

  insert(row: NetworkRow<T>): void {
    try {
      this.db.prepare('INSERT INTO networks (id, name, created_ms, record) VALUES (?, ?, ?, ?)')
        .run(row.id, row.name, row.createdMs, JSON.stringify(row.record));
    } catch (err) {
      if (/^SQLITE_CONSTRAINT/.test((err as { code?: string }).code ?? '')) {
        throw new SkiffError('Conflict', `network with name ${row.name} already exists`, { cause: err });
      }
      throw err;
    }
  }

  update(id: string, record: T): void {
    this.db.prepare('UPDATE networks SET record = ? WHERE id = ?').run(JSON.stringify(record), id);
  }

  get(id: string): NetworkRow<T> | undefined {
    const r = this.db.prepare('SELECT * FROM networks WHERE id = ?').get(id) as Raw | undefined;
    return r === undefined ? undefined : this.fromRaw(r);
  }

  byName(name: string): NetworkRow<T> | undefined {
    const r = this.db.prepare('SELECT * FROM networks WHERE name = ?').get(name) as Raw | undefined;
    return r === undefined ? undefined : this.fromRaw(r);
  }

  byIdPrefix(prefix: string, limit = 2): string[] {
    return (this.db.prepare('SELECT id FROM networks WHERE substr(id, 1, ?) = ? LIMIT ?').all(prefix.length, prefix, limit) as { id: string }[]).map((r) => r.id);
  }

  all(): NetworkRow<T>[] {
    return (this.db.prepare('SELECT * FROM networks ORDER BY created_ms, name').all() as Raw[]).map((r) => this.fromRaw(r));
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM networks WHERE id = ?').run(id);
  }
}
