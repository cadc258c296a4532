// Push side of the distribution spec: blobs first (HEAD to skip what the repository has, a
// cross-repository mount when the blob came from another repository of the same registry, else an
// upload: monolithic POST → PUT ?digest=, or chunked POST → PATCH… → PUT ?digest=), then manifests
// bottom-up (an index's manifests by digest, the root by tag), checking the digest the registry echoes.

import { SkiffError, sha256Digest, type Digest } from '../base/index.js';
import { readBlob, type ContentStore } from '../content/index.js';
import { isIndexMediaType, isManifestMediaType, parseManifestOrIndex, type Descriptor } from '../oci/index.js';
import { header, type RegistryClient, type RegistryResponse } from './client.js';
import { runPool } from './pool.js';
import { familiarString, normalizeReference, registryHost, type ImageReference } from '../oci/index.js';
import { DISTRIBUTION_SOURCE_LABEL, shortDigestId } from './resolver.js';
import type { BlobStatus, ProgressListener } from './types.js';

export interface PushOptions {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Parallel blob uploads. Default 3. */
  concurrency?: number;
  /** Blobs larger than this go up in PATCH chunks of this size; smaller ones in one PUT. Default: never chunk. */
  chunkSizeBytes?: number;
  /** Repositories of the same registry to try a cross-repository mount from (besides the blob's source labels). */
  mountFrom?: readonly string[];
}

export interface PushResult {
  reference: ImageReference;
  digest: Digest;
  size: number;
  mediaType: string;
}

interface Target {
  reference: ImageReference;
  host: string;
}

export class Pusher {
  constructor(private readonly client: RegistryClient) {}

  /** Pushes the image whose root (index or manifest) is `desc` from `store` to `input` (tag or digest). */
  async push(input: string | ImageReference, store: ContentStore, desc: Descriptor, opts: PushOptions = {}): Promise<PushResult> {
    const reference = typeof input === 'string' ? normalizeReference(input) : input;
    if (reference.digest !== undefined && reference.digest !== desc.digest) {
      throw new SkiffError('InvalidArgument', `cannot push ${desc.digest} to ${familiarString(reference)}: the reference names another digest`, { field: 'reference' });
    }
    const target: Target = { reference, host: registryHost(reference.domain) };
    await this.pushTree(target, store, desc, true, opts);
    return { reference, digest: desc.digest, size: desc.size, mediaType: desc.mediaType };
  }

  private async pushTree(target: Target, store: ContentStore, desc: Descriptor, isRoot: boolean, opts: PushOptions): Promise<void> {
    if (!isIndexMediaType(desc.mediaType) && !isManifestMediaType(desc.mediaType)) {
      throw new SkiffError('InvalidArgument', `cannot push ${desc.digest}: media type ${desc.mediaType} is not a manifest or index`, { field: 'mediaType' });
    }
    const bytes = await readBlob(store, desc);
    const doc = parseManifestOrIndex(bytes, desc.mediaType);
    if (doc.kind === 'index') {
      for (const child of doc.index.manifests) await this.pushTree(target, store, child, false, opts);
    } else {
      const blobs = [doc.manifest.config, ...doc.manifest.layers];
      const seen = new Set<Digest>();
      const unique = blobs.filter((b) => (seen.has(b.digest) ? false : (seen.add(b.digest), true)));
      await runPool(unique, opts.concurrency ?? 3, (b, signal) => this.pushBlob(target, store, b, { ...opts, signal }), opts.signal);
    }
    const tagOrDigest = isRoot && target.reference.tag !== undefined && target.reference.digest === undefined ? target.reference.tag : desc.digest;
    await this.putManifest(target, bytes, desc, tagOrDigest, opts.signal);
    opts.onProgress?.({ kind: 'manifest', digest: desc.digest, mediaType: desc.mediaType, action: 'pushed', ...(desc.platform === undefined ? {} : { platform: desc.platform }) });
  }

  private scopes(target: Target, from?: string): { repository: string; actions: ('pull' | 'push')[] }[] {
    const s: { repository: string; actions: ('pull' | 'push')[] }[] = [{ repository: target.reference.path, actions: ['pull', 'push'] }];
    if (from !== undefined && from !== target.reference.path) s.push({ repository: from, actions: ['pull'] });
    return s;
  }

