// Garbage collection of the content store: mark from the caller's roots through a children function,
// sweep every blob not marked, and abort ingests untouched for longer than a threshold (containerd's
// metadata GC, reduced to what a store without leases needs). The caller must keep other writers of
// new roots out while it runs (the image store holds its lock); leases come with the image store.

import { isCode, isDigest, type Digest } from '../base/index.js';
import { childDescriptors, parseManifestOrIndex, isIndexMediaType, isManifestMediaType } from '../oci/index.js';
import type { ContentStore } from './types.js';

export interface GcOptions {
  roots: Iterable<Digest>;
  /** The digests a stored blob refers to (manifests → config and layers, indexes → manifests). */
  children: (digest: Digest, store: ContentStore) => Promise<Digest[]>;
  /** Ingests whose last write is older than this are aborted; omitted: ingests are left alone. */
  ingestMaxAgeMs?: number;
  /** Refs not to abort whatever their age (e.g. writers open in this process). */
  isIngestInUse?: (ref: string) => boolean;
  now?: () => Date;
  dryRun?: boolean;
}

export interface GcResult {
  marked: Digest[];
  removed: Digest[];
  removedBytes: number;
  abortedIngests: string[];
}

export async function collectGarbage(store: ContentStore, opts: GcOptions): Promise<GcResult> {
  const marked = new Set<Digest>();
  const queue: Digest[] = [...opts.roots];
  while (queue.length > 0) {
    const d = queue.pop()!;
    if (marked.has(d)) continue;
    marked.add(d);
    let kids: Digest[];
    try {
      kids = await opts.children(d, store);
    } catch (err) {
      if (isCode(err, 'NotFound')) continue; // a root or child that is not stored has no children here
      throw err;
    }
    for (const k of kids) if (!marked.has(k)) queue.push(k);
  }

  const removed: Digest[] = [];
  let removedBytes = 0;
  const doomed: { digest: Digest; size: number }[] = [];
  await store.walk((info) => {
    if (!marked.has(info.digest)) doomed.push({ digest: info.digest, size: info.sizeBytes });
  });
  for (const { digest, size } of doomed) {
    if (opts.dryRun !== true) {
      try {
        await store.delete(digest);
      } catch (err) {
        if (isCode(err, 'NotFound')) continue;
        throw err;
      }
    }
    removed.push(digest);
    removedBytes += size;
  }

  const abortedIngests: string[] = [];
  if (opts.ingestMaxAgeMs !== undefined) {
    const cutoff = (opts.now?.() ?? new Date()).getTime() - opts.ingestMaxAgeMs;
    for (const st of await store.statuses()) {
      if (st.updatedAt.getTime() >= cutoff) continue;
      if (opts.isIngestInUse?.(st.ref) === true) continue;
      if (opts.dryRun !== true) {
        try {
          await store.abort(st.ref);
        } catch (err) {
          if (!isCode(err, 'NotFound')) throw err;
        }
      }
      abortedIngests.push(st.ref);
    }
  }
  return { marked: [...marked], removed, removedBytes, abortedIngests };
}

/** Manifests and configs are small; anything bigger is not read as JSON when looking for children. */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

/**
 * A children function for OCI/Docker images: a blob that parses as a manifest or index has children;
 * anything else (layers, configs, foreign data) has none. Reads at most 4 MiB of a blob.
 */
export async function imageChildren(digest: Digest, store: ContentStore): Promise<Digest[]> {
  const info = await store.info(digest);
  if (info.sizeBytes > MAX_JSON_BYTES || info.sizeBytes < 2) return [];
  const bytes = await (await store.reader({ digest })).readAll();
  if (bytes[0] !== 0x7b) return []; // not a JSON object
  let mediaType: unknown;
  try {
    mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
  } catch {
    return [];
  }
  try {
    const doc = parseManifestOrIndex(bytes, typeof mediaType === 'string' ? mediaType : undefined);
    if (!isIndexMediaType(doc.mediaType) && !isManifestMediaType(doc.mediaType)) return [];
    return childDescriptors(doc).map((d) => d.digest).filter((d) => isDigest(d));
  } catch {
    return []; // a JSON blob that is no manifest (an image config) has no children
  }
}
