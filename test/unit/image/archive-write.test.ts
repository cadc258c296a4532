// writeImageArchive → readImageArchive round trip, and the exact entry list docker 25+ writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { sha256Digest } from '../../../src/base/index.js';
import { readImageArchive, writeImageArchive } from '../../../src/image/archive/index.js';
import { archiveImage, Collect, hex, layerTar, listTar, workDir } from './archive-helpers.js';

async function twoImages(): Promise<{ archive: Buffer; shared: Buffer; own1: Buffer; own2: Buffer; a: ReturnType<typeof archiveImage>; b: ReturnType<typeof archiveImage> }> {
  const shared = await layerTar({ 'bin/sh': 'shell', 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' });
  const own1 = await layerTar({ 'a.txt': 'one' });
  const own2 = await layerTar({ 'b.txt': 'two' });
  const a = archiveImage([shared, own1], ['busybox:latest', 'busybox:1']);
  const b = archiveImage([shared, own2], ['localhost:5000/x/y:2'], { variant: 'v8', architecture: 'arm64' });
  const out = new Collect();
  await writeImageArchive([a, b], out);
  return { archive: out.buffer, shared, own1, own2, a, b };
}

test('two images sharing a layer: read back gives the same configs, ids, tags and layer bytes', async (t) => {
  const { archive, shared, own1, own2, a, b } = await twoImages();
  const images = await readImageArchive(Readable.from([archive]), await workDir(t));
  assert.equal(images.length, 2);
  const [ra, rb] = images;
  assert.equal(ra!.id, a.id);
  assert.deepEqual(ra!.configBytes, a.configBytes);
  assert.deepEqual(ra!.repoTags, ['busybox:latest', 'busybox:1']);
  assert.equal(rb!.id, b.id);
  assert.deepEqual(rb!.repoTags, ['localhost:5000/x/y:2']);
  assert.equal(rb!.config.architecture, 'arm64');
  assert.deepEqual(ra!.layers.map((l) => l.diffId), [sha256Digest(shared), sha256Digest(own1)]);
  assert.deepEqual(await readFile(ra!.layers[0]!.path), shared);
  assert.deepEqual(await readFile(ra!.layers[1]!.path), own1);
  assert.deepEqual(await readFile(rb!.layers[1]!.path), own2);
  assert.equal(ra!.layers[0]!.path, rb!.layers[0]!.path, 'the shared layer is one file');
  assert.equal(ra!.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar');
});

test('the entry list is docker 25+ layout: dirs, sorted blobs, index.json, manifest.json, oci-layout, repositories', async () => {
  const { archive, shared, own1, own2, a, b } = await twoImages();
  const entries = await listTar(archive);
  const names = entries.map((e) => e.name);
  const blobs = names.filter((n) => n.startsWith('blobs/sha256/') && n.length > 13);
  assert.deepEqual(names, ['blobs/', 'blobs/sha256/', ...blobs, 'index.json', 'manifest.json', 'oci-layout', 'repositories']);
  assert.deepEqual(blobs, [...blobs].sort());
  assert.equal(new Set(blobs).size, blobs.length, 'each blob once');
  // 2 configs + 3 distinct layers + 2 OCI manifests
  assert.equal(blobs.length, 7);
  for (const l of [shared, own1, own2]) assert.ok(blobs.includes(`blobs/sha256/${hex(sha256Digest(l))}`));
  for (const e of entries) {
    assert.equal(e.mode, e.type === 'directory' ? 0o755 : 0o644, e.name);
    if (e.type === 'file' && e.name.startsWith('blobs/')) assert.equal(sha256Digest(e.data), `sha256:${e.name.slice(13)}`);
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.equal(byName.get('oci-layout')!.data.toString(), '{"imageLayoutVersion": "1.0.0"}');
  assert.equal(byName.get('manifest.json')!.mtime, 0);
  assert.equal(byName.get(`blobs/sha256/${hex(a.id)}`)!.mtime, Date.parse('2024-01-02T03:04:05Z'), 'config mtime = created (seconds)');

  const manifest = JSON.parse(byName.get('manifest.json')!.data.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
  assert.deepEqual(manifest, [
    { Config: `blobs/sha256/${hex(a.id)}`, RepoTags: ['busybox:latest', 'busybox:1'], Layers: [`blobs/sha256/${hex(sha256Digest(shared))}`, `blobs/sha256/${hex(sha256Digest(own1))}`] },
    { Config: `blobs/sha256/${hex(b.id)}`, RepoTags: ['localhost:5000/x/y:2'], Layers: [`blobs/sha256/${hex(sha256Digest(shared))}`, `blobs/sha256/${hex(sha256Digest(own2))}`] },
  ]);
  const repos = JSON.parse(byName.get('repositories')!.data.toString()) as Record<string, Record<string, string>>;
  assert.deepEqual(Object.keys(repos), ['busybox', 'localhost:5000/x/y']);
  assert.deepEqual(Object.keys(repos.busybox!), ['1', 'latest']);
  assert.match(repos.busybox!.latest!, /^[a-f0-9]{64}$/);

  const index = JSON.parse(byName.get('index.json')!.data.toString()) as {
    schemaVersion: number; mediaType: string;
    manifests: { mediaType: string; digest: string; size: number; annotations: Record<string, string>; platform: Record<string, string> }[];
  };
  assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(index.manifests.map((m) => m.annotations), [
    { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' },
    { 'io.containerd.image.name': 'docker.io/library/busybox:1', 'org.opencontainers.image.ref.name': '1' },
    { 'io.containerd.image.name': 'localhost:5000/x/y:2', 'org.opencontainers.image.ref.name': '2' },
  ]);
  assert.deepEqual(index.manifests[2]!.platform, { architecture: 'arm64', os: 'linux', variant: 'v8' });
  const m = JSON.parse(byName.get(`blobs/sha256/${index.manifests[0]!.digest.slice(7)}`)!.data.toString()) as {
    config: { digest: string; size: number }; layers: { mediaType: string; digest: string; size: number }[];
  };
  assert.equal(m.config.digest, a.id);
  assert.equal(m.config.size, a.configBytes.length);
  assert.deepEqual(m.layers.map((l) => [l.mediaType, l.digest, l.size]), [
    ['application/vnd.oci.image.layer.v1.tar', sha256Digest(shared), shared.length],
    ['application/vnd.oci.image.layer.v1.tar', sha256Digest(own1), own1.length],
  ]);
});

test('a gzip-compressed archive is accepted', async (t) => {
  const { archive, a } = await twoImages();
  const images = await readImageArchive(Readable.from([gzipSync(archive)]), await workDir(t));
  assert.deepEqual(images.map((i) => i.id).slice(0, 1), [a.id]);
});

test('the writer refuses a layer whose bytes do not hash to its diffID (DataLoss) and a config/id mismatch', async () => {
  const l = await layerTar({ x: 'x' });
  const img = archiveImage([l], ['x:1']);
  const lying = { ...img, layers: [{ diffId: img.layers[0]!.diffId, open: () => Promise.resolve(Readable.from([Buffer.from('other')])) }] };
  await assert.rejects(writeImageArchive([lying], new Collect()), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'DataLoss');
    assert.match(err.message, /hashes to sha256:/);
    return true;
  });
  await assert.rejects(writeImageArchive([{ ...img, id: sha256Digest('nope') }], new Collect()), /config bytes hash to/);
});

test('an untagged image gets manifest.json RepoTags null and no repositories file', async (t) => {
  const img = archiveImage([await layerTar({ x: 'x' })], []);
  const out = new Collect();
  await writeImageArchive([img], out);
  const entries = await listTar(out.buffer);
  assert.ok(!entries.some((e) => e.name === 'repositories'));
  const manifest = JSON.parse(entries.find((e) => e.name === 'manifest.json')!.data.toString()) as { RepoTags: unknown }[];
  assert.equal(manifest[0]!.RepoTags, null);
  const back = await readImageArchive(Readable.from([out.buffer]), await workDir(t));
  assert.deepEqual(back[0]!.repoTags, []);
  assert.equal(back[0]!.id, img.id);
});

test('an aborted signal stops both the writer and the reader', async (t) => {
  const img = archiveImage([await layerTar({ x: 'x' })], ['x:1']);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(writeImageArchive([img], new Collect(), ac.signal), { name: 'AbortError' });
  const out = new Collect();
  await writeImageArchive([img], out);
  await assert.rejects(readImageArchive(Readable.from([out.buffer]), await workDir(t), { signal: ac.signal }), { name: 'AbortError' });
});