  private async pushBlob(target: Target, store: ContentStore, desc: Descriptor, opts: PushOptions & { signal: AbortSignal }): Promise<void> {
    const emit = (status: BlobStatus, currentBytes: number): void =>
      opts.onProgress?.({ kind: 'blob', id: shortDigestId(desc.digest), digest: desc.digest, mediaType: desc.mediaType, status, currentBytes, totalBytes: desc.size });
    const repo = target.reference.path;
    const what = `blob ${desc.digest} to ${familiarString(target.reference)}`;
    const signal = opts.signal;
    emit('preparing', 0);
    const head = await this.client.request(target.host, {
      method: 'HEAD', path: `/v2/${repo}/blobs/${desc.digest}`, scopes: this.scopes(target), what, signal,
      accept: (s) => s === 200 || s === 404,
    });
    await head.body.dump();
    if (head.status === 200) {
      emit('layer-already-exists', desc.size);
      return;
    }
    const reader = await store.reader(desc);

    // Cross-repository mount: from explicit repositories, then from where the blob was pulled.
    const info = await store.info(desc.digest);
    const sources = new Set(opts.mountFrom ?? []);
    const labelled = info.labels[`${DISTRIBUTION_SOURCE_LABEL}${target.reference.domain}`];
    if (labelled !== undefined) sources.add(labelled);
    sources.delete(repo);
    let location: string | undefined;
    for (const from of sources) {
      const res = await this.client.request(target.host, {
        method: 'POST',
        path: `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(from)}`,
        headers: { 'content-length': '0' },
        scopes: this.scopes(target, from), what, signal,
        accept: (s) => s === 201 || s === 202,
      });
      await res.body.dump();
      if (res.status === 201) {
        emit('mounted', desc.size);
        return;
      }
      location = this.location(res, what); // the registry opened an upload instead
      break;
    }
    if (location === undefined) {
      const res = await this.client.request(target.host, {
        method: 'POST', path: `/v2/${repo}/blobs/uploads/`, headers: { 'content-length': '0' },
        scopes: this.scopes(target), what, signal, accept: (s) => s === 202 || s === 201,
      });
      await res.body.dump();
      location = this.location(res, what);
    }

    const chunk = opts.chunkSizeBytes;
    emit('uploading', 0);
    let put: RegistryResponse;
    if (chunk === undefined || desc.size <= chunk) {
      put = await this.client.request(target.host, {
        method: 'PUT', path: withDigest(location, desc.digest),
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
        body: () => reader.stream(), scopes: this.scopes(target), what, signal, retry: false,
        accept: (s) => s === 201 || s === 204,
      });
    } else {
      for (let start = 0; start < desc.size; start += chunk) {
        const length = Math.min(chunk, desc.size - start);
        const res = await this.client.request(target.host, {
          method: 'PATCH', path: location,
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(length),
            'content-range': `${start}-${start + length - 1}`,
          },
          body: () => reader.stream({ offset: start, length }), scopes: this.scopes(target), what, signal, retry: false,
          accept: (s) => s === 202 || s === 204,
        });
        await res.body.dump();
        location = this.location(res, what);
        emit('uploading', start + length);
      }
      put = await this.client.request(target.host, {
        method: 'PUT', path: withDigest(location, desc.digest), headers: { 'content-length': '0' },
        scopes: this.scopes(target), what, signal, retry: false, accept: (s) => s === 201 || s === 204,
      });
    }
    await put.body.dump();
    const echoed = header(put, 'docker-content-digest');
    if (echoed !== undefined && echoed !== desc.digest) {
      throw new SkiffError('DataLoss', `${what}: the registry stored digest ${echoed}`);
    }
    emit('pushed', desc.size);
  }

  private location(res: RegistryResponse, what: string): string {
    const loc = header(res, 'location');
    if (loc === undefined || loc === '') throw new SkiffError('Internal', `${what}: the registry answered ${res.status} without a Location`);
    return new URL(loc, res.url).toString();
  }

  private async putManifest(target: Target, bytes: Buffer, desc: Descriptor, tagOrDigest: string, signal?: AbortSignal): Promise<void> {
    const digest = sha256Digest(bytes);
    if (digest !== desc.digest) throw new SkiffError('DataLoss', `manifest ${desc.digest}: stored bytes have digest ${digest}`);
    const what = `manifest ${desc.digest} to ${familiarString(target.reference)}`;
    const res = await this.client.request(target.host, {
      method: 'PUT', path: `/v2/${target.reference.path}/manifests/${tagOrDigest}`,
      headers: { 'content-type': desc.mediaType, 'content-length': String(bytes.length) },
      body: bytes, scopes: this.scopes(target), what, ...(signal === undefined ? {} : { signal }),
      accept: (s) => s === 201 || s === 200 || s === 204,
    });
    await res.body.dump();
    const echoed = header(res, 'docker-content-digest');
    if (echoed !== undefined && echoed !== desc.digest) {
      throw new SkiffError('DataLoss', `${what}: the registry computed digest ${echoed}`);
    }
  }
}

function withDigest(location: string, digest: Digest): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

