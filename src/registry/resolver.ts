// Pull side of the distribution spec: resolve a reference to a descriptor (HEAD, falling back to GET,
// with the Accept list of OCI and Docker manifests and indexes), fetch and verify manifests, choose a
// platform from an index, and stream blobs into a ContentStore. Blobs are verified while they stream
// (the writer hashes every chunk; a byte past the descriptor size stops the transfer) and committed
// only when size and digest match. A transfer cut half-way resumes with `Range` from the ingest's
// offset; the ingest ref is stable per digest, so a pull after a crash resumes too.

import { setTimeout as delay } from 'node:timers/promises';
import { SkiffError, isCode, sha256Digest, silentLogger, type Digest, type Logger } from '../base/index.js';
import { hasBlob, readBlob, writeBlob, type ContentStore } from '../content/index.js';
import {
  MANIFEST_ACCEPT, isIndexMediaType, isManifestMediaType, isNonDistributableMediaType, layerCompression,
  parseImageConfig, parseManifestOrIndex, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest,
  type Platform,
} from '../oci/index.js';
import { backoffMs, header, isTransientError, type RegistryClient } from './client.js';
import { choosePlatform, formatPlatform, normalizePlatform, platformFromNode, platformRank } from './platform.js';
import { runPool } from './pool.js';
import {
  familiarString, formatReference, normalizeReference, referenceObject, registryHost, type ImageReference,
} from '../oci/index.js';
import type { ProgressEvent, ProgressListener, RetryOptions } from './types.js';

/** Manifests and indexes larger than this are refused (containerd's limit too). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Label recording where a blob came from, so a push to the same registry can mount it. */
export const DISTRIBUTION_SOURCE_LABEL = 'skiff.distribution.source.';

export function hostPlatform(): Platform {
  return platformFromNode(process.arch, 'linux');
}

export function shortDigestId(d: Digest): string {
  return d.slice(d.indexOf(':') + 1, d.indexOf(':') + 13);
}

export interface ResolvedReference {
  reference: ImageReference;
  /** The registry host the API is reached at (registry-1.docker.io for docker.io). */
  host: string;
  descriptor: Descriptor;
}

export interface FetchBlobOptions {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface PullOptions extends FetchBlobOptions {
  /** The platform to pick from an index; default the host's (linux/amd64 on x86-64). */
  platform?: Platform;
  /** Parallel blob downloads. Default 3 (docker's max-concurrent-downloads). */
  concurrency?: number;
  /** Store zstd layers too (the caller must be able to decompress them). Default false: NotImplemented. */
  allowZstd?: boolean;
  /**
   * Called as each layer is stored (or found stored), in completion order, so the caller can unpack
   * layer n while layer n+1 downloads. Errors it throws fail the pull.
   */
  onLayerStored?: (index: number, layer: Descriptor) => void;
  /** Called once the image config is stored and checked, before any layer is fetched. */
  onConfig?: (layers: readonly Descriptor[], diffIds: readonly Digest[], config: ImageConfig) => void;
}

export interface PullResult {
  reference: ImageReference;
  /** What the reference points at: an index or a manifest. */
  descriptor: Descriptor;
  /** The platform's manifest (same as `descriptor` for a single-manifest image). */
  manifestDescriptor: Descriptor;
  manifest: ImageManifest;
  index?: ImageIndex;
  configDescriptor: Descriptor;
  config: ImageConfig;
  layers: Descriptor[];
  platform: Platform;
}

export interface ResolverOptions {
  logger?: Logger;
  /** Attempts per blob transfer, counting resumed ones. Default 5. */
  retry?: RetryOptions;
}

function streamName(ref: ImageReference): string {
  return familiarString(ref);
}

export class Resolver {
  private readonly logger: Logger;

  constructor(
    private readonly client: RegistryClient,
    private readonly opts: ResolverOptions = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
  }

