// Rows of the volumes table.
import { SkiffError } from '../base/index.js';
import type { SqliteDb } from './types.js';

export interface VolumeRow {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  anonymous: boolean;
  createdAt: string;
}

interface Raw { name: string; driver: string; labels: string; options: string; anonymous: number; created_at: string }

function fromRaw(r: Raw): VolumeRow {
  return { name: r.name, driver: r.driver, labels: JSON.parse(r.labels) as Record<string, string>, options: JSON.parse(r.options) as Record<string, string>, anonymous: r.anonymous === 1, createdAt: r.created_at };
}

export class VolumeRepo {
  constructor(private readonly db: SqliteDb) {}

  insert(v: VolumeRow): void {
    try {
      this.db.prepare('INSERT INTO volumes (name, driver, labels, options, anonymous, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(v.name, v.driver, JSON.stringify(v.labels), JSON.stringify(v.options), v.anonymous ? 1 : 0, v.createdAt);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new SkiffError('AlreadyExists', `volume ${v.name} already exists`, { cause: err });
      throw err;
    }
  }

  get(name: string): VolumeRow | undefined {
    const r = this.db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as Raw | undefined;
    return r === undefined ? undefined : fromRaw(r);
  }

  all(): VolumeRow[] {
    return (this.db.prepare('SELECT * FROM volumes ORDER BY name').all() as Raw[]).map(fromRaw);
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
  }
}
