// The image service end to end on the real kernel: pull from a local docker-registry into the content
// store and overlay snapshots (layers unpacked as they arrive), then docker's image verbs: list with
// filters, inspect, history, tag, rmi (untag vs delete, conflicts), prune, import with --change, and
// a rootfs mounted from the prepared snapshot that holds the image's files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { codeOf, type Digest } from '../../../src/base/index.js';
import { openImageService, type ImageProgressEvent, type ImageService } from '../../../src/image/index.js';
import { Pusher, RegistryClient } from '../../../src/registry/index.js';
import { MNT_DETACH, mountAll, umount } from '../../../src/sys/index.js';
import { buildImage, busyboxLayer, startRegistry, tarOf, tempDir, tempStore } from '../registry/registry-helpers.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;

async function service(t: Parameters<typeof tempDir>[0], useChecker?: Parameters<typeof openImageService>[0]['useChecker']): Promise<ImageService & { snapshotter: import('../../../src/snapshot/index.js').Snapshotter }> {
  const root = await tempDir(t, 'skiff-images-');
  const s = await openImageService({ root: join(root, 'data'), ...(useChecker === undefined ? {} : { useChecker }) });
  t.after(() => s.close());
  return s;
}

async function rejectsCode(p: Promise<unknown>, code: string, re?: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.equal(codeOf(err), code, (err as Error).message);
    if (re !== undefined) assert.match((err as Error).message, re);
    return;
  }
  assert.fail(`expected ${code}`);
}

async function pushTestImage(t: Parameters<typeof tempDir>[0], host: string, name: string, layers: Parameters<typeof buildImage>[1]) {
  const src = await tempStore(t);
  const img = await buildImage(src, layers);
  const client = new RegistryClient();
  t.after(() => client.destroy());
  await new Pusher(client).push(`${host}/${name}`, src, img.manifestDescriptor);
  return img;
}

test('pull: layers unpacked into snapshots, docker progress lines, repo digest; a second pull is up to date', { skip }, async (t) => {
  const reg = await startRegistry(t);
  const img = await pushTestImage(t, reg.host, 'skiff/bb:1', [await busyboxLayer(), [{ name: 'etc/motd', data: Buffer.from('hi\n') }, { name: 'bin/.wh.sh' }]]);
  const images = await service(t);
  const events: ImageProgressEvent[] = [];
  const pulled = await images.pull(`${reg.host}/skiff/bb:1`, { onProgress: (e) => events.push(e) });
  assert.equal(pulled.id, img.configDescriptor.digest);
  assert.equal(pulled.digest, img.manifestDescriptor.digest);
  assert.equal(pulled.updated, true);
  const statuses = events.filter((e) => e.kind === 'status').map((e) => (e as { status: string }).status);
  assert.deepEqual(statuses, [`Pulling from skiff/bb`, `Digest: ${img.manifestDescriptor.digest}`, `Status: Downloaded newer image for ${reg.host}/skiff/bb:1`]);
  for (const l of img.layers) {
    const id = l.descriptor.digest.slice(7, 19);
    const seq = events.filter((e) => e.kind === 'layer' && e.id === id).map((e) => (e as { status: string }).status);
    assert.equal(seq[0], 'Pulling fs layer');
    assert.ok(seq.indexOf('Download complete') < seq.indexOf('Extracting') && seq.at(-1) === 'Pull complete', seq.join(','));
  }

  const inspect = await images.inspect(`${reg.host}/skiff/bb:1`);
  assert.equal(inspect.Id, img.configDescriptor.digest);
  assert.deepEqual(inspect.RepoTags, [`${reg.host}/skiff/bb:1`]);
  assert.deepEqual(inspect.RepoDigests, [`${reg.host}/skiff/bb@${img.manifestDescriptor.digest}`]);
  assert.deepEqual(inspect.RootFS.Layers, img.layers.map((l) => l.diffId));
  assert.equal(inspect.Os, 'linux');
  assert.ok(inspect.Size > 1_000_000, `size ${inspect.Size}`);
  // By id, id prefix, and digest reference too.
  assert.equal((await images.inspect(img.configDescriptor.digest.slice(7, 19))).Id, inspect.Id);
  assert.equal((await images.inspect(`${reg.host}/skiff/bb@${img.manifestDescriptor.digest}`)).Id, inspect.Id);
  await rejectsCode(images.inspect('nosuch'), 'NotFound', /^No such image: nosuch:latest$/);

  // The container rootfs: the top snapshot mounted holds the busybox binary, and the whiteout hid sh.
  const forC = await images.forContainer(`${reg.host}/skiff/bb:1`);
  const mounts = await images.prepareRootfs('test-container-rootfs', forC);
  t.after(() => images.snapshotter.remove('test-container-rootfs').catch(() => {}));
  const target = await tempDir(t, 'skiff-rootfs-');
  await mountAll(mounts, target);
  try {
    assert.deepEqual(await readFile(join(target, 'bin/busybox')), await readFile('/bin/busybox'));
    assert.equal(await readFile(join(target, 'etc/motd'), 'utf8'), 'hi\n');
    assert.ok(!(await readdir(join(target, 'bin'))).includes('sh'), 'the whiteout hides bin/sh');
  } finally {
    umount(target, MNT_DETACH);
  }

  const again = await images.pull(`${reg.host}/skiff/bb:1`);
  assert.equal(again.updated, false);
  const history = await images.history(img.configDescriptor.digest);
  assert.equal(history.length, 2);
  assert.equal(history[0]!.Id, img.configDescriptor.digest);
  assert.deepEqual(history[0]!.Tags, [`${reg.host}/skiff/bb:1`]);
  assert.equal(history[1]!.Id, '<missing>');
});

