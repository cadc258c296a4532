// docker pull: resolve → fetch manifest, config and layers into the content store (bounded
// parallelism, verified, resumable) while unpacking each layer into its snapshot as soon as it and
// the ones below it are stored → record the image, its tag and repo digest in one transaction.

import { SkiffError, isCode, type Digest } from '../base/index.js';
import { MediaType, isConfigMediaType, type Platform } from '../oci/index.js';
import {
  Resolver, familiarString, formatReference, normalizeReference, parsePlatform,
  type ImageReference, type ProgressEvent, type RegistryClient,
} from '../registry/index.js';
import { noSpaceError, type ImageContext } from './context.js';
import { reconcileImages } from './reconcile.js';
import { LayerUnpacker, shortLayerId } from './unpack.js';
import type { ImageProgressListener, PullOptions, PullResult } from './types.js';

/** Registry progress → docker's per-layer status lines (distribution/pull_v2.go wording). */
export function pullProgressAdapter(onProgress: ImageProgressListener | undefined, reference: ImageReference): ((e: ProgressEvent) => void) | undefined {
  if (onProgress === undefined) return undefined;
  return (e) => {
    // After the manifest resolved, as docker: a pull that fails to resolve streams nothing.
    if (e.kind === 'resolved') onProgress({ kind: 'status', status: `Pulling from ${reference.path}`, id: reference.digest ?? reference.tag ?? 'latest' });
    if (e.kind !== 'blob' || isConfigMediaType(e.mediaType) || e.mediaType === MediaType.OciEmpty) return;
    const id = shortLayerId(e.digest);
    switch (e.status) {
      case 'waiting': onProgress({ kind: 'layer', id, status: 'Pulling fs layer' }); break;
      case 'downloading': onProgress({ kind: 'layer', id, status: 'Downloading', current: e.currentBytes, total: e.totalBytes }); break;
      case 'retrying': onProgress({ kind: 'layer', id, status: 'Retrying', detail: e.reason ?? '' }); break;
      case 'verifying': onProgress({ kind: 'layer', id, status: 'Verifying Checksum' }); break;
      case 'download-complete': onProgress({ kind: 'layer', id, status: 'Download complete' }); break;
      default: break;
    }
  };
}

export async function pullImage(ctx: ImageContext, client: RegistryClient, input: string, opts: PullOptions = {}): Promise<PullResult> {
  const reference = normalizeReference(input);
  const platform = opts.platform === undefined || opts.platform === '' ? undefined : parsePlatform(opts.platform);
  try {
    return await pullLocked(ctx, client, reference, platform, opts);
  } catch (err) {
    // After a full disk, sweep what the failed pull left (blobs, snapshots) so the disk is not kept full.
    if (isCode(err, 'ResourceExhausted')) {
      await reconcileImages(ctx).catch((e: unknown) => ctx.logger.warn({ op: 'pull', err: String(e) }, 'sweep after a full disk failed'));
    }
    throw err;
  }
}

async function pullLocked(
  ctx: ImageContext, client: RegistryClient, reference: ImageReference, platform: Platform | undefined, opts: PullOptions,
): Promise<PullResult> {
  const progress = opts.onProgress;
  return ctx.lock.shared(async () => {
    const resolver = new Resolver(client, { logger: ctx.logger });
    let unpacker: LayerUnpacker | undefined;
    const adapter = pullProgressAdapter(progress, reference);
    let pulled;
    try {
      pulled = await resolver.pull(reference, ctx.content, {
        ...(platform === undefined ? {} : { platform }),
        concurrency: ctx.maxConcurrentDownloads,
        allowZstd: true, // content/ decompresses zstd (zlib or fzstd)
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
        ...(adapter === undefined ? {} : { onProgress: adapter }),
        onLayerStored: (i) => unpacker!.ready(i),
        onConfig: (layers, diffIds) => {
          unpacker = new LayerUnpacker(ctx, layers, diffIds as Digest[], progress, opts.signal);
        },
      });
    } catch (err) {
      await unpacker?.settled();
      // A full disk: drop every partial download of this pull, or they keep the disk full.
      const e = noSpaceError(err, `pull ${formatReference(reference)}`);
      if (isCode(e, 'ResourceExhausted')) {
        for (const l of unpacker?.layerDescriptors ?? []) await ctx.content.abort(`fetch-${l.digest}`).catch(() => {});
      }
      throw e;
    }
    if (unpacker === undefined) throw new SkiffError('Internal', 'pull finished without an image config');
    const sizes = await unpacker.done().catch((err: unknown) => { throw noSpaceError(err, `pull ${formatReference(reference)}`); });

    const id = pulled.configDescriptor.digest;
    const tagRef = reference.tag === undefined ? undefined : formatReference({ ...reference, digest: undefined });
    const digestRef = formatReference({ ...reference, tag: undefined, digest: pulled.descriptor.digest });
    const before = tagRef === undefined ? undefined : ctx.repo.tagTarget(tagRef);
    const existing = ctx.repo.get(id);
    const now = ctx.now();
    ctx.repo.put({
      id,
      targetDigest: pulled.manifestDescriptor.digest,
      targetMediaType: pulled.manifestDescriptor.mediaType,
      targetSize: pulled.manifestDescriptor.size,
      os: pulled.platform.os,
      architecture: pulled.platform.architecture,
      variant: pulled.platform.variant ?? '',
      sizeBytes: sizes.reduce((a, b) => a + b, 0),
      chainId: unpacker.topChainId,
      parentId: existing?.parentId ?? '',
      storedAtMs: existing?.storedAtMs ?? now,
      lastTagTime: existing?.lastTagTime ?? '',
    }, tagRef === undefined ? [] : [tagRef], [digestRef], now);

    const updated = before !== id;
    const shown = familiarString(reference);
    progress?.({ kind: 'status', status: `Digest: ${pulled.descriptor.digest}` });
    progress?.({ kind: 'status', status: updated ? `Status: Downloaded newer image for ${shown}` : `Status: Image is up to date for ${shown}` });
    ctx.emit({ action: 'pull', id: familiarString(reference), attributes: { name: familiarString(reference) } });
    return { reference: formatReference(reference), digest: pulled.descriptor.digest, id, updated };
  });
}
