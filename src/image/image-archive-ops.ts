// docker save / load / import on top of archive/ (the tar formats) and the content store: a loaded
// or imported layer is stored as a blob (as it came, compressed or not), unpacked into its snapshot
// with its diffID checked, and described by an OCI manifest that push and save read back.

import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { SkiffError, sha256Digest, type Digest } from '../base/index.js';
import { writeBlob } from '../content/index.js';
import { MediaType, parseImageConfig, type Descriptor, type ImageConfig, type ImageManifest } from '../oci/index.js';
import { familiarString, formatReference, hostPlatform, normalizeReference, parseNormalizedNamed, parsePlatform } from '../registry/index.js';
import { readImageArchive, writeImageArchive, type ArchiveImage } from './archive/index.js';
import { applyChanges } from './changes.js';
import { loadImage, openLayerTar, type ImageContext } from './context.js';
import { findImage } from './lookup.js';
import { unpackAll } from './unpack.js';
import type { ImportOptions, LoadOptions, LoadResult } from './types.js';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** Streams `source` into the content store under its own digest; returns its descriptor. */
async function ingest(ctx: ImageContext, ref: string, source: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<Descriptor> {
  const writer = await ctx.content.writer(ref);
  let head = Buffer.alloc(0);
  try {
    if (writer.offset > 0) await writer.truncate(0);
    for await (const chunk of source) {
      signal?.throwIfAborted();
      if (head.length < 4) head = Buffer.concat([head, Buffer.from(chunk).subarray(0, 4 - head.length)]);
      await writer.write(chunk);
    }
    const digest = writer.digest();
    const size = writer.offset;
    await writer.commit({ sizeBytes: size, digest }).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'AlreadyExists') throw err;
    });
    let mediaType: string = MediaType.OciLayer;
    if (head.subarray(0, 2).equals(GZIP_MAGIC)) mediaType = MediaType.OciLayerGzip;
    else if (head.equals(ZSTD_MAGIC)) mediaType = MediaType.OciLayerZstd;
    return { mediaType, digest, size };
  } catch (err) {
    await writer.close();
    await ctx.content.abort(ref).catch(() => {});
    throw err;
  } finally {
    await writer.close();
  }
}

async function diffIdOf(ctx: ImageContext, layer: Descriptor): Promise<Digest> {
  const hash = createHash('sha256');
  await pipeline(await openLayerTar(ctx, layer), async function* (src: AsyncIterable<Buffer>) {
    for await (const c of src) hash.update(c);
  });
  return `sha256:${hash.digest('hex')}`;
}

/** Stores config + manifest, unpacks the layers, records the image and its tags. */
async function storeImage(
  ctx: ImageContext, configBytes: Buffer, layers: Descriptor[], tags: string[], opts: { onProgress?: LoadOptions['onProgress']; signal?: AbortSignal } = {},
): Promise<{ id: Digest; retagged: { reference: string; from: string }[] }> {
  const config: ImageConfig = parseImageConfig(configBytes, 'image config');
  if (config.rootfs.diff_ids.length !== layers.length) {
    throw new SkiffError('InvalidArgument', `image config lists ${config.rootfs.diff_ids.length} diff_ids for ${layers.length} layers`, { field: 'rootfs.diff_ids' });
  }
  const configDigest = await writeBlob(ctx.content, `config-${sha256Digest(configBytes)}`, configBytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configBytes.length },
    layers,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = await writeBlob(ctx.content, `manifest-${sha256Digest(manifestBytes)}`, manifestBytes);
  const { sizes, chainId } = await unpackAll(ctx, layers, config.rootfs.diff_ids, opts.onProgress, opts.signal);
  const existing = ctx.repo.get(configDigest);
  const now = ctx.now();
  const { retagged } = ctx.repo.put({
    id: configDigest,
    targetDigest: existing?.targetDigest ?? manifestDigest,
    targetMediaType: existing?.targetMediaType ?? MediaType.OciManifest,
    targetSize: existing?.targetSize ?? manifestBytes.length,
    os: config.os, architecture: config.architecture, variant: config.variant ?? '',
    sizeBytes: sizes.reduce((a, b) => a + b, 0),
    chainId,
    parentId: existing?.parentId ?? '',
    storedAtMs: existing?.storedAtMs ?? now,
    lastTagTime: existing?.lastTagTime ?? '',
  }, tags, [], now);
  return { id: configDigest, retagged };
}

