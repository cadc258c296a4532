// readImageArchive: the other formats it accepts (old docker, plain OCI layout) and each hostile or
// broken archive it refuses, with the message that names the entry, file or field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { sha256Digest } from '../../../src/base/index.js';
import { readImageArchive } from '../../../src/image/archive/index.js';
import { configFor, hex, layerTar, makeTar, workDir, type TarItem } from './archive-helpers.js';

const file = (name: string, data: Buffer | string): TarItem => ({ header: { name, type: 'file', mode: 0o644 }, data });
const dir = (name: string): TarItem => ({ header: { name, type: 'directory', mode: 0o755 } });
const symlink = (name: string, linkname: string): TarItem => ({ header: { name, type: 'symlink', linkname } });

async function read(items: TarItem[], dirPath: string, opts?: { maxBytes?: number }): Promise<Awaited<ReturnType<typeof readImageArchive>>> {
  return readImageArchive(Readable.from([await makeTar(items)]), dirPath, opts);
}

function refuses(code: string, message: RegExp | string) {
  return (err: Error & { code?: string }): boolean => {
    assert.equal(err.code, code, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  };
}

/** A valid docker 25+ style archive body for one image: blobs + manifest.json. */
async function dockerItems(opts: { layers?: number; diffIds?: number } = {}): Promise<{ items: TarItem[]; layers: Buffer[]; config: Buffer }> {
  const layers: Buffer[] = [];
  for (let i = 0; i < (opts.layers ?? 2); i++) layers.push(await layerTar({ [`f${i}`]: `layer ${i}` }));
  const diffIds = layers.map((l) => sha256Digest(l));
  while (opts.diffIds !== undefined && diffIds.length < opts.diffIds) diffIds.push(sha256Digest(`extra ${diffIds.length}`));
  const config = configFor(diffIds.slice(0, opts.diffIds ?? diffIds.length));
  const items = [
    dir('blobs/'), dir('blobs/sha256/'),
    file(`blobs/sha256/${hex(sha256Digest(config))}`, config),
    ...layers.map((l) => file(`blobs/sha256/${hex(sha256Digest(l))}`, l)),
    file('manifest.json', JSON.stringify([{
      Config: `blobs/sha256/${hex(sha256Digest(config))}`, RepoTags: ['busybox:test'],
      Layers: layers.map((l) => `blobs/sha256/${hex(sha256Digest(l))}`),
    }])),
  ];
  return { items, layers, config };
}

test('manifest.json last and entries in any order are fine', async (t) => {
  const { items, config } = await dockerItems();
  const images = await read([items.at(-1)!, ...items.slice(0, -1).reverse()], await workDir(t));
  assert.equal(images[0]!.id, sha256Digest(config));
});

test('an entry with ".." is refused', async (t) => {
  await assert.rejects(read([file('../x', 'evil')], await workDir(t)), refuses('InvalidArgument', 'archive entry "../x": path escapes the archive'));
  await assert.rejects(read([file('a/../../x', 'evil')], await workDir(t)), refuses('InvalidArgument', /archive entry "a\/..\/..\/x": path escapes the archive/));
});

test('an absolute entry is refused', async (t) => {
  await assert.rejects(read([file('/etc/evil', 'x')], await workDir(t)), refuses('InvalidArgument', /^archive entry "\/etc\/evil": absolute path/));
});

test('a file through a symlink (or through a file) is refused, and nothing lands outside the work dir', async (t) => {
  const wd = await workDir(t);
  await assert.rejects(read([symlink('a', '/tmp'), file('a/evil', 'x')], wd), refuses('InvalidArgument', 'archive entry "a/evil": path passes through a symlink "a"'));
  await assert.rejects(read([file('f', 'x'), file('f/g', 'y')], await workDir(t)), refuses('InvalidArgument', /"f\/g": path passes through a regular file "f"/));
  for (const name of await readdir(wd)) assert.match(name, /^f\d+$/, 'only numbered regular files are written');
});

test('manifest.json pointing outside the archive is refused (directly or through a link)', async (t) => {
  const { items } = await dockerItems();
  const bad = [...items.slice(0, -1), file('manifest.json', JSON.stringify([{ Config: '../../etc/passwd', RepoTags: [], Layers: [] }]))];
  await assert.rejects(read(bad, await workDir(t)), refuses('InvalidArgument', 'manifest.json[0].Config: ../../etc/passwd: path escapes the archive'));
  const abs = [...items.slice(0, -1), file('manifest.json', JSON.stringify([{ Config: '/etc/passwd', RepoTags: [], Layers: [] }]))];
  await assert.rejects(read(abs, await workDir(t)), refuses('InvalidArgument', /manifest.json\[0\].Config: \/etc\/passwd: absolute path/));
  const viaLink = [...items.slice(0, -1), symlink('cfg', '../../etc/passwd'), file('manifest.json', JSON.stringify([{ Config: 'cfg', RepoTags: [], Layers: [] }]))];
  await assert.rejects(read(viaLink, await workDir(t)), refuses('InvalidArgument', /manifest.json\[0\].Config: cfg: link target "..\/..\/etc\/passwd" escapes the archive/));
});

test('a missing layer is named by its manifest.json field', async (t) => {
  const { items, layers } = await dockerItems();
  const missing = `blobs/sha256/${hex(sha256Digest(layers[1]!))}`;
  const without = items.filter((i) => i.header.name !== missing);
  await assert.rejects(read(without, await workDir(t)), refuses('InvalidArgument', `manifest.json[0].Layers[1]: ${missing}: no such file in the archive`));
});

test('a blob whose content does not hash to its name is DataLoss', async (t) => {
  const { items, layers } = await dockerItems();
  const name = `blobs/sha256/${hex(sha256Digest(layers[0]!))}`;
  const tampered = items.map((i) => (i.header.name === name ? file(name, 'tampered') : i));
  await assert.rejects(read(tampered, await workDir(t)), refuses('DataLoss', new RegExp(`^manifest.json\\[0\\].Layers\\[0\\]: ${name}: content hashes to sha256:${hex(sha256Digest('tampered'))}`)));
});

test('a diff_ids count that does not match the layers is refused', async (t) => {
  const { items } = await dockerItems({ layers: 2, diffIds: 3 });
  await assert.rejects(read(items, await workDir(t)), refuses('InvalidArgument', /^manifest.json\[0\].Layers: 2 layers, but blobs\/sha256\/[a-f0-9]{64} lists 3 in rootfs.diff_ids$/));
});

test('garbage JSON in manifest.json or a config is refused, naming the file', async (t) => {
  await assert.rejects(read([file('manifest.json', '{nope')], await workDir(t)), refuses('InvalidArgument', /^manifest.json: invalid JSON/));
  await assert.rejects(read([file('manifest.json', '{"a":1}')], await workDir(t)), refuses('InvalidArgument', 'manifest.json: expected a JSON array'));
  await assert.rejects(
    read([file('cfg.json', 'garbage'), file('manifest.json', JSON.stringify([{ Config: 'cfg.json', RepoTags: null, Layers: [] }]))], await workDir(t)),
    refuses('InvalidArgument', /^manifest.json\[0\].Config: cfg.json: invalid JSON/),
  );
  await assert.rejects(
    read([file('cfg.json', '{"os":"linux"}'), file('manifest.json', JSON.stringify([{ Config: 'cfg.json', RepoTags: null, Layers: [] }]))], await workDir(t)),
    refuses('InvalidArgument', /^manifest.json\[0\].Config: cfg.json.architecture: must be a string/),
  );
  await assert.rejects(read([file('manifest.json', JSON.stringify([{ Config: 1 }]))], await workDir(t)), refuses('InvalidArgument', 'manifest.json[0].Config: must be a string'));
});

test('not an image archive, not a tar, and the size cap', async (t) => {
  await assert.rejects(read([file('hello', 'x')], await workDir(t)), refuses('InvalidArgument', /no manifest.json or OCI index.json/));
  await assert.rejects(readImageArchive(Readable.from([Buffer.alloc(1024, 'z')]), await workDir(t)), refuses('InvalidArgument', /^archive: /));
  const { items } = await dockerItems();
  await assert.rejects(read(items, await workDir(t), { maxBytes: 1000 }), refuses('ResourceExhausted', /more than 1000 bytes/));
});

test('an old docker archive (<id>/layer.tar, <hex>.json, a symlinked shared layer) is accepted', async (t) => {
  const base = await layerTar({ 'bin/sh': 'sh' });
  const top = await layerTar({ 'x': 'x' });
  const c1 = configFor([sha256Digest(base)]);
  const c2 = configFor([sha256Digest(base), sha256Digest(top)], { created: '2025-01-01T00:00:00Z' });
  const id1 = 'a'.repeat(64);
  const id2 = 'b'.repeat(64);
  const id3 = 'c'.repeat(64);
  const items: TarItem[] = [
    file(`${hex(sha256Digest(c1))}.json`, c1),
    file(`${hex(sha256Digest(c2))}.json`, c2),
    dir(`${id1}/`), file(`${id1}/VERSION`, '1.0'), file(`${id1}/json`, '{}'), file(`${id1}/layer.tar`, base),
    dir(`${id2}/`), file(`${id2}/VERSION`, '1.0'), file(`${id2}/json`, '{}'), symlink(`${id2}/layer.tar`, `../${id1}/layer.tar`),
    dir(`${id3}/`), file(`${id3}/VERSION`, '1.0'), file(`${id3}/json`, '{}'), file(`${id3}/layer.tar`, top),
    file('manifest.json', JSON.stringify([
      { Config: `${hex(sha256Digest(c1))}.json`, RepoTags: ['busybox:old'], Layers: [`${id1}/layer.tar`] },
      { Config: `${hex(sha256Digest(c2))}.json`, RepoTags: ['busybox:new'], Layers: [`${id2}/layer.tar`, `${id3}/layer.tar`] },
    ])),
    file('repositories', JSON.stringify({ busybox: { old: id1, new: id3 } })),
  ];
  const images = await read(items, await workDir(t));
  assert.deepEqual(images.map((i) => i.repoTags), [['busybox:old'], ['busybox:new']]);
  assert.deepEqual(images.map((i) => i.id), [sha256Digest(c1), sha256Digest(c2)]);
  assert.deepEqual(await readFile(images[1]!.layers[0]!.path), base, 'the symlink resolves inside the archive');
  assert.deepEqual(await readFile(images[1]!.layers[1]!.path), top);
  assert.deepEqual(images[1]!.layers.map((l) => l.diffId), [sha256Digest(base), sha256Digest(top)]);
});

test('a plain OCI image layout (skopeo oci-archive:) is accepted, tags from annotations, gzip layers kept', async (t) => {
  const layer = await layerTar({ 'bin/sh': 'sh' });
  const gz = gzipSync(layer);
  const config = configFor([sha256Digest(layer)]);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256Digest(gz), size: gz.length }],
  }));
  const desc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest(manifest), size: manifest.length };
  const index = JSON.stringify({
    schemaVersion: 2,
    manifests: [
      { ...desc, annotations: { 'org.opencontainers.image.ref.name': 'busybox:oci' } },
      { ...desc, annotations: { 'io.containerd.image.name': 'docker.io/library/busybox:ctr', 'org.opencontainers.image.ref.name': 'ctr' } },
      { ...desc, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
    ],
  });
  const items = [
    file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'), file('index.json', index),
    file(`blobs/sha256/${hex(sha256Digest(config))}`, config),
    file(`blobs/sha256/${hex(sha256Digest(gz))}`, gz),
    file(`blobs/sha256/${hex(sha256Digest(manifest))}`, manifest),
  ];
  const images = await read(items, await workDir(t));
  assert.equal(images.length, 1);
  assert.equal(images[0]!.id, sha256Digest(config));
  assert.deepEqual(images[0]!.repoTags, ['busybox:oci', 'busybox:ctr']);
  assert.equal(images[0]!.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.deepEqual(await readFile(images[0]!.layers[0]!.path), gz);

  const tampered = items.map((i) => (i.header.name === `blobs/sha256/${hex(sha256Digest(manifest))}` ? file(i.header.name, manifest.toString().replace('2', '2 ')) : i));
  await assert.rejects(read(tampered, await workDir(t)), refuses('DataLoss', /^index.json.manifests\[0\]: blobs\/sha256\/[a-f0-9]{64}: content hashes to/));
});
