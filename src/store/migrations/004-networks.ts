// 004: networks (docker's user-defined bridge networks and the built-in bridge, host and none): the
// record is the network service's JSON document (docker's network inspect minus Containers).
import type { Migration } from '../types.js';

export const migration004Networks: Migration = {
  version: 4,
  name: '004-networks',
  up(db) {
    db.exec(`
      CREATE TABLE networks (
        id          TEXT PRIMARY KEY,       -- 64 hex
        name        TEXT NOT NULL UNIQUE,
        created_ms  INTEGER NOT NULL,
        record      TEXT NOT NULL           -- JSON document, opaque to the store
      ) STRICT;
    `);
  },
};
