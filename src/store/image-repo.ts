// Rows of the images, image_tags and image_digests tables. Each method is one synchronous statement
// or transaction; callers never hold a transaction across an await.
import type { ImageRecord, ImageTagRecord, SqliteDb } from './types.js';

interface ImageRow {
  id: string; target_digest: string; target_media_type: string; target_size: number; os: string;
  architecture: string; variant: string; size_bytes: number; chain_id: string; parent_id: string;
  stored_at_ms: number; last_tag_time: string;
}

function fromRow(r: ImageRow): ImageRecord {
  return {
    id: r.id, targetDigest: r.target_digest, targetMediaType: r.target_media_type, targetSize: r.target_size,
    os: r.os, architecture: r.architecture, variant: r.variant, sizeBytes: r.size_bytes, chainId: r.chain_id,
    parentId: r.parent_id, storedAtMs: r.stored_at_ms, lastTagTime: r.last_tag_time,
  };
}

export class ImageRepo {
  constructor(private readonly db: SqliteDb) {}

  get(id: string): ImageRecord | undefined {
    const r = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  all(): ImageRecord[] {
    return (this.db.prepare('SELECT * FROM images ORDER BY stored_at_ms DESC, id').all() as ImageRow[]).map(fromRow);
  }

  /** Ids starting with `prefix` (the hex after `sha256:`), at most `limit`. */
  byIdPrefix(hexPrefix: string, limit = 2): string[] {
    const rows = this.db.prepare("SELECT id FROM images WHERE substr(id, 8, ?) = ? LIMIT ?").all(hexPrefix.length, hexPrefix, limit) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /**
   * Records an image (or refreshes its target when the same config arrives in another manifest) and
   * points `tags` at it, taking them from any other image; `digests` are added. One transaction.
   */
  put(image: ImageRecord, tags: readonly string[], digests: readonly string[], nowMs: number): { retagged: { reference: string; from: string }[] } {
    const retagged: { reference: string; from: string }[] = [];
    this.db.transaction(() => {
      this.db.prepare(`INSERT INTO images (id, target_digest, target_media_type, target_size, os, architecture, variant,
          size_bytes, chain_id, parent_id, stored_at_ms, last_tag_time)
        VALUES (@id, @targetDigest, @targetMediaType, @targetSize, @os, @architecture, @variant, @sizeBytes, @chainId,
          @parentId, @storedAtMs, @lastTagTime)
        ON CONFLICT(id) DO UPDATE SET target_digest = excluded.target_digest, target_media_type = excluded.target_media_type,
          target_size = excluded.target_size, size_bytes = excluded.size_bytes, chain_id = excluded.chain_id`).run(image);
      for (const ref of tags) {
        const from = this.tagTarget(ref);
        if (from !== undefined && from !== image.id) retagged.push({ reference: ref, from });
        this.setTagRow(ref, image.id, nowMs);
      }
      for (const ref of digests) {
        this.db.prepare('INSERT OR IGNORE INTO image_digests (reference, image_id) VALUES (?, ?)').run(ref, image.id);
      }
    })();
    return { retagged };
  }

  private setTagRow(reference: string, imageId: string, nowMs: number): void {
    this.db.prepare(`INSERT INTO image_tags (reference, image_id, tagged_at_ms) VALUES (?, ?, ?)
      ON CONFLICT(reference) DO UPDATE SET image_id = excluded.image_id, tagged_at_ms = excluded.tagged_at_ms`).run(reference, imageId, nowMs);
    this.db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(new Date(nowMs).toISOString(), imageId);
  }

  /** Points `reference` at `imageId`; returns the image it pointed at before, if another. */
  tag(reference: string, imageId: string, nowMs: number): string | undefined {
    return this.db.transaction(() => {
      const before = this.tagTarget(reference);
      this.setTagRow(reference, imageId, nowMs);
      return before !== imageId ? before : undefined;
    })();
  }

  tagTarget(reference: string): string | undefined {
    return (this.db.prepare('SELECT image_id FROM image_tags WHERE reference = ?').get(reference) as { image_id: string } | undefined)?.image_id;
  }

  digestTargets(reference: string): string[] {
    return (this.db.prepare('SELECT image_id FROM image_digests WHERE reference = ?').all(reference) as { image_id: string }[]).map((r) => r.image_id);
  }

  tagsOf(imageId: string): ImageTagRecord[] {
    return (this.db.prepare('SELECT reference, image_id, tagged_at_ms FROM image_tags WHERE image_id = ? ORDER BY reference').all(imageId) as
      { reference: string; image_id: string; tagged_at_ms: number }[]).map((r) => ({ reference: r.reference, imageId: r.image_id, taggedAtMs: r.tagged_at_ms }));
  }

  digestsOf(imageId: string): string[] {
    return (this.db.prepare('SELECT reference FROM image_digests WHERE image_id = ? ORDER BY reference').all(imageId) as { reference: string }[]).map((r) => r.reference);
  }

  untag(reference: string): boolean {
    return this.db.prepare('DELETE FROM image_tags WHERE reference = ?').run(reference).changes > 0;
  }

  /** Removes repo digests of `imageId` whose repository has no tag left on it (docker drops them with the last tag). */
  removeDigest(reference: string, imageId: string): void {
    this.db.prepare('DELETE FROM image_digests WHERE reference = ? AND image_id = ?').run(reference, imageId);
  }

  delete(imageId: string): void {
    this.db.prepare('DELETE FROM images WHERE id = ?').run(imageId);
  }

  /** Images whose top layer is `chainId` or sits on it: used to keep shared snapshots. */
  chainIds(): Set<string> {
    return new Set((this.db.prepare("SELECT chain_id FROM images WHERE chain_id != ''").all() as { chain_id: string }[]).map((r) => r.chain_id));
  }
}
