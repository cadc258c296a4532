// `docker save`: the layout moby (image/tarexport/save.go, docker 25+) writes — an OCI image layout
// (oci-layout, index.json, blobs/sha256/<hex> for configs, uncompressed layer tars and OCI manifests)
// plus the legacy manifest.json and repositories that older docker load. Entries come in the order
// moby's archive.Tar walks its temp dir (lexical), directories included. Layers are streamed: each one
// is spooled once to a temp file (its size must precede its bytes in the tar) and its diffID checked.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { Digester, SkiffError, digestHex, sha256Digest, type Digest } from '../../base/index.js';
import { MediaType, parseImageConfig, type ImageConfig, type Platform } from '../../oci/index.js';
import { splitRepoTag } from './names.js';
import type { ArchiveImage, WriteArchiveOptions } from './types.js';

type TarHeader = Parameters<tar.Pack['entry']>[0];

const EPOCH = new Date(0);
/** moby's ociLayoutContent, byte for byte (note the space). */
const OCI_LAYOUT = '{"imageLayoutVersion": "1.0.0"}';

interface SpooledLayer {
  path: string;
  size: number;
  mtime: Date;
}

interface Blob {
  hex: string;
  mtime: Date;
  data?: Buffer;
  file?: SpooledLayer;
}

interface PreparedImage {
  image: ArchiveImage;
  config: ImageConfig;
  created: Date;
  tags: ReturnType<typeof splitRepoTag>[];
}

function createdOf(config: ImageConfig): Date {
  const t = config.created === undefined ? NaN : Date.parse(config.created);
  return Number.isNaN(t) ? EPOCH : new Date(Math.floor(t / 1000) * 1000);
}

/** The config's platform in the key order of Go's ocispec.Platform. */
function platformOf(config: ImageConfig): Platform {
  const p: Platform = { architecture: config.architecture, os: config.os };
  if (config['os.version'] !== undefined && config['os.version'] !== '') p['os.version'] = config['os.version'];
  if (config['os.features'] !== undefined && config['os.features'].length > 0) p['os.features'] = config['os.features'];
  if (config.variant !== undefined && config.variant !== '') p.variant = config.variant;
  return p;
}

/** containerd identity.ChainID over diffIDs[0..n]. */
function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : sha256Digest(`${prev} ${d}`));
  }
  return out;
}

/**
 * The legacy (v1) id of each layer, chained through its parent as moby's v1.CreateID does. moby hashes
 * its whole V1Image JSON; only the chain id, the parent and the epoch creation time are hashed here, so
 * the values differ from moby's but have the same shape. Only `repositories` uses them.
 */
function legacyIds(diffIds: readonly Digest[]): string[] {
  let parent: Digest | undefined;
  return chainIds(diffIds).map((chainId) => {
    const cfg: Record<string, string> = { created: '1970-01-01T00:00:00Z', layer_id: chainId };
    if (parent !== undefined) cfg.parent = parent;
    parent = sha256Digest(JSON.stringify(cfg));
    return digestHex(parent);
  });
}

function prepare(images: readonly ArchiveImage[]): PreparedImage[] {
  const byId = new Map<string, PreparedImage>();
  images.forEach((image, i) => {
    const what = `images[${i}]`;
    const actual = sha256Digest(image.configBytes);
    if (actual !== image.id) {
      throw new SkiffError('InvalidArgument', `${what}: config bytes hash to ${actual}, not to the image id ${image.id}`, { field: `${what}.id` });
    }
    const config = parseImageConfig(image.configBytes, `${what} config`);
    if (config.rootfs.diff_ids.length !== image.layers.length) {
      throw new SkiffError('InvalidArgument', `${what}: config lists ${config.rootfs.diff_ids.length} diff_ids for ${image.layers.length} layers`, {
        field: `${what}.layers`,
      });
    }
    image.layers.forEach((l, j) => {
      if (l.diffId !== config.rootfs.diff_ids[j]) {
        throw new SkiffError('InvalidArgument', `${what}.layers[${j}]: diffId ${l.diffId} is not rootfs.diff_ids[${j}] of the config`, {
          field: `${what}.layers[${j}]`,
        });
      }
    });
    const tags = image.repoTags.map((t, j) => splitRepoTag(t, `${what}.repoTags[${j}]`));
    const seen = byId.get(image.id);
    if (seen === undefined) {
      byId.set(image.id, { image, config, created: createdOf(config), tags });
    } else {
      for (const t of tags) {
        if (!seen.tags.some((s) => s.fullName === t.fullName && s.tag === t.tag)) seen.tags.push(t);
      }
    }
  });
  for (const p of byId.values()) {
    // The same reference twice in one image is written once, as moby's parseNames does.
    p.tags = p.tags.filter((t, i) => p.tags.findIndex((s) => s.fullName === t.fullName && s.tag === t.tag) === i);
  }
  return [...byId.values()];
}

