// 003: volumes (docker's local driver): name, labels, driver options; the data lives under
// <data-root>/volumes/<name>/_data.
import type { Migration } from '../types.js';

export const migration003Volumes: Migration = {
  version: 3,
  name: '003-volumes',
  up(db) {
    db.exec(`
      CREATE TABLE volumes (
        name        TEXT PRIMARY KEY,
        driver      TEXT NOT NULL,
        labels      TEXT NOT NULL,          -- JSON object
        options     TEXT NOT NULL,          -- JSON object (driver opts: type, device, o)
        anonymous   INTEGER NOT NULL,       -- 1 for volumes made for an image VOLUME or -v /path
        created_at  TEXT NOT NULL
      ) STRICT;
    `);
  },
};
