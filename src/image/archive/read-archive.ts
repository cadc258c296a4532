// `docker load`: reads docker 25+ archives (manifest.json into an OCI layout's blobs/), older docker
// archives (<id>/layer.tar, <hex>.json, manifest.json, repositories), plain OCI image layouts
// (oci-layout + index.json: skopeo's oci-archive:) and any of them gzip'd. The archive is extracted
// first (entries come in any order), then every file a manifest names is resolved inside the archive,
// blobs are checked against their names, and configs are parsed and matched to their layers.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Digester, SkiffError, sha256Digest, type Digest } from '../../base/index.js';
import {
  MediaType, isIndexMediaType, isManifestMediaType, parseImageConfig, parseImageIndex, parseImageManifest,
  type Descriptor, type ImageConfig,
} from '../../oci/index.js';
import { extractArchive, type ArchiveTree } from './extract.js';
import { familiarName, splitRepoTag } from './names.js';
import type { LoadedImage, LoadedLayer, ReadArchiveOptions } from './types.js';

/** JSON documents (manifest.json, index.json, configs, manifests) are read whole; bigger ones are refused. */
const MAX_JSON_BYTES = 32 * 1024 * 1024;
const BLOB_NAME = /^blobs\/sha256\/([a-f0-9]{64})$/;

class Reader {
  private readonly verified = new Set<string>();

  constructor(private readonly tree: ArchiveTree) {}

  /** The file `name` refers to, its blob hash checked when it lives under blobs/sha256/. */
  async file(name: string, what: string): Promise<{ name: string; path: string; size: number }> {
    const f = this.tree.resolve(name, what);
    const m = BLOB_NAME.exec(f.name);
    if (m !== null && !this.verified.has(f.name)) {
      const d = new Digester();
      for await (const c of createReadStream(f.path)) d.update(c as Buffer);
      const got = d.digest();
      if (got !== `sha256:${m[1]!}`) {
        throw new SkiffError('DataLoss', `${what}: ${f.name}: content hashes to ${got}`, { field: what, path: f.name });
      }
      this.verified.add(f.name);
    }
    return f;
  }

  async bytes(name: string, what: string): Promise<{ name: string; data: Buffer }> {
    const f = await this.file(name, what);
    if (f.size > MAX_JSON_BYTES) {
      throw new SkiffError('ResourceExhausted', `${what}: ${f.name}: ${f.size} bytes is too large for a JSON document`, { field: what, path: f.name });
    }
    const fh = await open(f.path, 'r');
    try {
      return { name: f.name, data: await fh.readFile() };
    } finally {
      await fh.close();
    }
  }

  async json(name: string, what: string): Promise<unknown> {
    const { name: real, data } = await this.bytes(name, what);
    try {
      return JSON.parse(data.toString('utf8')) as unknown;
    } catch (err) {
      throw new SkiffError('InvalidArgument', `${what === real ? real : `${what}: ${real}`}: invalid JSON: ${(err as Error).message}`, {
        field: what, path: real, cause: err,
      });
    }
  }

  async config(name: string, what: string): Promise<{ config: ImageConfig; configBytes: Buffer; id: Digest }> {
    const { name: real, data } = await this.bytes(name, what);
    const config = parseImageConfig(data, `${what}: ${real}`);
    return { config, configBytes: data, id: sha256Digest(data) };
  }

