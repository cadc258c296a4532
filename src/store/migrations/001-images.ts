// 001: images, their tags and their repo digests (schema.md describes every column).
import type { Migration } from '../types.js';

export const migration001Images: Migration = {
  version: 1,
  name: '001-images',
  up(db) {
    db.exec(`
      CREATE TABLE images (
        id                TEXT PRIMARY KEY,          -- config digest, sha256:<hex>: docker's image id
        target_digest     TEXT NOT NULL,             -- the platform manifest in the content store
        target_media_type TEXT NOT NULL,
        target_size       INTEGER NOT NULL,
        os                TEXT NOT NULL,
        architecture      TEXT NOT NULL,
        variant           TEXT NOT NULL DEFAULT '',
        size_bytes        INTEGER NOT NULL,          -- sum of the unpacked layer sizes
        chain_id          TEXT NOT NULL DEFAULT '',  -- committed snapshot of the top layer ('' = no layers)
        parent_id         TEXT NOT NULL DEFAULT '',  -- docker's Parent (set by commit/build)
        stored_at_ms      INTEGER NOT NULL,
        last_tag_time     TEXT NOT NULL DEFAULT ''
      ) STRICT;
      CREATE TABLE image_tags (
        reference   TEXT PRIMARY KEY,                -- docker.io/library/busybox:latest
        image_id    TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        tagged_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX image_tags_by_image ON image_tags(image_id);
      CREATE TABLE image_digests (
        reference   TEXT NOT NULL,                   -- docker.io/library/busybox@sha256:…
        image_id    TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        PRIMARY KEY (reference, image_id)
      ) STRICT;
      CREATE INDEX image_digests_by_image ON image_digests(image_id);
    `);
  },
};
