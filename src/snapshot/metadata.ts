// The snapshot rows of one snapshotter, in SQLite (schema.md beside this file). Every method is
// synchronous; callers do their filesystem work before or after, never inside a pending await.

import Database from 'better-sqlite3';
import type { Labels, SnapshotFilter, SnapshotInfo, SnapshotKind } from './types.js';

export const SCHEMA_VERSION = 1;

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE snapshots (
      id        INTEGER PRIMARY KEY AUTOINCREMENT,
      key       TEXT NOT NULL UNIQUE,
      parent_id INTEGER REFERENCES snapshots(id) ON DELETE RESTRICT,
      kind      TEXT NOT NULL CHECK (kind IN ('active', 'view', 'committed')),
      labels    TEXT NOT NULL DEFAULT '{}',
      link      TEXT UNIQUE,
      size      INTEGER,
      inodes    INTEGER,
      created   TEXT NOT NULL,
      updated   TEXT NOT NULL
    );
    CREATE INDEX snapshots_parent ON snapshots(parent_id);
  `,
};

export interface SnapshotRow {
  id: number;
  key: string;
  parent_id: number | null;
  kind: SnapshotKind;
  labels: string;
  link: string | null;
  size: number | null;
  inodes: number | null;
  created: string;
  updated: string;
}

export class SnapshotMetadata {
  readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      this.migrate();
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(`snapshot metadata version ${current} is newer than this skiff (${SCHEMA_VERSION})`);
    }
    this.db.transaction(() => {
      for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v}`);
      }
    })();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  get(key: string): SnapshotRow | undefined {
    return this.db.prepare('SELECT * FROM snapshots WHERE key = ?').get(key) as SnapshotRow | undefined;
  }

  byId(id: number): SnapshotRow | undefined {
    return this.db.prepare('SELECT * FROM snapshots WHERE id = ?').get(id) as SnapshotRow | undefined;
  }

  all(): SnapshotRow[] {
    return this.db.prepare('SELECT * FROM snapshots ORDER BY id').all() as SnapshotRow[];
  }

  childCount(id: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM snapshots WHERE parent_id = ?').get(id) as { n: number }).n;
  }

  insert(r: { key: string; parentId: number | null; kind: SnapshotKind; labels: Labels; link: string | null }): number {
    const now = new Date().toISOString();
    const res = this.db
      .prepare('INSERT INTO snapshots (key, parent_id, kind, labels, link, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(r.key, r.parentId, r.kind, JSON.stringify(r.labels), r.link, now, now);
    return Number(res.lastInsertRowid);
  }

  markCommitted(id: number, name: string, labels: Labels, usage: { size: number; inodes: number }): void {
    this.db
      .prepare("UPDATE snapshots SET key = ?, kind = 'committed', labels = ?, size = ?, inodes = ?, updated = ? WHERE id = ?")
      .run(name, JSON.stringify(labels), usage.size, usage.inodes, new Date().toISOString(), id);
  }

  delete(id: number): void {
    this.db.prepare('DELETE FROM snapshots WHERE id = ?').run(id);
  }

  /** Rows from `id` up to the base: [self, parent, grandparent, …]. */
  chain(id: number): SnapshotRow[] {
    return this.db
      .prepare(`WITH RECURSIVE c(id, depth) AS (SELECT ?, 0 UNION ALL SELECT s.parent_id, c.depth + 1 FROM snapshots s JOIN c ON s.id = c.id WHERE s.parent_id IS NOT NULL)
                SELECT s.* FROM c JOIN snapshots s ON s.id = c.id ORDER BY c.depth`)
      .all(id) as SnapshotRow[];
  }

  info(row: SnapshotRow): SnapshotInfo {
    const parent = row.parent_id === null ? undefined : this.byId(row.parent_id);
    const info: SnapshotInfo = {
      kind: row.kind,
      name: row.key,
      labels: JSON.parse(row.labels) as Labels,
      created: new Date(row.created),
      updated: new Date(row.updated),
    };
    if (parent !== undefined) info.parent = parent.key;
    return info;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function matchesFilter(info: SnapshotInfo, filter: SnapshotFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.kind !== undefined && info.kind !== filter.kind) return false;
  if (filter.parent !== undefined && info.parent !== filter.parent) return false;
  for (const [k, v] of Object.entries(filter.labels ?? {})) {
    if (!(k in info.labels)) return false;
    if (v !== '' && info.labels[k] !== v) return false;
  }
  return true;
}
