import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { cgroupMountsFromMountinfo, detectCgroupLayout, layoutFromMounts } from '../../../../src/runtime/cgroups/index.js';
import { hybridMountinfo, tmpRoot } from './fixture.js';

const R = '/sys/fs/cgroup';

void test('this host: separate cpu and cpuacct mounts, name=systemd, hugetlb only in unified → hybrid', () => {
  const m = cgroupMountsFromMountinfo(hybridMountinfo(R), R);
  assert.equal(layoutFromMounts(m, R), 'hybrid');
  assert.equal(m.v1.get('cpu')?.mountPoint, `${R}/cpu`);
  assert.equal(m.v1.get('cpuacct')?.mountPoint, `${R}/cpuacct`);
  assert.equal(m.v1.get('name=systemd')?.mountPoint, `${R}/systemd`);
  assert.equal(m.v1.has('hugetlb'), false);
  assert.equal(m.unified, `${R}/unified`);
});

void test('co-mounted cpu,cpuacct share one mount; no cgroup2 → legacy', () => {
  const text = [
    `30 22 0:27 / ${R} ro,nosuid - tmpfs tmpfs ro,mode=755`,
    `31 30 0:28 / ${R}/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct`,
    `32 30 0:29 / ${R}/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio`,
    `33 30 0:30 / ${R}/memory rw - cgroup cgroup rw,memory,clone_children`,
    `34 30 0:31 / ${R}/systemd rw - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd`,
  ].join('\n');
  const m = cgroupMountsFromMountinfo(text, R);
  assert.equal(layoutFromMounts(m, R), 'legacy');
  assert.equal(m.v1.get('cpu'), m.v1.get('cpuacct'));
  assert.deepEqual(m.v1.get('cpu')?.controllers, ['cpu', 'cpuacct']);
  assert.deepEqual(m.v1.get('memory')?.controllers, ['memory']);
  assert.equal(m.v1.get('net_prio')?.mountPoint, `${R}/net_cls,net_prio`);
  assert.deepEqual(m.v1.get('name=systemd')?.controllers, ['name=systemd']);
});

void test('cgroup2 at the root → unified; mounts elsewhere are ignored', () => {
  const text = [
    `26 22 0:23 / ${R} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`,
    `90 30 0:50 / /tmp/other rw - cgroup cgroup rw,memory`,
  ].join('\n');
  const m = cgroupMountsFromMountinfo(text, R);
  assert.equal(layoutFromMounts(m, R), 'unified');
  assert.equal(m.v1.size, 0);
});

void test('mount points with escaped spaces and cgroup-namespace roots are kept', () => {
  const text = `31 30 0:28 /kubepods/pod1 /sys/fs/cgroup/mem\\040ory rw - cgroup cgroup rw,memory`;
  const m = cgroupMountsFromMountinfo(text, R);
  assert.equal(m.v1.get('memory')?.mountPoint, '/sys/fs/cgroup/mem ory');
  assert.equal(m.v1.get('memory')?.root, '/kubepods/pod1');
});

void test('detectCgroupLayout reads a fixture mountinfo under a tmpdir root', async (t) => {
  const root = await tmpRoot(t);
  const mi = join(root, 'mountinfo');
  await writeFile(mi, hybridMountinfo(root));
  assert.equal(await detectCgroupLayout(root, { mountinfoPath: mi }), 'hybrid');
  await writeFile(mi, `26 22 0:23 / ${root} rw - cgroup2 cgroup2 rw\n`);
  assert.equal(await detectCgroupLayout(root, { mountinfoPath: mi }), 'unified');
  await writeFile(mi, `31 30 0:28 / ${root}/memory rw - cgroup cgroup rw,memory\n`);
  assert.equal(await detectCgroupLayout(root, { mountinfoPath: mi }), 'legacy');
});

void test('detectCgroupLayout on the real host agrees with its mountinfo', async () => {
  const layout = await detectCgroupLayout();
  assert.ok(['unified', 'hybrid', 'legacy'].includes(layout));
});