/** Streams one layer into `path`, checking that its bytes hash to its diffID. */
async function spool(layer: ArchiveImage['layers'][number], path: string, signal?: AbortSignal): Promise<number> {
  const digester = new Digester();
  const source = await layer.open();
  await pipeline(
    source,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const c of chunks) {
        digester.update(c);
        yield c;
      }
    },
    createWriteStream(path, { flags: 'wx', mode: 0o600 }),
    signal === undefined ? {} : { signal },
  );
  const got = digester.digest();
  if (got !== layer.diffId) {
    throw new SkiffError('DataLoss', `layer ${layer.diffId}: its tar stream hashes to ${got}`, { field: 'diffId' });
  }
  return digester.size;
}

function entry(pack: tar.Pack, header: TarHeader, data?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (data === undefined) pack.entry(header, cb);
    else pack.entry(header, data, cb);
  });
}

async function fileEntry(pack: tar.Pack, header: TarHeader, path: string, signal?: AbortSignal): Promise<void> {
  let done!: Promise<void>;
  const sink = await new Promise<ReturnType<tar.Pack['entry']>>((resolve) => {
    done = new Promise<void>((res, rej) => {
      resolve(pack.entry(header, (err?: Error | null) => (err ? rej(err) : res())));
    });
  });
  done.catch(() => {}); // observed below; avoids an unhandled rejection while we are still writing
  const source: Readable = createReadStream(path);
  try {
    for await (const chunk of source) {
      signal?.throwIfAborted();
      if (!sink.write(chunk as Buffer)) await once(sink, 'drain');
    }
    sink.end(undefined);
  } catch (err) {
    sink.destroy(err instanceof Error ? err : new Error(String(err)));
    source.destroy();
    throw err;
  }
  await done;
}

const dirHeader = (name: string, mtime: Date): TarHeader => ({ name, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime });
const fileHeader = (name: string, size: number, mtime: Date): TarHeader => ({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtime });

/**
 * Writes `images` as one docker-save archive to `out` (ended when done). A layer shared by two images
 * is written once; a layer whose bytes do not hash to its diffID fails the save with DataLoss.
 */