  async resolve(input: string | ImageReference, signal?: AbortSignal): Promise<ResolvedReference> {
    const reference = typeof input === 'string' ? normalizeReference(input) : input;
    const host = registryHost(reference.domain);
    const object = referenceObject(reference);
    const path = `/v2/${reference.path}/manifests/${object}`;
    const scopes = [{ repository: reference.path, actions: ['pull'] as const }];
    const headers = { accept: MANIFEST_ACCEPT.join(', ') };
    const what = `manifest for ${streamName(reference)}`;
    let res;
    try {
      res = await this.client.request(host, { method: 'HEAD', path, headers, scopes, what, ...(signal === undefined ? {} : { signal }) });
    } catch (err) {
      if (isCode(err, 'NotFound')) {
        throw new SkiffError('NotFound', `manifest for ${streamName(reference)} not found: manifest unknown`, { cause: err });
      }
      if (!isCode(err, 'InvalidArgument')) throw err; // 405/400 on HEAD: try GET below
      res = undefined;
    }
    if (res !== undefined) {
      await res.body.dump();
      const mediaType = header(res, 'content-type')?.split(';')[0]?.trim();
      const dcd = header(res, 'docker-content-digest');
      const length = Number(header(res, 'content-length'));
      const digest = reference.digest ?? dcd;
      if (digest !== undefined && mediaType !== undefined && Number.isSafeInteger(length) && length > 0 &&
          (isIndexMediaType(mediaType) || isManifestMediaType(mediaType))) {
        if (reference.digest !== undefined && dcd !== undefined && dcd !== reference.digest) {
          throw new SkiffError('DataLoss', `${what}: registry answered digest ${dcd} for ${reference.digest}`);
        }
        return { reference, host, descriptor: { mediaType, digest: digest as Digest, size: length } };
      }
    }
    // No usable HEAD: GET the manifest and describe it from its bytes.
    const got = await this.client.request(host, { method: 'GET', path, headers, scopes, what, ...(signal === undefined ? {} : { signal }) });
    const bytes = await readLimited(got.body, MAX_MANIFEST_BYTES, what);
    const digest = sha256Digest(bytes);
    if (reference.digest !== undefined && reference.digest !== digest) {
      throw new SkiffError('DataLoss', `${what}: content digest ${digest} does not match ${reference.digest}`);
    }
    const doc = parseManifestOrIndex(bytes, header(got, 'content-type')?.split(';')[0]?.trim());
    return { reference, host, descriptor: { mediaType: doc.mediaType, digest, size: bytes.length } };
  }

  /** GETs a manifest or index by digest, checking size and digest. */
  async fetchManifest(resolved: Pick<ResolvedReference, 'reference' | 'host'>, desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    const what = `manifest ${desc.digest} of ${streamName(resolved.reference)}`;
    if (desc.size > MAX_MANIFEST_BYTES) {
      throw new SkiffError('ResourceExhausted', `${what}: ${desc.size} bytes is over the ${MAX_MANIFEST_BYTES}-byte manifest limit`);
    }
    const res = await this.client.request(resolved.host, {
      method: 'GET',
      path: `/v2/${resolved.reference.path}/manifests/${desc.digest}`,
      headers: { accept: [desc.mediaType, ...MANIFEST_ACCEPT].join(', ') },
      scopes: [{ repository: resolved.reference.path, actions: ['pull'] }],
      what,
      ...(signal === undefined ? {} : { signal }),
    });
    const bytes = await readLimited(res.body, Math.max(desc.size, 1), what);
    const digest = sha256Digest(bytes);
    if (bytes.length !== desc.size || digest !== desc.digest) {
      throw new SkiffError('DataLoss', `${what}: got ${bytes.length} bytes with digest ${digest}, expected ${desc.size} bytes`);
    }
    return bytes;
  }

