// 002: containers. The docker-shaped record is one JSON document (it changes shape with the API);
// id and name are columns for lookups and uniqueness.
import type { Migration } from '../types.js';

export const migration002Containers: Migration = {
  version: 2,
  name: '002-containers',
  up(db) {
    db.exec(`
      CREATE TABLE containers (
        id          TEXT PRIMARY KEY,      -- 64 hex
        name        TEXT NOT NULL UNIQUE,  -- without the leading '/'
        image_id    TEXT NOT NULL,         -- config digest of the image it was created from
        created_ms  INTEGER NOT NULL,
        record      TEXT NOT NULL          -- JSON: config, host config, state (engine/containers/types.ts)
      ) STRICT;
      CREATE INDEX containers_by_image ON containers(image_id);
    `);
  },
};
