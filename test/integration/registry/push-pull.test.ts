// Push images built in the test to a real docker-registry with the Pusher, pull them back with the
// Resolver into a fresh content store, and check every byte; platforms from an index; resume of a cut
// transfer with Range; a corrupted blob refused with nothing committed; zstd refused before download.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeOf, sha256Digest } from '../../../src/base/index.js';
import { readBlob, writeBlob, type LocalContentStore } from '../../../src/content/index.js';
import { MediaType, type Descriptor, type ImageManifest } from '../../../src/oci/index.js';
import { Pusher, RegistryClient, Resolver, parsePlatform, type ProgressEvent } from '../../../src/registry/index.js';
import { buildImage, buildIndex, busyboxLayer, startRegistry, tempStore } from './registry-helpers.js';
import { startProxy } from './proxy.js';

const skip = process.getuid?.() === undefined ? 'needs Linux' : false;

function client(t: { after: (fn: () => Promise<void>) => void }): RegistryClient {
  const c = new RegistryClient({ retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 } });
  t.after(() => c.destroy());
  return c;
}

async function rejectsCode(p: Promise<unknown>, code: string, re?: RegExp): Promise<Error> {
  try {
    await p;
  } catch (err) {
    assert.equal(codeOf(err), code, (err as Error).message);
    if (re !== undefined) assert.match((err as Error).message, re);
    return err as Error;
  }
  assert.fail(`expected ${code}`);
}

async function assertSameBlobs(a: LocalContentStore, b: LocalContentStore, descs: Descriptor[]): Promise<void> {
  for (const d of descs) assert.deepEqual(await readBlob(b, d), await readBlob(a, d), `blob ${d.digest}`);
}

test('push an image (monolithic), pull it back into a fresh store, push again skips every blob', { skip }, async (t) => {
  const reg = await startRegistry(t);
  const src = await tempStore(t);
  const img = await buildImage(src, [await busyboxLayer(), [{ name: 'etc/motd', data: Buffer.from('hello from skiff\n') }]]);
  const c = client(t);
  const events: ProgressEvent[] = [];
  const ref = `${reg.host}/skiff/busybox:v1`;
  const pushed = await new Pusher(c).push(ref, src, img.manifestDescriptor, { onProgress: (e) => events.push(e) });
  assert.equal(pushed.digest, img.manifestDescriptor.digest);
  assert.deepEqual(
    events.filter((e) => e.kind === 'blob' && e.status === 'pushed').map((e) => (e as { digest: string }).digest).sort(),
    [img.configDescriptor.digest, ...img.layers.map((l) => l.descriptor.digest)].sort(),
  );

  const dst = await tempStore(t);
  const pullEvents: ProgressEvent[] = [];
  const pulled = await new Resolver(c).pull(ref, dst, { onProgress: (e) => pullEvents.push(e) });
  assert.equal(pulled.descriptor.digest, img.manifestDescriptor.digest);
  assert.equal(pulled.descriptor.mediaType, MediaType.OciManifest);
  assert.deepEqual(pulled.config.rootfs.diff_ids, img.layers.map((l) => l.diffId));
  await assertSameBlobs(src, dst, [img.manifestDescriptor, img.configDescriptor, ...img.layers.map((l) => l.descriptor)]);
  assert.ok(pullEvents.some((e) => e.kind === 'blob' && e.status === 'download-complete' && e.digest === img.layers[0]!.descriptor.digest));
  assert.deepEqual(await dst.statuses(), []);

  // Pull by digest too, and a second pull finds everything stored.
  const again: ProgressEvent[] = [];
  await new Resolver(c).pull(`${reg.host}/skiff/busybox@${img.manifestDescriptor.digest}`, dst, { onProgress: (e) => again.push(e) });
  assert.ok(again.filter((e) => e.kind === 'blob' && e.status !== 'waiting').every((e) => e.kind === 'blob' && e.status === 'already-exists'));

  const second: ProgressEvent[] = [];
  await new Pusher(c).push(ref, src, img.manifestDescriptor, { onProgress: (e) => second.push(e) });
  const statuses = second.filter((e) => e.kind === 'blob' && e.status !== 'preparing').map((e) => (e as { status: string }).status);
  assert.deepEqual(statuses, statuses.map(() => 'layer-already-exists'));
  assert.equal(statuses.length, 3);

  await rejectsCode(new Resolver(c).resolve(`${reg.host}/skiff/busybox:nope`), 'NotFound', /manifest for 127\.0\.0\.1:\d+\/skiff\/busybox:nope not found/);
});