  /** The media type a layer blob's first bytes reveal (docker archives do not say). */
  async sniff(path: string): Promise<string> {
    const fh = await open(path, 'r');
    try {
      const head = Buffer.alloc(4);
      const { bytesRead } = await fh.read(head, 0, 4, 0);
      if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return MediaType.OciLayerGzip;
      if (bytesRead === 4 && head.readUInt32LE(0) === 0xfd2fb528) return MediaType.OciLayerZstd;
      return MediaType.OciLayer;
    } finally {
      await fh.close();
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkLayerCount(config: ImageConfig, layers: number, what: string, configName: string): void {
  const n = config.rootfs.diff_ids.length;
  if (n !== layers) {
    throw new SkiffError('InvalidArgument', `${what}: ${layers} layers, but ${configName} lists ${n} in rootfs.diff_ids`, { field: what });
  }
}

async function readDockerManifest(r: Reader, signal?: AbortSignal): Promise<LoadedImage[]> {
  const doc = await r.json('manifest.json', 'manifest.json');
  if (!Array.isArray(doc)) throw new SkiffError('InvalidArgument', 'manifest.json: expected a JSON array', { path: 'manifest.json' });
  const out: LoadedImage[] = [];
  for (const [i, item] of doc.entries()) {
    signal?.throwIfAborted();
    const what = `manifest.json[${i}]`;
    if (!isObject(item)) throw new SkiffError('InvalidArgument', `${what}: expected an object`, { field: what });
    if (typeof item.Config !== 'string') throw new SkiffError('InvalidArgument', `${what}.Config: must be a string`, { field: `${what}.Config` });
    if (item.RepoTags !== undefined && item.RepoTags !== null &&
        (!Array.isArray(item.RepoTags) || item.RepoTags.some((t) => typeof t !== 'string'))) {
      throw new SkiffError('InvalidArgument', `${what}.RepoTags: must be an array of strings`, { field: `${what}.RepoTags` });
    }
    if (!Array.isArray(item.Layers) || item.Layers.some((l) => typeof l !== 'string')) {
      throw new SkiffError('InvalidArgument', `${what}.Layers: must be an array of strings`, { field: `${what}.Layers` });
    }
    const repoTags = (item.RepoTags ?? []) as string[];
    repoTags.forEach((t, j) => splitRepoTag(t, `${what}.RepoTags[${j}]`));
    const { config, configBytes, id } = await r.config(item.Config, `${what}.Config`);
    checkLayerCount(config, item.Layers.length, `${what}.Layers`, item.Config);
    const layers: LoadedLayer[] = [];
    for (const [j, l] of (item.Layers as string[]).entries()) {
      const f = await r.file(l, `${what}.Layers[${j}]`);
      layers.push({ diffId: config.rootfs.diff_ids[j]!, path: f.path, mediaType: await r.sniff(f.path) });
    }
    out.push({ config, configBytes, id, repoTags, layers });
  }
  return out;
}

/** The familiar "name:tag" an OCI index entry's annotations give, if they give a full one. */
function tagFromAnnotations(a: Record<string, string> | undefined, what: string): string | undefined {
  const full = a?.['io.containerd.image.name'];
  const ref = a?.['org.opencontainers.image.ref.name'];
  for (const [v, field] of [[full, 'io.containerd.image.name'], [ref, 'org.opencontainers.image.ref.name']] as const) {
    if (v === undefined || v === '') continue;
    // A bare tag ("latest", as docker writes ref.name) names no repository.
    if (!v.includes('/') && !v.includes(':')) continue;
    if (v.includes('@')) continue;
    const s = splitRepoTag(v, `${what}.annotations["${field}"]`);
    return `${familiarName(s.fullName)}:${s.tag}`;
  }
  return undefined;
}

const HOST_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

async function readOciLayout(r: Reader, signal?: AbortSignal): Promise<LoadedImage[]> {
  const layout = await r.json('oci-layout', 'oci-layout');
  if (!isObject(layout) || typeof layout.imageLayoutVersion !== 'string') {
    throw new SkiffError('InvalidArgument', 'oci-layout: imageLayoutVersion must be a string', { path: 'oci-layout' });
  }
  const { data: indexBytes } = await r.bytes('index.json', 'index.json');
  const index = parseImageIndex(indexBytes, 'index.json');
  const byId = new Map<string, LoadedImage>();

  const blobName = (d: Descriptor): string => `blobs/${d.digest.replace(':', '/')}`;
  const visit = async (desc: Descriptor, what: string, tag: string | undefined, depth: number): Promise<void> => {
    signal?.throwIfAborted();
    if (depth > 4) throw new SkiffError('InvalidArgument', `${what}: indexes nested too deep`, { field: what });
    if (isIndexMediaType(desc.mediaType)) {
      const { data } = await r.bytes(blobName(desc), what);
      const child = parseImageIndex(data, `${what}: ${blobName(desc)}`);
      const arch = HOST_ARCH[process.arch] ?? process.arch;
      const pick = child.manifests.length === 1
        ? child.manifests
        : child.manifests.filter((m) => m.platform === undefined || (m.platform.os === 'linux' && m.platform.architecture === arch));
      for (const [i, m] of pick.slice(0, 1).entries()) await visit(m, `${what}.manifests[${i}]`, tag, depth + 1);
      return;
    }
    if (!isManifestMediaType(desc.mediaType)) return; // attestations, artifacts: not images
    const mName = blobName(desc);
    const { data } = await r.bytes(mName, what);
    if (data.length !== desc.size) {
      throw new SkiffError('InvalidArgument', `${what}: ${mName}: size ${data.length} does not match the descriptor's ${desc.size}`, { field: what });
    }
    const manifest = parseImageManifest(data, `${what}: ${mName}`);
    const cName = blobName(manifest.config);
    const { config, configBytes, id } = await r.config(cName, `${mName}.config`);
    checkLayerCount(config, manifest.layers.length, `${mName}.layers`, cName);
    const seen = byId.get(id);
    if (seen !== undefined) {
      if (tag !== undefined && !seen.repoTags.includes(tag)) seen.repoTags.push(tag);
      return;
    }
    const layers: LoadedLayer[] = [];
    for (const [j, l] of manifest.layers.entries()) {
      const f = await r.file(blobName(l), `${mName}.layers[${j}]`);
      layers.push({ diffId: config.rootfs.diff_ids[j]!, path: f.path, mediaType: l.mediaType });
    }
    byId.set(id, { config, configBytes, id, repoTags: tag === undefined ? [] : [tag], layers });
  };
  for (const [i, m] of index.manifests.entries()) {
    const what = `index.json.manifests[${i}]`;
    await visit(m, what, tagFromAnnotations(m.annotations, what), 0);
  }
  return [...byId.values()];
}

/**
 * Reads an image archive from `input` into `workDir` (an empty directory the caller owns and removes)
 * and returns its images, validated. Errors name the entry, file or field at fault.
 */
export async function readImageArchive(input: Readable, workDir: string, opts: ReadArchiveOptions = {}): Promise<LoadedImage[]> {
  const tree = await extractArchive(input, workDir, opts);
  const r = new Reader(tree);
  if (tree.members.has('manifest.json')) return readDockerManifest(r, opts.signal);
  if (tree.members.has('index.json') && tree.members.has('oci-layout')) return readOciLayout(r, opts.signal);
  throw new SkiffError('InvalidArgument', 'archive: no manifest.json or OCI index.json: not an image archive', {
    hint: 'pass a file written by docker save, skopeo copy … docker-archive: or oci-archive:',
  });
}
