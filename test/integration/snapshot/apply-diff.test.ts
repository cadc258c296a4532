// Layer apply and diff on the real kernel (root): every entry type with its metadata, whiteouts in
// both forms (and what overlayfs makes of them once mounted), diffIDs, limits, and the round trip
// apply(diff(x)) == x.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, readFile, readdir, lstat, readlink, symlink, link, chown, chmod, utimes } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { codeOf } from '../../../src/base/index.js';
import { lgetxattr, lsetxattr, mknod, S_IFCHR, mountAll, umount, MNT_DETACH } from '../../../src/sys/index.js';
import { applyLayer, diffTar, unpackLayer, OverlaySnapshotter } from '../../../src/snapshot/index.js';
import { tarOf, sha256, type LayerEntry } from '../../fixtures/hostile-layers.js';
import { fingerprint, tempDir, cleanupFor } from './helpers.js';

const MTIME = new Date(1_650_000_000_000);

const rich: LayerEntry[] = [
  { header: { name: 'bin/', type: 'directory', mode: 0o755, mtime: MTIME } },
  { header: { name: 'bin/tool', type: 'file', mode: 0o4755, uid: 0, gid: 0, mtime: MTIME }, body: '#!/bin/sh\necho hi\n' },
  { header: { name: 'bin/alias', type: 'link', linkname: 'bin/tool' } },
  { header: { name: 'bin/abs', type: 'symlink', linkname: '/bin/tool', mtime: MTIME } },
  { header: { name: 'home/', type: 'directory', mode: 0o750, uid: 1000, gid: 1000, mtime: MTIME } },
  { header: { name: 'home/user.txt', type: 'file', mode: 0o600, uid: 1000, gid: 100, mtime: MTIME, pax: { 'SCHILY.xattr.user.note': 'hello' } }, body: 'owned' },
  { header: { name: 'tmp/', type: 'directory', mode: 0o1777, mtime: MTIME } },
  { header: { name: 'dev/', type: 'directory', mode: 0o755, mtime: MTIME } },
  { header: { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666, mtime: MTIME } },
  { header: { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660, gid: 6, mtime: MTIME } },
  { header: { name: 'dev/pipe', type: 'fifo', mode: 0o644, mtime: MTIME } },
  { header: { name: 'long/' + 'x'.repeat(120) + '/' + 'y'.repeat(150), type: 'file', mtime: MTIME }, body: 'long name' },
];

test('every entry type is applied with its metadata, and the diffID is the tar digest', async (t) => {
  const cleanup = cleanupFor(t);
  const dir = await tempDir(cleanup, 'skiff-apply-');
  const archive = await tarOf(rich);
  const res = await applyLayer(dir, [archive], { mode: 'copy' });
  assert.equal(res.diffId, sha256(archive));
  assert.equal(res.size, archive.length);
  assert.equal(res.entries, rich.length);
  const tool = await lstat(join(dir, 'bin/tool'));
  assert.equal(tool.mode & 0o7777, 0o4755);
  assert.equal(tool.mtime.getTime(), MTIME.getTime());
  assert.equal(tool.nlink, 2);
  assert.equal((await lstat(join(dir, 'bin/alias'))).ino, tool.ino);
  assert.equal(await readlink(join(dir, 'bin/abs')), '/bin/tool');
  const home = await lstat(join(dir, 'home'));
  assert.deepEqual([home.uid, home.gid, home.mode & 0o7777], [1000, 1000, 0o750]);
  assert.equal(home.mtime.getTime(), MTIME.getTime(), 'directory mtimes are set after their entries');
  const user = await lstat(join(dir, 'home/user.txt'));
  assert.deepEqual([user.uid, user.gid, user.mode & 0o7777], [1000, 100, 0o600]);
  assert.equal(lgetxattr(join(dir, 'home/user.txt'), 'user.note')?.toString(), 'hello');
  assert.equal((await lstat(join(dir, 'tmp'))).mode & 0o7777, 0o1777);
  const nul = await lstat(join(dir, 'dev/null'));
  assert.ok(nul.isCharacterDevice());
  assert.equal(nul.rdev, 0x103);
  assert.ok((await lstat(join(dir, 'dev/sda'))).isBlockDevice());
  assert.ok((await lstat(join(dir, 'dev/pipe'))).isFIFO());
  assert.equal(await readFile(join(dir, 'long', 'x'.repeat(120), 'y'.repeat(150)), 'utf8'), 'long name');

  const dir2 = await tempDir(cleanup, 'skiff-apply-gz-');
  const gz = await applyLayer(dir2, [gzipSync(archive)], { mode: 'copy' });
  assert.equal(gz.diffId, res.diffId, 'the diffID is over the uncompressed stream');
  assert.deepEqual(await fingerprint(dir2, { xattrs: true }), await fingerprint(dir, { xattrs: true }));
});