export async function writeImageArchive(
  images: ArchiveImage[],
  out: Writable,
  signal?: AbortSignal,
  opts: WriteArchiveOptions = {},
): Promise<void> {
  const prepared = prepare(images);
  signal?.throwIfAborted();
  const spoolDir = await mkdtemp(join(opts.tempDir ?? tmpdir(), 'skiff-save-'));
  try {
    const blobs = new Map<string, Blob>();
    const layerFiles = new Map<string, SpooledLayer>();
    let n = 0;
    for (const p of prepared) {
      for (const layer of p.image.layers) {
        if (layerFiles.has(layer.diffId)) continue;
        const path = join(spoolDir, `layer-${n++}`);
        const size = await spool(layer, path, signal);
        layerFiles.set(layer.diffId, { path, size, mtime: p.created });
      }
    }

    const manifestJson: Record<string, unknown>[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    const indexManifests: Record<string, unknown>[] = [];
    for (const p of prepared) {
      const configHex = digestHex(p.image.id);
      if (!blobs.has(configHex)) blobs.set(configHex, { hex: configHex, mtime: p.created, data: p.image.configBytes });
      const layerDescs = p.image.layers.map((l) => {
        const f = layerFiles.get(l.diffId)!;
        const hex = digestHex(l.diffId);
        if (!blobs.has(hex)) blobs.set(hex, { hex, mtime: f.mtime, file: f });
        return { mediaType: MediaType.OciLayer, digest: l.diffId, size: f.size };
      });
      const platform = platformOf(p.config);
      const manifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: p.image.id, size: p.image.configBytes.length, platform },
        layers: layerDescs,
      };
      const manifestBytes = Buffer.from(JSON.stringify(manifest));
      const manifestDigest = sha256Digest(manifestBytes);
      blobs.set(digestHex(manifestDigest), { hex: digestHex(manifestDigest), mtime: EPOCH, data: manifestBytes });
      const desc = { mediaType: MediaType.OciManifest, digest: manifestDigest, size: manifestBytes.length };

      const top = legacyIds(p.config.rootfs.diff_ids).at(-1);
      for (const t of p.tags) {
        if (top !== undefined) (repositories[t.familiarName] ??= {})[t.tag] = top;
        indexManifests.push({
          ...desc,
          annotations: { 'io.containerd.image.name': `${t.fullName}:${t.tag}`, 'org.opencontainers.image.ref.name': t.tag },
          platform,
        });
      }
      if (p.tags.length === 0) indexManifests.push({ ...desc, platform });
      manifestJson.push({
        Config: `blobs/sha256/${configHex}`,
        RepoTags: p.tags.length === 0 ? null : p.tags.map((t) => `${t.familiarName}:${t.tag}`),
        Layers: p.image.layers.map((l) => `blobs/sha256/${digestHex(l.diffId)}`),
      });
    }
    const index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: indexManifests };
    const lastCreated = prepared.at(-1)?.created ?? EPOCH;

    const pack = tar.pack();
    const piping = pipeline(pack, out, signal === undefined ? {} : { signal });
    piping.catch(() => {}); // awaited below
    const writeAll = async (): Promise<void> => {
      await entry(pack, dirHeader('blobs/', lastCreated));
      await entry(pack, dirHeader('blobs/sha256/', EPOCH));
      for (const hex of [...blobs.keys()].sort()) {
        const b = blobs.get(hex)!;
        const name = `blobs/sha256/${hex}`;
        if (b.data !== undefined) await entry(pack, fileHeader(name, b.data.length, b.mtime), b.data);
        else await fileEntry(pack, fileHeader(name, b.file!.size, b.mtime), b.file!.path, signal);
      }
      const files: [string, Buffer][] = [
        ['index.json', Buffer.from(JSON.stringify(index))],
        ['manifest.json', Buffer.from(JSON.stringify(manifestJson) + '\n')],
        ['oci-layout', Buffer.from(OCI_LAYOUT)],
      ];
      if (Object.keys(repositories).length > 0) files.push(['repositories', Buffer.from(JSON.stringify(sortKeys(repositories)) + '\n')]);
      for (const [name, data] of files) await entry(pack, fileHeader(name, data.length, EPOCH), data);
      pack.finalize();
    };
    try {
      await Promise.race([writeAll(), piping.then(() => {
        throw new Error('archive output closed before the archive was complete');
      })]);
    } catch (err) {
      pack.destroy(err instanceof Error ? err : new Error(String(err)));
      await piping.catch(() => {});
      throw err;
    }
    await piping;
  } finally {
    await rm(spoolDir, { recursive: true, force: true });
  }
}

/** Go's encoding/json writes map keys sorted; nested one level here (repo → tag → id). */
function sortKeys(o: Record<string, Record<string, string>>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const k of Object.keys(o).sort()) {
    const inner: Record<string, string> = {};
    for (const t of Object.keys(o[k]!).sort()) inner[t] = o[k]![t]!;
    out[k] = inner;
  }
  return out;
}