test('chunked upload of a Docker schema 2 image, then a cross-repository mount', { skip }, async (t) => {
  const reg = await startRegistry(t);
  const src = await tempStore(t);
  const img = await buildImage(src, [await busyboxLayer()], { oci: false });
  const c = client(t);
  const logged = await startProxy(t, reg.host, []);
  const viaProxy = `${logged.host}/skiff/chunked:latest`;
  await new Pusher(c).push(viaProxy, src, img.manifestDescriptor, { chunkSizeBytes: 256 * 1024 });
  const patches = logged.log.filter((r) => r.method === 'PATCH');
  assert.ok(patches.length >= Math.ceil(img.layers[0]!.descriptor.size / (256 * 1024)), `PATCH count ${patches.length}`);
  assert.ok(logged.log.some((r) => r.method === 'PUT' && r.path.includes('digest=sha256')));

  const dst = await tempStore(t);
  const pulled = await new Resolver(c).pull(`${reg.host}/skiff/chunked`, dst);
  assert.equal(pulled.descriptor.mediaType, MediaType.DockerManifest);
  await assertSameBlobs(src, dst, [img.configDescriptor, img.layers[0]!.descriptor]);

  const events: ProgressEvent[] = [];
  await new Pusher(c).push(`${logged.host}/other/copy:1`, src, img.manifestDescriptor, { mountFrom: ['skiff/chunked'], onProgress: (e) => events.push(e) });
  assert.equal(events.filter((e) => e.kind === 'blob' && e.status === 'mounted').length, 2);
  assert.ok(logged.log.some((r) => r.method === 'POST' && r.path.includes('mount=sha256') && r.path.includes('from=skiff%2Fchunked')));
  // Blobs pulled from skiff/chunked carry their source label: a push elsewhere on the registry mounts them unasked.
  const mounted: ProgressEvent[] = [];
  await new Pusher(c).push(`${logged.host}/third/copy:1`, dst, pulled.descriptor, { onProgress: (e) => mounted.push(e) });
  assert.equal(mounted.filter((e) => e.kind === 'blob' && e.status === 'mounted').length, 0, 'labels name the host pulled from, not the proxy');
  await new Pusher(c).push(`${reg.host}/fourth/copy:1`, dst, pulled.descriptor, { onProgress: (e) => mounted.push(e) });
  assert.equal(mounted.filter((e) => e.kind === 'blob' && e.status === 'mounted').length, 2);
});