  /** Streams a blob into `store` (verified, resumable). Returns false when it was already stored. */
  async fetchBlob(
    resolved: Pick<ResolvedReference, 'reference' | 'host'>,
    desc: Descriptor,
    store: ContentStore,
    opts: FetchBlobOptions = {},
  ): Promise<boolean> {
    const emit = (e: Omit<Extract<ProgressEvent, { kind: 'blob' }>, 'kind' | 'id' | 'digest' | 'mediaType' | 'totalBytes'>): void =>
      opts.onProgress?.({ kind: 'blob', id: shortDigestId(desc.digest), digest: desc.digest, mediaType: desc.mediaType, totalBytes: desc.size, ...e });
    const what = `blob ${desc.digest} of ${streamName(resolved.reference)}`;
    const ingestRef = `fetch-${desc.digest}`;
    const attempts = Math.max(1, this.opts.retry?.attempts ?? 5);
    const { signal } = opts;

    let writer;
    for (let wait = 1; ; wait++) {
      if (await hasBlob(store, desc.digest)) {
        emit({ status: 'already-exists', currentBytes: desc.size });
        return false;
      }
      try {
        writer = await store.writer(ingestRef, { expected: { digest: desc.digest, size: desc.size } });
        break;
      } catch (err) {
        if (isCode(err, 'AlreadyExists')) continue;
        // Another pull in this process is fetching the same blob: wait for it, then look again.
        if (isCode(err, 'Unavailable') && wait < 600) {
          await delay(Math.min(500, 10 * wait), undefined, signal === undefined ? {} : { signal });
          continue;
        }
        throw err;
      }
    }

    const labels = { [`${DISTRIBUTION_SOURCE_LABEL}${resolved.reference.domain}`]: resolved.reference.path };
    try {
      const resumedFrom = writer.offset;
      for (let attempt = 1; writer.offset < desc.size || attempt === 1; attempt++) {
        if (writer.offset > desc.size) await writer.truncate(0);
        if (writer.offset === desc.size) break;
        const start = writer.offset;
        const res = await this.client.request(resolved.host, {
          method: 'GET',
          path: `/v2/${resolved.reference.path}/blobs/${desc.digest}`,
          headers: start > 0 ? { range: `bytes=${start}-` } : {},
          scopes: [{ repository: resolved.reference.path, actions: ['pull'] }],
          accept: (s) => s === 200 || s === 206,
          what,
          ...(signal === undefined ? {} : { signal }),
        });
        if (start > 0 && res.status === 200) {
          await writer.truncate(0); // the server ignored the Range: start over
        } else if (res.status === 206) {
          const m = /^bytes (\d+)-/.exec(header(res, 'content-range') ?? '');
          if (m === null || Number(m[1]) !== start) {
            await res.body.dump();
            await writer.truncate(0);
            continue;
          }
        }
        const from = writer.offset;
        emit({ status: 'downloading', currentBytes: from, ...(from > 0 ? { resumedFromBytes: from } : {}) });
        let lastEmit = from;
        try {
          for await (const chunk of res.body) {
            const buf = chunk as Buffer;
            if (writer.offset + buf.length > desc.size) {
              throw new SkiffError('DataLoss', `${what}: the registry sent more than the descriptor's ${desc.size} bytes`);
            }
            await writer.write(buf).catch((err: unknown) => { throw localStoreError(err, what); });
            if (writer.offset - lastEmit >= 256 * 1024 || writer.offset === desc.size) {
              lastEmit = writer.offset;
              emit({ status: 'downloading', currentBytes: writer.offset });
            }
          }
        } catch (err) {
          res.body.destroy();
          if (isCode(err, 'DataLoss') || isCode(err, 'ResourceExhausted')) throw err;
          if (signal?.aborted === true) throw new SkiffError('Cancelled', `${what}: cancelled`, { cause: err });
          if (attempt < attempts && isTransientError(err)) {
            emit({ status: 'retrying', currentBytes: writer.offset, attempt: attempt + 1, reason: (err as Error).message });
            this.logger.debug({ op: 'pull', blob: desc.digest, offset: writer.offset, attempt }, 'blob transfer broke; resuming');
            await delay(backoffMs(attempt, this.opts.retry), undefined, signal === undefined ? {} : { signal });
            continue;
          }
          throw new SkiffError('Unavailable', `${what}: transfer failed at byte ${writer.offset}: ${(err as Error).message}`, { cause: err });
        }
        if (writer.offset < desc.size) {
          if (attempt >= attempts) {
            throw new SkiffError('Unavailable', `${what}: transfer ended at byte ${writer.offset} of ${desc.size}`);
          }
          emit({ status: 'retrying', currentBytes: writer.offset, attempt: attempt + 1, reason: 'short body' });
          await delay(backoffMs(attempt, this.opts.retry), undefined, signal === undefined ? {} : { signal });
        }
      }
      void resumedFrom;
      emit({ status: 'verifying', currentBytes: writer.offset });
      try {
        await writer.commit({ sizeBytes: desc.size, digest: desc.digest }, labels);
      } catch (err) {
        if (isCode(err, 'FailedPrecondition')) {
          throw new SkiffError('DataLoss', `${what}: digest mismatch: the registry sent content with digest ${writer.digest()}`, { cause: err });
        }
        throw err;
      }
      emit({ status: 'download-complete', currentBytes: desc.size });
      return true;
    } catch (err) {
      await writer.close();
      if (isCode(err, 'AlreadyExists')) {
        emit({ status: 'already-exists', currentBytes: desc.size });
        return false;
      }
      // Bad data is thrown away; an interrupted transfer stays for the next pull to resume.
      // A full disk: keeping the partial ingest would only keep the disk full.
      if (isCode(err, 'DataLoss') || isCode(err, 'ResourceExhausted')) await store.abort(ingestRef).catch(() => {});
      throw err;
    } finally {
      await writer.close();
    }
  }