test('copy mode: whiteouts remove lower entries, opaque dirs are emptied, own entries survive', async (t) => {
  const cleanup = cleanupFor(t);
  const dir = await tempDir(cleanup, 'skiff-wh-copy-');
  await applyLayer(dir, [await tarOf([
    { header: { name: 'a', type: 'file' }, body: 'a' },
    { header: { name: 'b/', type: 'directory' } },
    { header: { name: 'b/inner', type: 'file' } },
    { header: { name: 'o/', type: 'directory' } },
    { header: { name: 'o/old', type: 'file' } },
  ])], { mode: 'copy' });
  await applyLayer(dir, [await tarOf([
    { header: { name: '.wh.a', type: 'file' } },
    { header: { name: '.wh.b', type: 'file' } },
    { header: { name: '.wh.missing', type: 'file' } },
    { header: { name: 'o/', type: 'directory' } },
    { header: { name: 'o/new', type: 'file' } },
    { header: { name: 'o/.wh..wh..opq', type: 'file' } },
    { header: { name: 'c', type: 'file' } },
    { header: { name: '.wh.c', type: 'file' } },
  ])], { mode: 'copy' });
  assert.deepEqual((await readdir(dir)).sort(), ['c', 'o']);
  assert.deepEqual(await readdir(join(dir, 'o')), ['new']);
});

