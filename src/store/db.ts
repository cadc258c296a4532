// The daemon's metadata database (skiff.db): better-sqlite3 in WAL mode. `PRAGMA user_version` is the
// schema version; migrations run in order inside one transaction each, so a crash mid-migration leaves
// the previous version. Every write is one short synchronous transaction (never across an await:
// STYLE.md §2.7), which makes the in-process callers serialisable without locks.

import Database from 'better-sqlite3';
import type { Migration, SqliteDb } from './types.js';
import { SkiffError } from '../base/index.js';
import { MIGRATIONS } from './migrations/index.js';


export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (creating if needed) the database at `path` and brings its schema up to date. */
export function openDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): SqliteDb {
  let db: SqliteDb;
  try {
    db = new Database(path);
  } catch (err) {
    throw new SkiffError('Internal', `metadata database ${path}: ${(err as Error).message}`, { path, cause: err });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations, path);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function migrate(db: SqliteDb, migrations: readonly Migration[], what = 'database'): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (current > latest) {
    throw new SkiffError('FailedPrecondition', `${what}: schema version ${current} is newer than this skiff understands (${latest}); upgrade skiff`);
  }
  for (const m of migrations.slice(current)) {
    if (m.version !== migrations.indexOf(m) + 1) throw new Error(`migration ${m.name} is out of order`);
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