  /**
   * Pulls an image into `store`: the index (if any), the platform's manifest, its config and layers.
   * Refuses, before downloading any layer, non-distributable layers and (unless allowed) zstd ones.
   */
  async pull(input: string | ImageReference, store: ContentStore, opts: PullOptions = {}): Promise<PullResult> {
    const { signal } = opts;
    const resolved = await this.resolve(input, signal);
    const { reference } = resolved;
    opts.onProgress?.({ kind: 'resolved', reference: formatReference(reference), descriptor: resolved.descriptor });
    const want = normalizePlatform(opts.platform ?? hostPlatform());

    const rootBytes = await this.storeManifest(resolved, resolved.descriptor, store, signal);
    const root = parseManifestOrIndex(rootBytes, resolved.descriptor.mediaType);
    opts.onProgress?.({ kind: 'manifest', digest: resolved.descriptor.digest, mediaType: root.mediaType, action: 'fetched' });
    let manifestDescriptor = { ...resolved.descriptor, mediaType: root.mediaType };
    let manifest: ImageManifest;
    let index: ImageIndex | undefined;
    if (root.kind === 'index') {
      index = root.index;
      const candidates = index.manifests.filter((m) => isManifestMediaType(m.mediaType) || m.platform !== undefined);
      const i = choosePlatform(want, candidates);
      if (i < 0) {
        const offered = index.manifests.map((m) => (m.platform === undefined ? '?' : formatPlatform(m.platform))).join(', ');
        throw new SkiffError('NotFound', `no matching manifest for ${formatPlatform(want)} in the manifest list entries`, {
          hint: `${streamName(reference)} offers: ${offered}`,
        });
      }
      manifestDescriptor = candidates[i]!;
      if (isIndexMediaType(manifestDescriptor.mediaType)) {
        throw new SkiffError('NotImplemented', `${streamName(reference)}: nested index ${manifestDescriptor.digest} is not supported`);
      }
      const bytes = await this.storeManifest(resolved, manifestDescriptor, store, signal);
      const doc = parseManifestOrIndex(bytes, manifestDescriptor.mediaType);
      if (doc.kind !== 'manifest') {
        throw new SkiffError('InvalidArgument', `${streamName(reference)}: index entry ${manifestDescriptor.digest} is not a manifest`);
      }
      manifest = doc.manifest;
      opts.onProgress?.({
        kind: 'manifest', digest: manifestDescriptor.digest, mediaType: doc.mediaType, action: 'fetched',
        ...(manifestDescriptor.platform === undefined ? {} : { platform: manifestDescriptor.platform }),
      });
    } else {
      manifest = root.manifest;
    }

    for (const [i, layer] of manifest.layers.entries()) {
      if (isNonDistributableMediaType(layer.mediaType)) {
        throw new SkiffError('NotImplemented',
          `layer ${i} (${layer.digest}) of ${streamName(reference)} is a foreign (non-distributable) layer of type ${layer.mediaType}${layer.urls === undefined ? '' : ` served from ${layer.urls.join(', ')}`}: foreign layers are not supported`,
          { field: `layers[${i}].mediaType` });
      }
      if (layerCompression(layer.mediaType) === 'zstd' && opts.allowZstd !== true) {
        throw new SkiffError('NotImplemented',
          `layer ${i} (${layer.digest}) of ${streamName(reference)} has media type ${layer.mediaType}: zstd layers are not supported (Node 20's zlib has no zstd)`,
          { field: `layers[${i}].mediaType` });
      }
    }

    const fetchOpts = { ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }) };
    await this.fetchBlob(resolved, manifest.config, store, { ...fetchOpts, ...(signal === undefined ? {} : { signal }) });
    const config = parseImageConfig(await readBlob(store, manifest.config), `image config ${manifest.config.digest}`);
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw new SkiffError('InvalidArgument',
        `${streamName(reference)}: manifest has ${manifest.layers.length} layers but the image config lists ${config.rootfs.diff_ids.length} diff_ids`);
    }
    const configPlatform: Platform = { os: config.os, architecture: config.architecture, ...(config.variant === undefined ? {} : { variant: config.variant }) };
    if (root.kind === 'manifest' && opts.platform !== undefined && platformRank(want, configPlatform) === undefined) {
      throw new SkiffError('NotFound',
        `image with reference ${streamName(reference)} was found but its platform (${formatPlatform(configPlatform)}) does not match the specified platform (${formatPlatform(want)})`);
    }

    opts.onConfig?.(manifest.layers, config.rootfs.diff_ids, config);
    for (const l of manifest.layers) opts.onProgress?.({ kind: 'blob', id: shortDigestId(l.digest), digest: l.digest, mediaType: l.mediaType, status: 'waiting', currentBytes: 0, totalBytes: l.size });
    await runPool([...manifest.layers.keys()], opts.concurrency ?? 3, async (i, poolSignal) => {
      const layer = manifest.layers[i]!;
      await this.fetchBlob(resolved, layer, store, { ...fetchOpts, signal: poolSignal });
      opts.onLayerStored?.(i, layer);
    }, signal);

    return {
      reference,
      descriptor: resolved.descriptor,
      manifestDescriptor,
      manifest,
      ...(index === undefined ? {} : { index }),
      configDescriptor: manifest.config,
      config,
      layers: manifest.layers,
      platform: configPlatform,
    };
  }

  private async storeManifest(resolved: ResolvedReference, desc: Descriptor, store: ContentStore, signal?: AbortSignal): Promise<Buffer> {
    if (await hasBlob(store, desc.digest)) {
      const bytes = await readBlob(store, desc);
      if (sha256Digest(bytes) === desc.digest) return bytes;
    }
    const bytes = await this.fetchManifest(resolved, desc, signal);
    await writeBlob(store, `manifest-${desc.digest}`, bytes, {
      expected: desc.digest,
      labels: { [`${DISTRIBUTION_SOURCE_LABEL}${resolved.reference.domain}`]: resolved.reference.path },
    }).catch((err: unknown) => { throw localStoreError(err, `manifest ${desc.digest}`); });
    return bytes;
  }
}

/** A failed write to the local store: a full disk is ResourceExhausted and says so. */
export function localStoreError(err: unknown, what: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new SkiffError('ResourceExhausted', `${what}: no space left on device in the content store`, { cause: err });
  }
  return err;
}

/** Reads a response body into memory, refusing more than `limit` bytes. */
export async function readLimited(body: AsyncIterable<unknown> & { destroy(): unknown }, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of body) {
    const b = c as Buffer;
    total += b.length;
    if (total > limit) {
      body.destroy();
      throw new SkiffError('ResourceExhausted', `${what}: response is larger than ${limit} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
