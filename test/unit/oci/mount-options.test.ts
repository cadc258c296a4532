// Mount option parsing with runc's table: flags, explicit clears, propagation, recursive attributes,
// extensions, and filesystem data in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMountOptions, MS, MOUNT_ATTR, KNOWN_MOUNT_OPTIONS, propagationFlags, isBindMount } from '../../../src/oci/index.js';

void test('MS_* and MOUNT_ATTR_* values match linux/mount.h', () => {
  assert.equal(MS.RDONLY, 1);
  assert.equal(MS.REMOUNT, 32);
  assert.equal(MS.BIND, 4096);
  assert.equal(MS.REC, 16384);
  assert.equal(MS.PRIVATE, 1 << 18);
  assert.equal(MS.SLAVE, 1 << 19);
  assert.equal(MS.SHARED, 1 << 20);
  assert.equal(MS.UNBINDABLE, 1 << 17);
  assert.equal(MS.RELATIME, 1 << 21);
  assert.equal(MS.STRICTATIME, 1 << 24);
  assert.equal(MS.LAZYTIME, 1 << 25);
  assert.equal(MOUNT_ATTR.IDMAP, 0x100000);
  assert.equal(MOUNT_ATTR.NOSYMFOLLOW, 0x200000);
});

void test('runc spec /dev and /dev/pts options', () => {
  assert.deepEqual(parseMountOptions(['nosuid', 'strictatime', 'mode=755', 'size=65536k']), {
    flags: MS.NOSUID | MS.STRICTATIME, clearFlags: 0, propagation: [], recAttrSet: 0, recAttrClr: 0,
    data: 'mode=755,size=65536k', extensions: [],
  });
  const pts = parseMountOptions(['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
  assert.equal(pts.flags, MS.NOSUID | MS.NOEXEC);
  assert.equal(pts.data, 'newinstance,ptmxmode=0666,mode=0620,gid=5');
});

void test('no options and undefined options', () => {
  const empty = { flags: 0, clearFlags: 0, propagation: [], recAttrSet: 0, recAttrClr: 0, data: '', extensions: [] };
  assert.deepEqual(parseMountOptions([]), empty);
  assert.deepEqual(parseMountOptions(), empty);
});

void test('set/clear pairs: the later option wins and clears are recorded', () => {
  const pairs: [string, string, number][] = [
    ['ro', 'rw', MS.RDONLY], ['nosuid', 'suid', MS.NOSUID], ['nodev', 'dev', MS.NODEV], ['noexec', 'exec', MS.NOEXEC],
    ['sync', 'async', MS.SYNCHRONOUS], ['mand', 'nomand', MS.MANDLOCK], ['noatime', 'atime', MS.NOATIME],
    ['nodiratime', 'diratime', MS.NODIRATIME], ['relatime', 'norelatime', MS.RELATIME],
    ['strictatime', 'nostrictatime', MS.STRICTATIME], ['iversion', 'noiversion', MS.I_VERSION],
    ['lazytime', 'nolazytime', MS.LAZYTIME], ['silent', 'loud', MS.SILENT], ['nosymfollow', 'symfollow', MS.NOSYMFOLLOW],
  ];
  for (const [set, clear, flag] of pairs) {
    assert.deepEqual(parseMountOptions([set]).flags, flag, set);
    assert.equal(parseMountOptions([set]).clearFlags, 0, set);
    const a = parseMountOptions([set, clear]);
    assert.equal(a.flags, 0, `${set},${clear}`);
    assert.equal(a.clearFlags, flag, `${set},${clear}`);
    const b = parseMountOptions([clear, set]);
    assert.equal(b.flags, flag, `${clear},${set}`);
    assert.equal(b.clearFlags, 0, `${clear},${set}`);
    assert.equal(a.data, '');
  }
});

void test('single flags: dirsync, remount, bind, rbind', () => {
  assert.equal(parseMountOptions(['dirsync']).flags, MS.DIRSYNC);
  assert.equal(parseMountOptions(['remount', 'ro']).flags, MS.REMOUNT | MS.RDONLY);
  assert.equal(parseMountOptions(['bind']).flags, MS.BIND);
  assert.equal(parseMountOptions(['rbind']).flags, MS.BIND | MS.REC);
  assert.equal(isBindMount(['rbind']), true);
  assert.equal(isBindMount(['nosuid']), false);
  assert.equal(isBindMount(), false);
});

void test('propagation: one entry per option, in order', () => {
  const p = parseMountOptions(['rbind', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable']);
  assert.deepEqual(p.propagation, [
    MS.PRIVATE, MS.PRIVATE | MS.REC, MS.SHARED, MS.SHARED | MS.REC, MS.SLAVE, MS.SLAVE | MS.REC,
    MS.UNBINDABLE, MS.UNBINDABLE | MS.REC,
  ]);
  assert.equal(p.flags, MS.BIND | MS.REC);
  assert.equal(propagationFlags('rslave'), MS.SLAVE | MS.REC);
  assert.equal(propagationFlags('rro'), undefined);
});

void test('recursive attributes: set, clear, and the access-time field', () => {
  const a = parseMountOptions(['rbind', 'rro', 'rnosuid', 'rnodev', 'rnoexec']);
  assert.equal(a.recAttrSet, MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC);
  assert.equal(a.recAttrClr, 0);
  assert.equal(a.flags, MS.BIND | MS.REC);
  const b = parseMountOptions(['rro', 'rrw']);
  assert.equal(b.recAttrSet, 0);
  assert.equal(b.recAttrClr, MOUNT_ATTR.RDONLY);
  const c = parseMountOptions(['rsuid', 'rdev', 'rexec', 'rdiratime', 'ratime', 'rnostrictatime', 'rsymfollow']);
  assert.equal(c.recAttrClr, MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC | MOUNT_ATTR.NODIRATIME
    | MOUNT_ATTR.NOATIME | MOUNT_ATTR.STRICTATIME | MOUNT_ATTR.NOSYMFOLLOW);
  // an access-time mode in attr_set needs MOUNT_ATTR__ATIME in attr_clr (mount_setattr(2))
  const d = parseMountOptions(['rnoatime']);
  assert.equal(d.recAttrSet, MOUNT_ATTR.NOATIME);
  assert.equal(d.recAttrClr, MOUNT_ATTR._ATIME);
  const e = parseMountOptions(['rrelatime']);
  assert.equal(e.recAttrSet, 0);
  assert.equal(e.recAttrClr, MOUNT_ATTR._ATIME);
  const f = parseMountOptions(['rstrictatime', 'rnodiratime', 'rnosymfollow']);
  assert.equal(f.recAttrSet, MOUNT_ATTR.STRICTATIME | MOUNT_ATTR.NODIRATIME | MOUNT_ATTR.NOSYMFOLLOW);
  assert.equal(f.recAttrClr, MOUNT_ATTR._ATIME);
  assert.equal(f.data, '');
});

void test('extensions: tmpcopyup, idmap, ridmap, without duplicates', () => {
  const p = parseMountOptions(['tmpcopyup', 'mode=1777', 'ridmap', 'idmap', 'tmpcopyup']);
  assert.deepEqual(p.extensions, ['tmpcopyup', 'ridmap', 'idmap']);
  assert.equal(p.data, 'mode=1777');
});

void test('unknown options are data, in order; acl stays data; defaults is dropped', () => {
  const p = parseMountOptions(['lowerdir=/a:/b', 'nosuid', 'upperdir=/u', 'workdir=/w', 'acl', 'defaults', 'x-foo']);
  assert.equal(p.data, 'lowerdir=/a:/b,upperdir=/u,workdir=/w,acl,x-foo');
  assert.equal(p.flags, MS.NOSUID);
  // prototype names are not table entries
  assert.equal(parseMountOptions(['constructor', 'toString']).data, 'constructor,toString');
});

void test('KNOWN_MOUNT_OPTIONS lists every table name once, sorted', () => {
  assert.equal(new Set(KNOWN_MOUNT_OPTIONS).size, KNOWN_MOUNT_OPTIONS.length);
  for (const o of ['ro', 'rbind', 'rprivate', 'rro', 'tmpcopyup', 'idmap', 'ridmap', 'nosymfollow']) assert.ok(KNOWN_MOUNT_OPTIONS.includes(o), o);
  assert.deepEqual([...KNOWN_MOUNT_OPTIONS].sort(), KNOWN_MOUNT_OPTIONS);
});