test('tag, list filters, rmi untags then deletes, conflicts, prune of dangling images', { skip }, async (t) => {
  const reg = await startRegistry(t);
  const base = await busyboxLayer();
  const a = await pushTestImage(t, reg.host, 'skiff/a:1', [base]);
  const b = await pushTestImage(t, reg.host, 'skiff/b:1', [base, [{ name: 'b', data: Buffer.from('b') }]]);
  let inUse: string | undefined;
  const images = await service(t, (id) => (id === inUse ? { containers: 1, stoppedContainer: 'c'.repeat(64) } : { containers: 0 }));
  await images.pull(`${reg.host}/skiff/a:1`);
  await images.pull(`${reg.host}/skiff/b:1`);
  await images.tag(`${reg.host}/skiff/a:1`, 'mine/a');
  await images.tag(`${reg.host}/skiff/a:1`, 'other:v2');
  await rejectsCode(images.tag('nosuch', 'x'), 'NotFound');
  await rejectsCode(images.tag(`${reg.host}/skiff/a:1`, 'Bad:Name'), 'InvalidArgument', /must be lowercase/);

  const all = await images.list();
  assert.equal(all.length, 2);
  const listA = all.find((s) => s.Id === a.configDescriptor.digest)!;
  assert.deepEqual(listA.RepoTags.sort(), [`${reg.host}/skiff/a:1`, 'mine/a:latest', 'other:v2'].sort());
  assert.deepEqual((await images.list({ filters: { reference: ['mine/*'] } })).map((s) => s.Id), [a.configDescriptor.digest]);
  assert.deepEqual((await images.list({ filters: { reference: ['other:v2'] } })).map((s) => s.Id), [a.configDescriptor.digest]);
  assert.deepEqual(await images.list({ filters: { dangling: ['true'] } }), []);
  await rejectsCode(images.list({ filters: { bogus: ['1'] } }), 'InvalidArgument', /invalid filter 'bogus'/);

  // By id with tags in several repositories: docker wants -f.
  await rejectsCode(images.remove(a.configDescriptor.digest.slice(7, 19)), 'Conflict', /must be forced\) - image is referenced in multiple repositories/);
  assert.deepEqual(await images.remove('other:v2'), [{ Untagged: 'other:v2' }]);
  assert.deepEqual(await images.remove('mine/a'), [{ Untagged: 'mine/a:latest' }]);
  inUse = a.configDescriptor.digest;
  await rejectsCode(images.remove(a.configDescriptor.digest), 'Conflict', /being used by stopped container cccccccccccc/);
  inUse = undefined;
  const removed = await images.remove(`${reg.host}/skiff/a:1`);
  assert.deepEqual(removed.slice(0, 3), [
    { Untagged: `${reg.host}/skiff/a:1` },
    { Untagged: `${reg.host}/skiff/a@${a.manifestDescriptor.digest}` },
    { Deleted: a.configDescriptor.digest },
  ]);
  // b stands on a's only layer: that snapshot stays, and b still mounts.
  assert.equal(removed.length, 3, JSON.stringify(removed));
  await images.forContainer(`${reg.host}/skiff/b:1`);

  // A dangling image: untag b's last tag while keeping its digest → prune removes it.
  await images.tag(`${reg.host}/skiff/b:1`, 'keep:1');
  await images.remove(`${reg.host}/skiff/b:1`);
  assert.deepEqual(await images.prune(), { ImagesDeleted: [], SpaceReclaimed: 0 });
  await images.remove('keep:1');
  assert.deepEqual(await images.list(), []);
  void b;
  let committed = 0;
  await images.snapshotter.walk(() => { committed++; });
  assert.equal(committed, 0, 'every snapshot went with the last image');
});

