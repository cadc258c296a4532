import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import {
  convertBlkioWeightToV2, convertCpuSharesToWeight, convertSwapToV2, cpuMaxValue, createCgroupManager,
} from '../../../../src/runtime/cgroups/index.js';
import { isCode } from '../../../../src/base/index.js';
import { files, read, tmpRoot } from './fixture.js';
import type { TestContext } from 'node:test';

const P = '/skiff/c1';
const ALL = 'cpuset cpu io memory hugetlb pids rdma misc';

async function setup(t: TestContext) {
  const root = await tmpRoot(t);
  await files(root, { 'cgroup.controllers': `${ALL}\n`, 'cgroup.subtree_control': '' });
  await files(join(root, 'skiff'), { 'cgroup.controllers': `${ALL}\n`, 'cgroup.subtree_control': '' });
  await files(join(root, P), {
    'cgroup.controllers': `${ALL}\n`, 'cgroup.procs': '', 'cgroup.freeze': '0\n', 'cgroup.events': 'populated 0\nfrozen 0\n',
    'memory.max': 'max\n', 'memory.swap.max': 'max\n', 'memory.low': '0\n', 'memory.high': 'max\n', 'memory.oom.group': '0\n',
    'memory.current': '5000\n', 'memory.peak': '9000\n', 'memory.swap.current': '0\n',
    'memory.events': 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n', 'memory.stat': 'anon 3000\nfile 2000\ninactive_file 700\n',
    'cpu.weight': '100\n', 'cpu.max': 'max 100000\n', 'cpu.max.burst': '0\n', 'cpu.idle': '0\n',
    'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 2\nthrottled_usec 77\n',
    'cpuset.cpus': '', 'cpuset.mems': '', 'pids.max': 'max\n', 'pids.current': '2\n', 'io.weight': 'default 100\n', 'io.max': '',
    'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n', 'hugetlb.2MB.max': 'max\n', 'hugetlb.2MB.current': '0\n',
    'hugetlb.2MB.events': 'max 0\n',
  });
  const writes: string[] = [];
  const m = createCgroupManager({ layout: 'unified', root, path: P, trace: (p, v) => writes.push(`${p.slice(root.length)}=${v}`) });
  return { root, m, writes, dir: join(root, P) };
}

void test('create enables every available controller from the root down to the parent', async (t) => {
  const { m, writes } = await setup(t);
  await m.create();
  const expected = ALL.split(' ');
  assert.deepEqual(writes, [
    ...expected.map((c) => `/cgroup.subtree_control=+${c}`),
    ...expected.map((c) => `/skiff/cgroup.subtree_control=+${c}`),
  ]);
});

void test('runc conversions: shares → weight, swap, blkio weight, cpu.max', () => {
  assert.equal(convertCpuSharesToWeight(1024), 100);
  assert.equal(convertCpuSharesToWeight(2), 1);
  assert.equal(convertCpuSharesToWeight(262144), 10000);
  assert.equal(convertCpuSharesToWeight(512), 59);
  assert.equal(convertCpuSharesToWeight(0), 0);
  assert.equal(convertSwapToV2(200, 100), 100);
  assert.equal(convertSwapToV2(100, 100), 0);
  assert.equal(convertSwapToV2(0, -1), -1);
  assert.equal(convertSwapToV2(-1, 100), -1);
  assert.equal(convertSwapToV2(0, 100), undefined);
  assert.throws(() => convertSwapToV2(100, 0), /linux\.resources\.memory\.swap: unable to set swap limit without memory limit/);
  assert.throws(() => convertSwapToV2(50, 100), /should be >= memory limit/);
  assert.equal(convertBlkioWeightToV2(10), 1);
  assert.equal(convertBlkioWeightToV2(1000), 10000);
  assert.equal(convertBlkioWeightToV2(500), 4950);
  assert.equal(cpuMaxValue(50000, 100000), '50000 100000');
  assert.equal(cpuMaxValue(-1, 100000), 'max 100000');
  assert.equal(cpuMaxValue(50000, undefined), '50000');
  assert.equal(cpuMaxValue(undefined, undefined), undefined);
});

