import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { access, writeFile } from 'node:fs/promises';
import { createCgroupManager, type CgroupManager } from '../../../../src/runtime/cgroups/index.js';
import { isCode } from '../../../../src/base/index.js';
import { files, hybridFixture, read, tmpRoot } from './fixture.js';
import type { TestContext } from 'node:test';

const P = '/skiff/c1';

async function setup(t: TestContext, opts: { create?: boolean } = {}): Promise<{ root: string; m: CgroupManager; writes: [string, string][] }> {
  const root = await tmpRoot(t);
  const mountinfoPath = await hybridFixture(root, opts.create === false ? '/unused' : P);
  const writes: [string, string][] = [];
  const m = createCgroupManager({ layout: 'hybrid', root, path: P, mountinfoPath, trace: (p, v) => writes.push([p.slice(root.length), v]) });
  return { root, m, writes };
}

void test('create copies cpuset.cpus and cpuset.mems from the parent, top-down', async (t) => {
  const root = await tmpRoot(t);
  const mountinfoPath = await hybridFixture(root, '/unused');
  // The kernel creates the files with a new directory; pre-create them empty like it would.
  await files(join(root, 'cpuset', 'skiff'), { 'cpuset.cpus': '', 'cpuset.mems': '' });
  await files(join(root, 'cpuset', 'skiff', 'c1'), { 'cpuset.cpus': '', 'cpuset.mems': '' });
  const writes: string[] = [];
  const m = createCgroupManager({ layout: 'hybrid', root, path: P, mountinfoPath, trace: (p, v) => writes.push(`${p.slice(root.length)}=${v}`) });
  await m.create();
  assert.equal(await read(join(root, 'cpuset/skiff'), 'cpuset.cpus'), '0-1');
  assert.equal(await read(join(root, 'cpuset/skiff/c1'), 'cpuset.mems'), '0');
  assert.deepEqual(writes.slice(0, 4), [
    '/cpuset/skiff/cpuset.cpus=0-1', '/cpuset/skiff/cpuset.mems=0', '/cpuset/skiff/c1/cpuset.cpus=0-1', '/cpuset/skiff/c1/cpuset.mems=0',
  ]);
  for (const c of ['cpu', 'cpuacct', 'memory', 'pids', 'blkio', 'devices', 'freezer', 'unified']) await access(join(root, c, P));
  await assert.rejects(access(join(root, 'systemd', P)), 'name=systemd is not a resource controller');
  // hybrid: hugetlb (only in unified) enabled in the unified root's subtree_control
  assert.ok(writes.includes('/unified/cgroup.subtree_control=+hugetlb'));
});

void test('apply writes each controller file as runc does', async (t) => {
  const { root, m, writes } = await setup(t);
  await files(join(root, 'unified', P), { 'hugetlb.2MB.max': 'max\n' });
  await m.apply({
    memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20, swappiness: 0, disableOOMKiller: true, kernel: 1 << 20, kernelTCP: 1 << 20 },
    cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, cpus: '0', mems: '0', realtimePeriod: 1000000, realtimeRuntime: 950000 },
    pids: { limit: 10 },
    blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 100 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 4 << 21 }],
    devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }],
  });
  const at = (f: string): string[] => writes.filter(([p]) => p.endsWith(`/${f}`)).map(([, v]) => v);
  const d = (c: string): string => join(root, c, P);
  // memsw above the current limit (unlimited): memory first; kernel limits ignored
  const memOrder = writes.map(([p]) => p).filter((p) => /memory\.(memsw\.)?limit_in_bytes$/.test(p));
  assert.deepEqual(memOrder, [`/memory${P}/memory.limit_in_bytes`, `/memory${P}/memory.memsw.limit_in_bytes`]);
  assert.equal(await read(d('memory'), 'memory.limit_in_bytes'), String(64 << 20));
  assert.equal(await read(d('memory'), 'memory.memsw.limit_in_bytes'), String(128 << 20));
  assert.equal(await read(d('memory'), 'memory.soft_limit_in_bytes'), String(32 << 20));
  assert.equal(await read(d('memory'), 'memory.swappiness'), '0');
  assert.equal(await read(d('memory'), 'memory.oom_control'), '1');
  assert.equal(await read(d('memory'), 'memory.kmem.limit_in_bytes'), '9223372036854771712\n');
  assert.equal(await read(d('cpu'), 'cpu.shares'), '512');
  assert.deepEqual(writes.map(([p]) => p).filter((p) => p.includes('cfs_')), [
    `/cpu${P}/cpu.cfs_period_us`, `/cpu${P}/cpu.cfs_quota_us`, `/cpu${P}/cpu.cfs_burst_us`]);
  assert.equal(await read(d('cpu'), 'cpu.cfs_quota_us'), '50000');
  assert.deepEqual(writes.map(([p]) => p).filter((p) => p.includes('.rt_')), [`/cpu${P}/cpu.rt_period_us`, `/cpu${P}/cpu.rt_runtime_us`]);
  assert.equal(await read(d('cpuset'), 'cpuset.cpus'), '0');
  assert.equal(await read(d('pids'), 'pids.max'), '10');
  assert.equal(await read(d('blkio'), 'blkio.weight'), '300');
  assert.equal(await read(d('blkio'), 'blkio.weight_device'), '8:0 200');
  assert.equal(await read(d('blkio'), 'blkio.throttle.read_bps_device'), '8:0 1048576');
  assert.equal(await read(d('blkio'), 'blkio.throttle.write_iops_device'), '8:16 100');
  // hybrid: hugetlb goes to the unified mount as hugetlb.<size>.max
  assert.equal(await read(join(root, 'unified', P), 'hugetlb.2MB.max'), String(4 << 21));
  // devices: `a` denied first, then each rule in order
  assert.deepEqual(writes.filter(([p]) => p.includes('devices.')).map(([p, v]) => `${p.split('/').pop()} ${v}`), [
    'devices.deny a', 'devices.allow c 1:3 rwm', 'devices.deny c 1:3 w']);
  assert.deepEqual(at('pids.max'), ['10']);
});