test('import a rootfs tarball with --change; a bad change is refused', { skip }, async (t) => {
  const images = await service(t);
  const tar = await tarOf([{ name: 'hello.txt', data: Buffer.from('hello\n') }, { name: 'bin/', type: 'directory' }]);
  const id = await images.import(Readable.from([gzipSync(tar)]), {
    reference: 'imported:1',
    changes: ['CMD ["/bin/sh"]', 'ENV A=1 B="two words"', 'EXPOSE 80 53/udp', 'LABEL x=y', 'WORKDIR /srv', 'USER 1000'],
    message: 'from a test',
  });
  const inspect = await images.inspect('imported:1');
  assert.equal(inspect.Id, id);
  assert.deepEqual(inspect.Config?.Cmd, ['/bin/sh']);
  assert.deepEqual(inspect.Config?.Env, ['A=1', 'B=two words']);
  assert.deepEqual(inspect.Config?.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(inspect.Config?.Labels, { x: 'y' });
  assert.equal(inspect.Config?.WorkingDir, '/srv');
  assert.equal(inspect.Config?.User, '1000');
  assert.equal(inspect.Comment, 'from a test');
  assert.equal(inspect.RootFS.Layers[0], `sha256:${(await import('node:crypto')).createHash('sha256').update(tar).digest('hex')}` as Digest);
  await rejectsCode(images.import(Readable.from([tar]), { changes: ['RUN echo'] }), 'InvalidArgument', /RUN is not a valid change command/);
});

test('disk full during pull: a clear error, nothing recorded, the store stays consistent and usable', { skip, timeout: 120_000 }, async (t) => {
  const { randomBytes } = await import('node:crypto');
  const { mountRaw } = await import('../../../src/sys/index.js');
  const reg = await startRegistry(t);
  const big = await pushTestImage(t, reg.host, 'skiff/big:1', [0, 1, 2, 3].map((i) => [{ name: `f${i}`, data: randomBytes(4 << 20) }]));
  const small = await pushTestImage(t, reg.host, 'skiff/small:1', [[{ name: 'hello', data: Buffer.from('hello\n') }]]);
  const { mkdtemp, rm } = await import('node:fs/promises');
  // Sizes at which the disk fills during downloads, during unpacking, and around the metadata.
  for (const size of ['2m', '6m', '10m', '16m']) {
    const dir = await mkdtemp('/tmp/skiff-full-');
    mountRaw('tmpfs', dir, 'tmpfs', 0, `size=${size}`);
    t.after(async () => {
      umount(dir, MNT_DETACH);
      await rm(dir, { recursive: true, force: true });
    });
    const root = join(dir, 'data');
    let images = await openImageService({ root });
    try {
      await rejectsCode(images.pull(`${reg.host}/skiff/big:1`), 'ResourceExhausted', /no space left on device/);
      assert.deepEqual(await images.list(), [], size);
    } finally {
      await images.close();
    }
    // Reopening reconciles: no image, no active snapshot, no ingest; and a small pull works.
    images = await openImageService({ root });
    try {
      assert.deepEqual(await images.list(), []);
      let active = 0;
      await images.snapshotter.walk((i) => { if (i.kind === 'active') active++; });
      assert.equal(active, 0, size);
      const pulled = await images.pull(`${reg.host}/skiff/small:1`);
      assert.equal(pulled.id, small.configDescriptor.digest, size);
    } finally {
      await images.close();
    }
  }
  void big;
});

test('zstd and uncompressed layers pull and unpack like gzip ones', { skip, timeout: 60_000 }, async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { writeBlob } = await import('../../../src/content/index.js');
  const { MediaType } = await import('../../../src/oci/index.js');
  const { sha256Digest } = await import('../../../src/base/index.js');
  const reg = await startRegistry(t);
  const src = await tempStore(t);
  const zTar = await tarOf([{ name: 'from-zstd', data: Buffer.from('zstd layer\n') }]);
  const plainTar = await tarOf([{ name: 'from-plain', data: Buffer.from('plain layer\n') }]);
  const zBlob = execFileSync('zstd', ['-q', '-c', '-19'], { input: zTar });
  const layers = [
    { mediaType: MediaType.OciLayerZstd, digest: await writeBlob(src, 'z', zBlob), size: zBlob.length },
    { mediaType: MediaType.OciLayer, digest: await writeBlob(src, 'p', plainTar), size: plainTar.length },
  ];
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(zTar), sha256Digest(plainTar)] } }));
  const configDesc = { mediaType: MediaType.OciConfig, digest: await writeBlob(src, 'c', config), size: config.length };
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDesc, layers }));
  const mdesc = { mediaType: MediaType.OciManifest, digest: await writeBlob(src, 'm', manifest), size: manifest.length };
  const client = new RegistryClient();
  t.after(() => client.destroy());
  await new Pusher(client).push(`${reg.host}/skiff/zstd:1`, src, mdesc);

  const images = await service(t);
  const pulled = await images.pull(`${reg.host}/skiff/zstd:1`);
  assert.equal(pulled.id, configDesc.digest);
  const mounts = await images.prepareRootfs('zstd-view', await images.forContainer(pulled.id));
  t.after(() => images.snapshotter.remove('zstd-view').catch(() => {}));
  const target = await tempDir(t, 'skiff-zstd-mnt-');
  await mountAll(mounts, target);
  try {
    assert.equal(await readFile(join(target, 'from-zstd'), 'utf8'), 'zstd layer\n');
    assert.equal(await readFile(join(target, 'from-plain'), 'utf8'), 'plain layer\n');
  } finally {
    umount(target, MNT_DETACH);
  }
  // save decompresses each layer to the bytes its diffID names
  const saved = await images.save([`${reg.host}/skiff/zstd:1`]);
  let bytes = 0;
  for await (const c of saved) bytes += (c as Buffer).length;
  assert.ok(bytes > zTar.length + plainTar.length);
});