void test('apply writes the v2 files', async (t) => {
  const { m, dir, writes } = await setup(t);
  await m.apply({
    memory: { limit: 64 << 20, swap: 96 << 20, reservation: 16 << 20, swappiness: 10, disableOOMKiller: true },
    cpu: { shares: 1024, quota: 20000, period: 100000, burst: 5000, cpus: '0-1', mems: '0' },
    pids: { limit: -1 },
    blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 50 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 2 << 21 }],
    unified: { 'memory.high': '1000000' },
  });
  assert.equal(await read(dir, 'memory.max'), String(64 << 20));
  assert.equal(await read(dir, 'memory.swap.max'), String(32 << 20));
  assert.ok(writes.indexOf(`${P}/memory.swap.max=${32 << 20}`) < writes.indexOf(`${P}/memory.max=${64 << 20}`), 'swap before max');
  assert.equal(await read(dir, 'memory.low'), String(16 << 20));
  assert.equal(await read(dir, 'cpu.weight'), '100');
  assert.equal(await read(dir, 'cpu.max'), '20000 100000');
  assert.equal(await read(dir, 'cpu.max.burst'), '5000');
  assert.equal(await read(dir, 'cpuset.cpus'), '0-1');
  assert.equal(await read(dir, 'pids.max'), 'max');
  assert.equal(await read(dir, 'io.weight'), '4950');
  assert.deepEqual(writes.filter((w) => w.includes('io.max')), [`${P}/io.max=8:0 rbps=1048576`, `${P}/io.max=8:0 wiops=50`]);
  assert.equal(await read(dir, 'hugetlb.2MB.max'), String(2 << 21));
  assert.equal(await read(dir, 'memory.high'), '1000000');
  assert.ok(!writes.some((w) => w.includes('swappiness') || w.includes('oom')), 'no v2 file for swappiness or disableOOMKiller');
});

void test('a limit-only update keeps the memory+swap total (docker update --memory)', async (t) => {
  const { m, dir } = await setup(t);
  await m.apply({ memory: { limit: 64 << 20, swap: 128 << 20 } });
  assert.equal(await read(dir, 'memory.swap.max'), String(64 << 20));
  await m.apply({ memory: { limit: 48 << 20 } });
  assert.equal(await read(dir, 'memory.max'), String(48 << 20));
  assert.equal(await read(dir, 'memory.swap.max'), String(80 << 20), 'total 128 MiB kept');
  await assert.rejects(m.apply({ memory: { limit: 256 << 20 } }), /above the memory\+swap limit already set/);
});

void test('memory.oom.group when asked; io.bfq.weight when BFQ is present', async (t) => {
  const { root, dir } = await setup(t);
  await files(dir, { 'io.bfq.weight': 'default 100\n' });
  const m = createCgroupManager({ layout: 'unified', root, path: P, memoryOomGroup: true });
  await m.apply({ memory: { limit: 1 << 20 }, blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } });
  assert.equal(await read(dir, 'memory.oom.group'), '1');
  assert.equal(await read(dir, 'io.bfq.weight'), '8:0 200');
});

void test('refusals name the field', async (t) => {
  const { m, dir } = await setup(t);
  await assert.rejects(m.apply({ unified: { 'memory.nonexistent': '1' } }), (e: Error) =>
    isCode(e, 'InvalidArgument') && e.message.startsWith('linux.resources.unified["memory.nonexistent"]: cgroup v2 file memory.nonexistent does not exist'));
  await assert.rejects(m.apply({ unified: { 'cgroup.procs': '1' } }), /not a cgroup v2 resource file name/);
  await assert.rejects(m.apply({ cpu: { realtimeRuntime: 1000 } }), (e: Error) =>
    isCode(e, 'NotImplemented') && /^linux\.resources\.cpu\.realtimeRuntime: /.test(e.message));
  await assert.rejects(m.apply({ network: { classID: 7 } }), /linux\.resources\.network: net_cls/);
  await writeFile(join(dir, 'cgroup.controllers'), 'memory\n');
  await assert.rejects(m.apply({ pids: { limit: 5 } }), (e: Error) =>
    isCode(e, 'NotImplemented') && /^linux\.resources\.pids\.limit: cgroup v2 pids controller is not available/.test(e.message));
});

void test('stats read memory.events oom_kill, cpu.stat in ns, io.stat', async (t) => {
  const { m } = await setup(t);
  const s = await m.stats();
  assert.equal(s.memory?.oomKillCount, 1);
  assert.equal(s.memory?.failcnt, 4);
  assert.equal(s.memory?.usageBytes, 5000);
  assert.equal(s.memory?.maxUsageBytes, 9000);
  assert.equal(s.memory?.limitBytes, null);
  assert.equal(s.memory?.inactiveFileBytes, 700);
  assert.equal(s.memory?.cacheBytes, 2000);
  assert.deepEqual(s.cpu, { usageTotalNs: 1500000, usageUserNs: 1000000, usageSystemNs: 500000,
    throttling: { periods: 4, throttledPeriods: 2, throttledTimeNs: 77000 } });
  assert.deepEqual(s.pids, { current: 2, limit: null });
  assert.deepEqual(s.blkio?.ioServiceBytes, [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 8192 }]);
  assert.deepEqual(s.hugetlb, { '2MB': { usageBytes: 0, failcnt: 0 } });
});

void test('freeze waits for cgroup.events frozen', async (t) => {
  const { m, dir } = await setup(t);
  const frozen = m.freeze('frozen');
  // The "kernel" reports the new state after the write.
  await writeFile(join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
  await frozen;
  assert.equal(await read(dir, 'cgroup.freeze'), '1');
});
