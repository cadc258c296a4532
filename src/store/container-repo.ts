// Rows of the containers table: the record is the engine's JSON document, opaque here.
import { SkiffError } from '../base/index.js';
import type { SqliteDb } from './types.js';

export interface ContainerRow<T> {
  id: string;
  name: string;
  imageId: string;
  createdMs: number;
  record: T;
}

interface Raw { id: string; name: string; image_id: string; created_ms: number; record: string }

export class ContainerRepo<T> {
  constructor(private readonly db: SqliteDb) {}

  private fromRaw(r: Raw): ContainerRow<T> {
    return { id: r.id, name: r.name, imageId: r.image_id, createdMs: r.created_ms, record: JSON.parse(r.record) as T };
  }

  insert(row: ContainerRow<T>): void {
    try {
      this.db.prepare('INSERT INTO containers (id, name, image_id, created_ms, record) VALUES (?, ?, ?, ?, ?)')
        .run(row.id, row.name, row.imageId, row.createdMs, JSON.stringify(row.record));
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new SkiffError('Conflict', `name ${row.name} is already in use`, { cause: err });
      }
      throw err;
    }
  }

  update(id: string, record: T): void {
    this.db.prepare('UPDATE containers SET record = ? WHERE id = ?').run(JSON.stringify(record), id);
  }

  rename(id: string, name: string): void {
    this.db.prepare('UPDATE containers SET name = ? WHERE id = ?').run(name, id);
  }

  get(id: string): ContainerRow<T> | undefined {
    const r = this.db.prepare('SELECT * FROM containers WHERE id = ?').get(id) as Raw | undefined;
    return r === undefined ? undefined : this.fromRaw(r);
  }

  byName(name: string): ContainerRow<T> | undefined {
    const r = this.db.prepare('SELECT * FROM containers WHERE name = ?').get(name) as Raw | undefined;
    return r === undefined ? undefined : this.fromRaw(r);
  }

  byIdPrefix(prefix: string, limit = 2): string[] {
    return (this.db.prepare('SELECT id FROM containers WHERE substr(id, 1, ?) = ? LIMIT ?').all(prefix.length, prefix, limit) as { id: string }[]).map((r) => r.id);
  }

  all(): ContainerRow<T>[] {
    return (this.db.prepare('SELECT * FROM containers ORDER BY created_ms DESC').all() as Raw[]).map((r) => this.fromRaw(r));
  }

  usingImage(imageId: string): ContainerRow<T>[] {
    return (this.db.prepare('SELECT * FROM containers WHERE image_id = ?').all(imageId) as Raw[]).map((r) => this.fromRaw(r));
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
  }
}