test('overlay mode: whiteouts become char 0/0 and opaque xattrs, and overlayfs honours them', async (t) => {
  const cleanup = cleanupFor(t);
  const work = await tempDir(cleanup, 'skiff-wh-ovl-');
  const lower = join(work, 'lower');
  const upper = join(work, 'upper');
  const wd = join(work, 'work');
  const merged = join(work, 'merged');
  for (const d of [lower, upper, wd, merged]) await mkdir(d);
  await applyLayer(lower, [await tarOf([
    { header: { name: 'a', type: 'file' }, body: 'a' },
    { header: { name: 'o/', type: 'directory' } },
    { header: { name: 'o/old', type: 'file' } },
    { header: { name: 'keep', type: 'file' } },
  ])], { mode: 'copy' });
  await applyLayer(upper, [await tarOf([
    { header: { name: '.wh.a', type: 'file' } },
    { header: { name: 'o/', type: 'directory' } },
    { header: { name: 'o/.wh..wh..opq', type: 'file' } },
    { header: { name: 'o/new', type: 'file' } },
  ])], { mode: 'overlay' });
  const wh = await lstat(join(upper, 'a'));
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0);
  assert.equal(lgetxattr(join(upper, 'o'), 'trusted.overlay.opaque')?.toString(), 'y');
  cleanup.add(() => umount(merged, MNT_DETACH, true), 'umount merged');
  await mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`, `upperdir=${upper}`, `workdir=${wd}`] }], merged);
  assert.deepEqual((await readdir(merged)).sort(), ['keep', 'o']);
  assert.deepEqual(await readdir(join(merged, 'o')), ['new']);
});

test('a corrupt zstd stream is DataLoss naming the media type; size and entry limits bite', async (t) => {
  const cleanup = cleanupFor(t);
  const dir = await tempDir(cleanup, 'skiff-limits-');
  const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00, 0x01, 0x00, 0x00]);
  await assert.rejects(applyLayer(dir, [zstd], { mode: 'copy', mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }), (err: Error) =>
    codeOf(err) === 'DataLoss' && err.message.includes('application/vnd.oci.image.layer.v1.tar+zstd') && err.message.includes('zstd'));
  const big = await tarOf([{ header: { name: 'big', type: 'file' }, body: Buffer.alloc(1 << 20) }]);
  await assert.rejects(applyLayer(dir, [gzipSync(big)], { mode: 'copy', maxSizeBytes: 1 << 19 }), (err: Error) => codeOf(err) === 'ResourceExhausted');
  const many = await tarOf(Array.from({ length: 20 }, (_, i) => ({ header: { name: `f${i}`, type: 'file' as const } })));
  await assert.rejects(applyLayer(dir, [many], { mode: 'copy', maxEntries: 10 }), (err: Error) => codeOf(err) === 'ResourceExhausted');
});

test('round trip: apply(diff(x)) == x, and diff is deterministic', async (t) => {
  const cleanup = cleanupFor(t);
  const work = await tempDir(cleanup, 'skiff-roundtrip-');
  const x = join(work, 'x');
  const y = join(work, 'y');
  await mkdir(x);
  await mkdir(y);
  await applyLayer(x, [await tarOf(rich)], { mode: 'copy' });
  // Things a tar from elsewhere would not have: hardlink groups of three, an empty dir, odd owners.
  await mkdir(join(x, 'empty'));
  await writeFile(join(x, 'three'), 'three');
  await link(join(x, 'three'), join(x, 'three-b'));
  await link(join(x, 'three'), join(x, 'long', 'three-c'));
  await symlink('../../nowhere', join(x, 'dangling'));
  await chown(join(x, 'three'), 12345, 54321);
  await chmod(join(x, 'empty'), 0o2775);
  lsetxattr(join(x, 'empty'), 'user.dir', 'attr');
  for (const p of ['three', 'empty', 'long']) await utimes(join(x, p), MTIME, MTIME);
  const tarBytes = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of diffTar(x, { mode: 'copy' })) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const first = await tarBytes();
  const second = await tarBytes();
  assert.equal(createHash('sha256').update(first).digest('hex'), createHash('sha256').update(second).digest('hex'));
  const res = await applyLayer(y, [first], { mode: 'copy' });
  assert.equal(res.diffId, sha256(first));
  assert.deepEqual(await fingerprint(y, { dirTimes: true, xattrs: true }), await fingerprint(x, { dirTimes: true, xattrs: true }));
});

test('round trip of an overlay upper dir keeps whiteouts and opaque dirs', async (t) => {
  const cleanup = cleanupFor(t);
  const work = await tempDir(cleanup, 'skiff-roundtrip-ovl-');
  const upper = join(work, 'upper');
  const again = join(work, 'again');
  await mkdir(join(upper, 'o'), { recursive: true });
  await mkdir(again);
  mknod(join(upper, 'gone'), S_IFCHR, 0, 0, 0);
  lsetxattr(join(upper, 'o'), 'trusted.overlay.opaque', 'y');
  await writeFile(join(upper, 'o', 'new'), 'new');
  // whole-second times: a file written at x.99 s must not be compared across a second boundary
  await utimes(join(upper, 'o', 'new'), new Date(1e12), new Date(1e12));
  // an old time on the whiteout too: applied again it keeps it (it used to get the time of the apply)
  await utimes(join(upper, 'gone'), new Date(1e12), new Date(1e12));
  const chunks: Buffer[] = [];
  for await (const c of diffTar(upper, { mode: 'overlay' })) chunks.push(c as Buffer);
  const names: string[] = [];
  const tarStream = await import('tar-stream');
  const ex = tarStream.extract();
  ex.end(Buffer.concat(chunks));
  for await (const e of ex) {
    names.push(e.header.name);
    e.resume();
  }
  assert.deepEqual(names, ['.wh.gone', 'o', 'o/.wh..wh..opq', 'o/new']);
  await applyLayer(again, [Buffer.concat(chunks)], { mode: 'overlay' });
  assert.deepEqual(await fingerprint(again, { xattrs: true }), await fingerprint(upper, { xattrs: true }));
});

test('unpackLayer commits on a good diffID and leaves nothing on a wrong one', async (t) => {
  const cleanup = cleanupFor(t);
  const work = await tempDir(cleanup, 'skiff-unpack-');
  const sn = await OverlaySnapshotter.open(join(work, 'root'));
  cleanup.add(() => sn.close(), 'close snapshotter');
  const archive = await tarOf([{ header: { name: 'f', type: 'file' }, body: 'f' }]);
  const ok = await unpackLayer(sn, { name: 'l1', layer: [gzipSync(archive)], expectedDiffId: sha256(archive) });
  assert.equal(ok.diffId, sha256(archive));
  await assert.rejects(
    unpackLayer(sn, { name: 'l2', parent: 'l1', layer: [archive], expectedDiffId: `sha256:${'0'.repeat(64)}` }),
    (err: Error) => codeOf(err) === 'DataLoss' && err.message.includes('l2'),
  );
  const names: string[] = [];
  await sn.walk((i) => {
    names.push(i.name);
  });
  assert.deepEqual(names, ['l1']);
  assert.deepEqual(await readdir(join(work, 'root', 'snapshots')), ['1']);
});