test('an index with two platforms: the right manifest for each platform, a clear error for a third', { skip }, async (t) => {
  const reg = await startRegistry(t);
  const src = await tempStore(t);
  const amd = await buildImage(src, [[{ name: 'arch', data: Buffer.from('amd64\n') }]], { platform: { os: 'linux', architecture: 'amd64' } });
  const arm = await buildImage(src, [[{ name: 'arch', data: Buffer.from('arm64\n') }]], { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
  const index = await buildIndex(src, [
    { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
    { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ]);
  const c = client(t);
  const ref = `${reg.host}/skiff/multi:1`;
  const pushed = await new Pusher(c).push(ref, src, index);
  assert.equal(pushed.digest, index.digest);

  const dstArm = await tempStore(t);
  const pArm = await new Resolver(c).pull(ref, dstArm, { platform: parsePlatform('linux/arm64') });
  assert.equal(pArm.descriptor.digest, index.digest);
  assert.equal(pArm.manifestDescriptor.digest, arm.manifestDescriptor.digest);
  assert.equal(pArm.config.architecture, 'arm64');
  await assertSameBlobs(src, dstArm, [index, arm.manifestDescriptor, arm.layers[0]!.descriptor]);
  await rejectsCode(dstArm.info(amd.layers[0]!.descriptor.digest), 'NotFound');

  const dstAmd = await tempStore(t);
  const pAmd = await new Resolver(c).pull(ref, dstAmd, { platform: { os: 'linux', architecture: 'amd64' } });
  assert.equal(pAmd.manifestDescriptor.digest, amd.manifestDescriptor.digest);

  await rejectsCode(new Resolver(c).pull(ref, await tempStore(t), { platform: parsePlatform('linux/s390x') }), 'NotFound',
    /no matching manifest for linux\/s390x in the manifest list entries/);
  // A single-manifest image asked for the wrong platform is refused as docker does.
  await new Pusher(c).push(`${reg.host}/skiff/armonly:1`, src, arm.manifestDescriptor);
  await rejectsCode(new Resolver(c).pull(`${reg.host}/skiff/armonly:1`, await tempStore(t), { platform: parsePlatform('linux/amd64') }), 'NotFound',
    /was found but its platform \(linux\/arm64\) does not match the specified platform \(linux\/amd64\)/);
});

test('a transfer cut half-way resumes with Range and verifies', { skip }, async (t) => {
  const reg = await startRegistry(t);
  const src = await tempStore(t);
  const img = await buildImage(src, [await busyboxLayer()]);
  const c = client(t);
  await new Pusher(c).push(`${reg.host}/skiff/resume:1`, src, img.manifestDescriptor);
  const layer = img.layers[0]!.descriptor;
  const half = Math.floor(layer.size / 2);
  const proxy = await startProxy(t, reg.host, [{ pathSuffix: `/blobs/${layer.digest}`, cutAfterBytes: half, times: 1 }]);

  const dst = await tempStore(t);
  const events: ProgressEvent[] = [];
  await new Resolver(c, { retry: { attempts: 3, baseDelayMs: 5 } }).pull(`${proxy.host}/skiff/resume:1`, dst, { onProgress: (e) => events.push(e) });
  const gets = proxy.log.filter((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${layer.digest}`));
  assert.equal(gets.length, 2);
  assert.equal(gets[0]!.range, undefined);
  assert.match(gets[1]!.range ?? '', /^bytes=(\d+)-$/);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range!)![1]);
  assert.ok(resumedAt > 0 && resumedAt <= half, `resumed at ${resumedAt}`);
  assert.equal(gets[1]!.status, 206);
  assert.ok(events.some((e) => e.kind === 'blob' && e.status === 'retrying'));
  assert.ok(events.some((e) => e.kind === 'blob' && e.resumedFromBytes === resumedAt));
  assert.deepEqual(await readBlob(dst, layer), img.layers[0]!.bytes);

  // An ingest left by an earlier (crashed) pull is resumed too.
  const dst2 = await tempStore(t);
  const w = await dst2.writer(`fetch-${layer.digest}`, { expected: { digest: layer.digest, size: layer.size } });
  await w.write(img.layers[0]!.bytes.subarray(0, 1000));
  await w.close();
  const before = proxy.log.length;
  await new Resolver(c).pull(`${proxy.host}/skiff/resume:1`, dst2);
  const later = proxy.log.slice(before).filter((r) => r.path.endsWith(`/blobs/${layer.digest}`) && r.method === 'GET');
  assert.deepEqual(later.map((r) => r.range), ['bytes=1000-']);
  assert.equal(sha256Digest(await readBlob(dst2, layer)), layer.digest);
});

test('a blob with a wrong digest is refused and nothing is committed', { skip }, async (t) => {
  const reg = await startRegistry(t);
  const src = await tempStore(t);
  const img = await buildImage(src, [await busyboxLayer()]);
  const c = client(t);
  await new Pusher(c).push(`${reg.host}/skiff/corrupt:1`, src, img.manifestDescriptor);
  const layer = img.layers[0]!.descriptor;
  const proxy = await startProxy(t, reg.host, [{ pathSuffix: `/blobs/${layer.digest}`, corruptAt: 1234 }]);
  const dst = await tempStore(t);
  await rejectsCode(new Resolver(c).pull(`${proxy.host}/skiff/corrupt:1`, dst), 'DataLoss', /digest mismatch/);
  await rejectsCode(dst.info(layer.digest), 'NotFound');
  assert.deepEqual(await dst.statuses(), [], 'the bad ingest is aborted');
  const stored: string[] = [];
  await dst.walk((i) => { stored.push(i.digest); });
  assert.ok(!stored.includes(layer.digest));
});

test('zstd and foreign layers are refused before any layer is downloaded', { skip }, async (t) => {
  const reg = await startRegistry(t);
  const src = await tempStore(t);
  const img = await buildImage(src, [[{ name: 'x', data: Buffer.from('x') }]]);
  const c = client(t);
  // The registry stores whatever a manifest calls its layer; label the gzip layer zstd.
  const zmanifest: ImageManifest = { ...img.manifest, layers: [{ ...img.layers[0]!.descriptor, mediaType: MediaType.OciLayerZstd }] };
  const zbytes = Buffer.from(JSON.stringify(zmanifest));
  const zdesc: Descriptor = { mediaType: MediaType.OciManifest, digest: await writeBlob(src, 'zm', zbytes), size: zbytes.length };
  await new Pusher(c).push(`${reg.host}/skiff/zstd:1`, src, zdesc);
  const dst = await tempStore(t);
  await rejectsCode(new Resolver(c).pull(`${reg.host}/skiff/zstd:1`, dst), 'NotImplemented', /application\/vnd\.oci\.image\.layer\.v1\.tar\+zstd/);
  await rejectsCode(dst.info(img.layers[0]!.descriptor.digest), 'NotFound');
  const ok = await new Resolver(c).pull(`${reg.host}/skiff/zstd:1`, dst, { allowZstd: true });
  assert.equal(ok.layers[0]!.mediaType, MediaType.OciLayerZstd);

  const fmanifest: ImageManifest = { ...img.manifest, layers: [{ ...img.layers[0]!.descriptor, mediaType: MediaType.OciLayerNonDistributableGzip }] };
  const fbytes = Buffer.from(JSON.stringify(fmanifest));
  const fdesc: Descriptor = { mediaType: MediaType.OciManifest, digest: await writeBlob(src, 'fm', fbytes), size: fbytes.length };
  await new Pusher(c).push(`${reg.host}/skiff/foreign:1`, src, fdesc);
  await rejectsCode(new Resolver(c).pull(`${reg.host}/skiff/foreign:1`, await tempStore(t)), 'NotImplemented', /foreign \(non-distributable\) layer/);
});

test('HTTPS: a registry whose CA is trusted works with verification on; an unknown CA is refused clearly', { skip }, async (t) => {
  const { makeTlsCert } = await import('./registry-helpers.js');
  const cert = await makeTlsCert(t);
  const reg = await startRegistry(t, { tls: cert });
  const src = await tempStore(t);
  const img = await buildImage(src, [[{ name: 'tls', data: Buffer.from('over https\n') }]]);
  const trusted = new RegistryClient({ loopbackIsInsecure: false, ca: cert.pem });
  t.after(() => trusted.destroy());
  await new Pusher(trusted).push(`${reg.host}/skiff/tls:1`, src, img.manifestDescriptor);
  const dst = await tempStore(t);
  const pulled = await new Resolver(trusted).pull(`${reg.host}/skiff/tls:1`, dst);
  assert.equal(pulled.configDescriptor.digest, img.configDescriptor.digest);

  const untrusted = new RegistryClient({ loopbackIsInsecure: false, retry: { attempts: 1 } });
  t.after(() => untrusted.destroy());
  await rejectsCode(new Resolver(untrusted).resolve(`${reg.host}/skiff/tls:1`), 'Unavailable', /self[- ]signed certificate|certificate/i);
  // Marked insecure (docker's insecure-registries), the certificate is not verified.
  const insecure = new RegistryClient({ loopbackIsInsecure: false, insecureRegistries: [reg.host] });
  t.after(() => insecure.destroy());
  assert.equal((await new Resolver(insecure).resolve(`${reg.host}/skiff/tls:1`)).descriptor.digest, img.manifestDescriptor.digest);
});