void test('memsw is written before the limit when raising both past the current limit', async (t) => {
  const { root, m, writes } = await setup(t);
  await writeFile(join(root, 'memory', P, 'memory.limit_in_bytes'), String(64 << 20));
  await m.apply({ memory: { limit: 256 << 20, swap: 512 << 20 } });
  assert.deepEqual(writes.map(([p]) => p.split('/').pop()), ['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes']);
});

void test('unlimited memory with swap unset also unlimits memsw', async (t) => {
  const { m, writes } = await setup(t);
  await m.apply({ memory: { limit: -1 } });
  assert.deepEqual(writes.map(([p, v]) => `${p.split('/').pop()}=${v}`), ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
});

void test('errors name the field and the file', async (t) => {
  const { m } = await setup(t);
  await assert.rejects(m.apply({ memory: { swappiness: 101 } }), (e: Error) =>
    isCode(e, 'InvalidArgument') && /^linux\.resources\.memory\.swappiness: invalid value 101/.test(e.message));
  await assert.rejects(m.apply({ memory: { limit: 100, swap: 50 } }), /linux\.resources\.memory\.swap: memory\+swap limit \(50\) should be >= memory limit/);
  await assert.rejects(m.apply({ network: { classID: 1 } }), (e: Error) =>
    isCode(e, 'NotImplemented') && /^linux\.resources\.network\.classID: cgroup v1 net_cls controller is not mounted/.test(e.message));
  // a file the kernel lacks
  await assert.rejects(m.apply({ blockIO: { leafWeight: 10 } }), (e: Error) =>
    isCode(e, 'NotImplemented') && e.message === 'linux.resources.blockIO.leafWeight: cgroup v1 blkio.leaf_weight: no such file or directory');
  await assert.rejects(m.apply({ unified: { 'memory.high': '1' } }), /linux\.resources\.unified\["memory\.high"\]: cgroup v2 file memory\.high does not exist/);
});

void test('stats read memory (incl. oom_kill), cpu, pids and blkio', async (t) => {
  const { m } = await setup(t);
  const s = await m.stats();
  assert.deepEqual({ ...s.memory, raw: undefined }, {
    usageBytes: 4096000, maxUsageBytes: 8192000, limitBytes: null, failcnt: 7, oomKillCount: 2, cacheBytes: 1000,
    inactiveFileBytes: 300, swapUsageBytes: 5000000 - 4096000, swapLimitBytes: null, raw: undefined,
  });
  assert.equal(s.memory?.raw.rss, 2000);
  assert.deepEqual(s.cpu, {
    usageTotalNs: 123456789, usageUserNs: 12 * 1e7, usageSystemNs: 3 * 1e7, perCpuNs: [100000000, 23456789],
    throttling: { periods: 10, throttledPeriods: 3, throttledTimeNs: 5000 },
  });
  assert.deepEqual(s.pids, { current: 3, limit: null });
  assert.deepEqual(s.blkio?.ioServiceBytes.slice(0, 2), [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 8192 }]);
  assert.equal(s.blkio?.ioServiced.length, 2);
});

void test('freeze writes freezer.state and reads it back; pids', async (t) => {
  const { root, m } = await setup(t);
  await m.freeze('frozen');
  assert.equal(await read(join(root, 'freezer', P), 'freezer.state'), 'FROZEN');
  await writeFile(join(root, 'pids', P, 'cgroup.procs'), '11\n12\n');
  assert.deepEqual(await m.pids(), [11, 12]);
});
