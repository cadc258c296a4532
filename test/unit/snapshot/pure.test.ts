// Pure parts of snapshot/ and the option handling of sys/mount.ts: no root, no mounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeOf } from '../../../src/base/index.js';
import { compactLowerdir, parseMountOptions, makedev, MS_BIND, MS_REC, MS_RDONLY, MS_NOSUID, MS_PRIVATE } from '../../../src/sys/index.js';
import { cleanEntryPath, applyTargetOf, SNAPSHOT_SCHEMA_VERSION } from '../../../src/snapshot/index.js';
import { SnapshotMetadata, matchesFilter } from '../../../src/snapshot/metadata.js';
import { validateKey } from '../../../src/snapshot/base-snapshotter.js';

test('cleanEntryPath keeps names inside the target', () => {
  assert.equal(cleanEntryPath('./a/b'), 'a/b');
  assert.equal(cleanEntryPath('/etc/passwd'), 'etc/passwd');
  assert.equal(cleanEntryPath('a//b/./c/'), 'a/b/c');
  assert.equal(cleanEntryPath('a/b/../c'), 'a/c');
  assert.equal(cleanEntryPath('./'), '');
  assert.equal(cleanEntryPath('a/..'), '');
  for (const bad of ['../x', 'a/../../x', '/../x', '..']) {
    assert.throws(() => cleanEntryPath(bad), (err: Error) => codeOf(err) === 'InvalidArgument' && err.message.includes(bad));
  }
  assert.throws(() => cleanEntryPath('a\0b'), /NUL/);
  assert.throws(() => cleanEntryPath('n'.repeat(256)), /longer than 255/);
  assert.throws(() => cleanEntryPath('a/'.repeat(2100)), /longer than 4096/);
  assert.equal(cleanEntryPath('n'.repeat(255)), 'n'.repeat(255));
});

test('parseMountOptions splits flags, propagation and data', () => {
  assert.deepEqual(parseMountOptions(['ro', 'rbind']), { flags: MS_RDONLY | MS_BIND | MS_REC, propagation: 0, data: '' });
  assert.deepEqual(parseMountOptions(['rw', 'nosuid', 'rprivate', 'lowerdir=/a:/b', 'upperdir=/u']), {
    flags: MS_NOSUID, propagation: MS_PRIVATE | MS_REC, data: 'lowerdir=/a:/b,upperdir=/u',
  });
  assert.equal(parseMountOptions(['ro', 'rw']).flags, 0);
});

test('compactLowerdir makes deep lowerdirs relative to their common directory', () => {
  const root = '/var/lib/skiff/snapshots/overlay';
  const lowers = Array.from({ length: 120 }, (_, i) => `${root}/l/${String(i).padStart(12, 'A')}`);
  const data = `workdir=${root}/snapshots/9/work,upperdir=${root}/snapshots/9/fs,lowerdir=${lowers.join(':')}`;
  assert.ok(data.length > 4096);
  const c = compactLowerdir(data);
  assert.ok(c !== undefined);
  assert.equal(c.dir, `${root}/l`);
  assert.ok(c.data.length < 4096, `${c.data.length}`);
  assert.ok(c.data.startsWith(`workdir=${root}/snapshots/9/work,upperdir=${root}/snapshots/9/fs,lowerdir=AAAAAAAAAAA0:`));
  assert.equal(compactLowerdir('lowerdir=/a:/b'), undefined, 'short data is left alone');
});

test('makedev matches glibc for small and large numbers', () => {
  assert.equal(makedev(1, 3), 0x103n);
  assert.equal(makedev(8, 0), 0x800n);
  assert.equal(makedev(0, 0), 0n);
  assert.equal(makedev(259, 65536), 0x10010300n);
  assert.equal(makedev(4096, 0), 1n << 44n);
});

test('applyTargetOf finds the upperdir or the writable bind source', () => {
  assert.deepEqual(applyTargetOf([{ type: 'overlay', source: 'overlay', options: ['workdir=/w', 'upperdir=/u', 'lowerdir=/l1:/l2'] }]), { dir: '/u', mode: 'overlay' });
  assert.deepEqual(applyTargetOf([{ type: 'bind', source: '/s', options: ['rw', 'rbind'] }]), { dir: '/s', mode: 'copy' });
  assert.throws(() => applyTargetOf([{ type: 'bind', source: '/s', options: ['ro', 'rbind'] }]));
  assert.throws(() => applyTargetOf([{ type: 'overlay', source: 'overlay', options: ['lowerdir=/a:/b'] }]));
});

test('validateKey refuses empty keys and NUL bytes', () => {
  assert.equal(validateKey('sha256:abc'), 'sha256:abc');
  assert.throws(() => validateKey(''), (err) => codeOf(err) === 'InvalidArgument');
  assert.throws(() => validateKey('a\0b'), (err) => codeOf(err) === 'InvalidArgument');
});

test('matchesFilter: kind, parent, labels with any value', () => {
  const info = { kind: 'committed' as const, name: 'n', parent: 'p', labels: { a: '1', b: '' }, created: new Date(), updated: new Date() };
  assert.ok(matchesFilter(info, undefined));
  assert.ok(matchesFilter(info, { kind: 'committed', parent: 'p', labels: { a: '1', b: '' } }));
  assert.ok(!matchesFilter(info, { kind: 'active' }));
  assert.ok(!matchesFilter(info, { labels: { a: '2' } }));
  assert.ok(!matchesFilter(info, { labels: { c: '' } }));
});

test('metadata: schema version, chains, and refusal of a newer schema', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-meta-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'metadata.db');
  const m = new SnapshotMetadata(path);
  assert.equal(m.db.pragma('user_version', { simple: true }), SNAPSHOT_SCHEMA_VERSION);
  assert.equal(m.db.pragma('journal_mode', { simple: true }), 'wal');
  const a = m.insert({ key: 'a', parentId: null, kind: 'committed', labels: {}, link: 'L1' });
  const b = m.insert({ key: 'b', parentId: a, kind: 'committed', labels: { x: 'y' }, link: 'L2' });
  const c = m.insert({ key: 'c', parentId: b, kind: 'active', labels: {}, link: 'L3' });
  assert.deepEqual(m.chain(c).map((r) => r.key), ['c', 'b', 'a']);
  assert.equal(m.childCount(a), 1);
  assert.throws(() => m.delete(a), /FOREIGN KEY/, 'a parent row cannot go before its children');
  assert.equal(m.info(m.get('b')!).parent, 'a');
  m.db.pragma('user_version = 99');
  m.close();
  assert.throws(() => new SnapshotMetadata(path), /newer/);
});