export async function loadArchive(ctx: ImageContext, archive: Readable, opts: LoadOptions = {}): Promise<LoadResult> {
  const work = await mkdtemp(join(ctx.tempDir, 'load-'));
  try {
    return await ctx.lock.shared(async () => {
      const images = await readImageArchive(archive, work, opts.signal === undefined ? {} : { signal: opts.signal });
      const messages: string[] = [];
      for (const img of images) {
        const layers: Descriptor[] = [];
        for (const l of img.layers) {
          const id = (l.diffId ?? img.id).slice(7, 19);
          opts.onProgress?.({ kind: 'layer', id, status: 'Loading layer' });
          layers.push(await ingest(ctx, `load-${l.path.replace(/\W/g, '_')}`, createReadStream(l.path), opts.signal));
        }
        const tags = img.repoTags.map((t) => formatReference(normalizeReference(t)));
        const { id, retagged } = await storeImage(ctx, img.configBytes, layers, tags, opts.signal === undefined ? {} : { signal: opts.signal });
        for (const r of retagged) {
          const shown = familiarString(normalizeReference(r.reference));
          messages.push(`The image ${shown} already exists, renaming the old one with ID ${r.from} to empty string`);
        }
        if (img.repoTags.length === 0) messages.push(`Loaded image ID: ${id}`);
        for (const t of img.repoTags) messages.push(`Loaded image: ${familiarString(normalizeReference(t))}`);
        ctx.emit({ action: 'load', id, attributes: { name: img.repoTags[0] ?? id } });
      }
      return { messages };
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Resolves the names first (NotFound before any byte is written), then streams the archive. */
export async function saveArchive(ctx: ImageContext, names: readonly string[], signal?: AbortSignal): Promise<Readable> {
  const byId = new Map<string, { record: ReturnType<typeof findImage>['record']; tags: Set<string> }>();
  for (const name of names) {
    const found = findImage(ctx.repo, name);
    const entry = byId.get(found.record.id) ?? { record: found.record, tags: new Set<string>() };
    byId.set(found.record.id, entry);
    if (found.reference?.digest !== undefined) continue;
    let named;
    try {
      named = parseNormalizedNamed(name);
    } catch {
      named = undefined;
    }
    if (named === undefined || found.reference === undefined) continue;
    if (named.tag !== undefined) {
      entry.tags.add(familiarString(found.reference));
    } else {
      // `docker save busybox` saves every tag of the repository that points at the image.
      const repo = `${named.domain}/${named.path}:`;
      for (const t of ctx.repo.tagsOf(found.record.id)) {
        if (t.reference.startsWith(repo)) entry.tags.add(familiarString(normalizeReference(t.reference)));
      }
    }
  }
  const images: ArchiveImage[] = [];
  for (const { record, tags } of byId.values()) {
    const loaded = await loadImage(ctx, record);
    images.push({
      id: record.id as Digest,
      configBytes: loaded.configBytes,
      repoTags: [...tags],
      layers: loaded.manifest.layers.map((layer, i) => ({
        diffId: loaded.config.rootfs.diff_ids[i]!,
        open: () => openLayerTar(ctx, layer),
      })),
    });
  }
  const out = new PassThrough();
  writeImageArchive(images, out, signal).then(
    () => { if (!out.writableEnded) out.end(); },
    (err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  for (const img of images) ctx.emit({ action: 'save', id: img.id, attributes: { name: img.repoTags[0] ?? img.id } });
  return out;
}

export async function importRootfs(ctx: ImageContext, rootfs: Readable, opts: ImportOptions = {}): Promise<Digest> {
  const target = opts.reference === undefined || opts.reference === '' ? undefined : normalizeReference(opts.reference);
  if (target?.digest !== undefined) throw new SkiffError('InvalidArgument', 'refusing to create a tag with a digest reference', { field: 'repo' });
  const platform = opts.platform === undefined || opts.platform === '' ? hostPlatform() : parsePlatform(opts.platform);
  return ctx.lock.shared(async () => {
    const layer = await ingest(ctx, `import-${Date.now()}-${Math.random().toString(36).slice(2)}`, rootfs, opts.signal);
    const diffId = await diffIdOf(ctx, layer);
    const created = new Date(ctx.now()).toISOString();
    const config: ImageConfig & { comment?: string } = {
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant === undefined ? {} : { variant: platform.variant }),
      created,
      config: applyChanges({}, opts.changes ?? []),
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created, comment: opts.message !== undefined && opts.message !== '' ? opts.message : 'Imported from -' }],
    };
    if (opts.message !== undefined && opts.message !== '') config.comment = opts.message;
    const { id } = await storeImage(ctx, Buffer.from(JSON.stringify(config)), [layer], target === undefined ? [] : [formatReference(target)]);
    ctx.emit({ action: 'import', id, attributes: { name: target === undefined ? id : familiarString(target) } });
    return id;
  });
}

export interface CommitRequest {
  /** The image the container was created from (its layers come first). */
  parentId: string;
  /** The container's changes as an uncompressed layer tar. */
  layer: Readable;
  config?: ImageConfig['config'];
  comment?: string;
  author?: string;
  /** repo[:tag] for the new image. */
  reference?: string;
  signal?: AbortSignal;
}

/** docker commit: the parent's layers plus one, with the container's config. */
export async function commitLayer(ctx: ImageContext, req: CommitRequest): Promise<Digest> {
  const target = req.reference === undefined || req.reference === '' ? undefined : normalizeReference(req.reference);
  if (target?.digest !== undefined) throw new SkiffError('InvalidArgument', 'refusing to create a tag with a digest reference', { field: 'repo' });
  const parentRecord = ctx.repo.get(req.parentId);
  if (parentRecord === undefined) throw new SkiffError('NotFound', `No such image: ${req.parentId}`);
  const parent = await loadImage(ctx, parentRecord);
  return ctx.lock.shared(async () => {
    const layer = await ingest(ctx, `commit-${Date.now()}-${Math.random().toString(36).slice(2)}`, req.layer, req.signal);
    const diffId = await diffIdOf(ctx, layer);
    const created = new Date(ctx.now()).toISOString();
    const config: ImageConfig & { comment?: string } = {
      ...parent.config,
      created,
      ...(req.author === undefined || req.author === '' ? {} : { author: req.author }),
      ...(req.config === undefined ? {} : { config: req.config }),
      rootfs: { type: 'layers', diff_ids: [...parent.config.rootfs.diff_ids, diffId] },
      history: [...(parent.config.history ?? []), { created, ...(req.author ? { author: req.author } : {}), ...(req.comment ? { comment: req.comment } : {}) }],
    };
    if (req.comment !== undefined && req.comment !== '') config.comment = req.comment;
    else delete config.comment;
    const layers = [...parent.manifest.layers, layer];
    const { id } = await storeImage(ctx, Buffer.from(JSON.stringify(config)), layers, target === undefined ? [] : [formatReference(target)]);
    const record = ctx.repo.get(id)!;
    ctx.repo.put({ ...record, parentId: req.parentId }, [], [], ctx.now());
    return id;
  });
}
