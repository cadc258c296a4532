// What every image verb works on: the metadata rows, the content store, the snapshotter, the
// registry client, the event bus and the lock that keeps garbage collection away from writers.

import { pipeline, type Readable } from 'node:stream';
import { SkiffError, isCode, sha256Digest, type Digest, type Logger } from '../base/index.js';
import { createDecompressor, readBlob, type ContentStore } from '../content/index.js';
import { layerCompression, parseImageConfig, parseImageManifest, type Descriptor, type ImageConfig, type ImageManifest } from '../oci/index.js';
import type { Snapshotter } from '../snapshot/index.js';
import type { ImageRecord, ImageRepo } from '../store/index.js';
import type { ImageEvent, ImageUseChecker } from './types.js';
import type { RwLock } from './rw-lock.js';

export interface ImageContext {
  repo: ImageRepo;
  content: ContentStore;
  snapshots: Snapshotter;
  /** `overlay` or `copy`: shown as GraphDriver.Name. */
  driver: string;
  /** Scratch space on the data root's filesystem (archive extraction). */
  tempDir: string;
  logger: Logger;
  /** Writers (pull, load, import, commit) share it; garbage collection takes it alone. */
  lock: RwLock;
  useChecker: ImageUseChecker;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  emit(e: Omit<ImageEvent, 'timeNano'>): void;
  now(): number;
}

/** containerd's identity.ChainIDs: chain[0] = diff[0], chain[n] = sha256(chain[n-1] + " " + diff[n]). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256Digest(`${out[out.length - 1]!} ${d}`));
  return out;
}

export interface LoadedImage {
  record: ImageRecord;
  manifest: ImageManifest;
  config: ImageConfig;
  configBytes: Buffer;
}

export async function loadImage(ctx: ImageContext, record: ImageRecord): Promise<LoadedImage> {
  const manifestBytes = await readBlob(ctx.content, { digest: record.targetDigest as Digest, size: record.targetSize });
  const manifest = parseImageManifest(manifestBytes, `manifest ${record.targetDigest}`);
  const configBytes = await readBlob(ctx.content, manifest.config);
  if (sha256Digest(configBytes) !== record.id) {
    throw new SkiffError('DataLoss', `image ${record.id}: stored config does not match its digest`);
  }
  return { record, manifest, config: parseImageConfig(configBytes, `image config ${record.id}`), configBytes };
}

/** The uncompressed tar of a stored layer blob: exactly the bytes its diffID hashes. */
export async function openLayerTar(ctx: ImageContext, layer: Descriptor): Promise<Readable> {
  const reader = await ctx.content.reader(layer);
  const stream = reader.stream();
  const compression = layerCompression(layer.mediaType);
  if (compression === 'none') return stream;
  if (compression === 'gzip' || compression === 'zstd') return pipeline(stream, createDecompressor(compression), () => {}); // an error on either side ends the result
  stream.destroy();
  throw new SkiffError('NotImplemented', `layer ${layer.digest}: media type ${layer.mediaType} is not a layer this store can read`);
}

/** A full disk (a file write or SQLite's own) as ResourceExhausted that says so; other errors as they are. */
export function noSpaceError(err: unknown, what: string): unknown {
  if (isCode(err, 'ResourceExhausted')) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || /\bENOSPC\b|no space left/i.test((err as Error).message ?? '')) {
    return new SkiffError('ResourceExhausted', `${what}: no space left on device`, { cause: err });
  }
  return err;
}
