// cgroup v1 driver on the real kernel (root, legacy or hybrid host): limits must bite on a child we
// spawn and move into the cgroup before it starts its work (it first reads a line from stdin).
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCgroupManager, detectCgroupLayout, readCgroupMounts, type CgroupManager } from '../../../src/runtime/cgroups/index.js';
import type { LinuxResources } from '../../../src/oci/index.js';
import { isCode } from '../../../src/base/index.js';

const ROOT = '/sys/fs/cgroup';
const layout = await detectCgroupLayout(ROOT).catch(() => 'unified' as const);
const skip = process.getuid?.() !== 0 ? 'needs root' : layout === 'unified' ? 'host is cgroup v2 only (see test/cgroup2)' : false;
// Our own test parent at the hierarchy roots; never under another process's cgroup.
const PARENT = `/skiff-test-${process.pid}`;
const BUSYBOX = '/bin/busybox';
let seq = 0;

after(async () => {
  if (skip !== false) return;
  await createCgroupManager({ layout, root: ROOT, path: PARENT }).remove();
});

interface Child {
  proc: ChildProcessWithoutNullStreams;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when stdout contains `text`. */
  output: (text: string) => Promise<void>;
  go: (line?: string) => void;
}

function spawnWaiting(t: TestContext, cmd: string, args: string[]): Child {
  const proc = spawn(cmd, args, { stdio: 'pipe' });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`spawn ${cmd} failed`);
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(pid, 'SIGKILL');
  });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    waiters.splice(0).forEach((w) => w());
  });
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal })));
  const output = async (text: string): Promise<void> => {
    while (!out.includes(text)) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`exited before "${text}": ${out} ${err}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { proc, pid, stdout: () => out, stderr: () => err, exited, output, go: (line = 'go') => proc.stdin.write(`${line}\n`) };
}

/** A manager under the test parent; t.after kills what is left in it and removes it. */
async function managed(t: TestContext, resources?: LinuxResources): Promise<CgroupManager> {
  const m = createCgroupManager({ layout, root: ROOT, path: `${PARENT}/c${++seq}` });
  t.after(async () => {
    await m.killAll(9).catch(() => {});
    await m.remove();
  });
  await m.create();
  if (resources !== undefined) await m.apply(resources);
  return m;
}

async function dirsOf(path: string): Promise<string[]> {
  const mounts = await readCgroupMounts(ROOT);
  const dirs = new Set([...mounts.v1.entries()].filter(([c]) => !c.startsWith('name=')).map(([, m]) => join(m.mountPoint, path)));
  if (layout === 'hybrid' && mounts.unified !== undefined) dirs.add(join(mounts.unified, path));
  return [...dirs];
}

void test('memory limit: the child is OOM-killed and stats count the kill', { skip }, async (t) => {
  const m = await managed(t, { memory: { limit: 64 << 20, swap: 64 << 20 } });
  const c = spawnWaiting(t, process.execPath, ['-e',
    "process.stdin.once('data', () => { const a = []; for (;;) a.push(Buffer.alloc(8 << 20, 1)); })"]);
  await m.addProcess(c.pid);
  c.go();
  const { signal } = await c.exited;
  assert.equal(signal, 'SIGKILL');
  const s = await m.stats();
  assert.ok((s.memory?.oomKillCount ?? 0) >= 1, `oom kills: ${s.memory?.oomKillCount}`);
  assert.equal(s.memory?.limitBytes, 64 << 20);
  assert.ok((s.memory?.maxUsageBytes ?? 0) > 32 << 20);
});

void test('pids limit: fork is refused', { skip }, async (t) => {
  const m = await managed(t, { pids: { limit: 2 } });
  const c = spawnWaiting(t, BUSYBOX, ['sh', '-c', `read x; for i in 1 2 3; do ${BUSYBOX} sleep 1000 >/dev/null 2>&1 & done; wait`]);
  await m.addProcess(c.pid);
  c.go();
  const { code } = await c.exited;
  assert.notEqual(code, 0);
  assert.match(c.stderr(), /can't fork/);
  assert.deepEqual((await m.stats()).pids?.limit, 2);
});

void test('devices: /dev/null denied with EPERM while /dev/zero is allowed', { skip }, async (t) => {
  const m = await managed(t, { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }] });
  const c = spawnWaiting(t, BUSYBOX, ['sh', '-c', `read x; ${BUSYBOX} head -c 4 /dev/zero | ${BUSYBOX} wc -c; echo hi > /dev/null; echo rc=$?`]);
  await m.addProcess(c.pid);
  c.go();
  await c.exited;
  assert.match(c.stdout(), /^4\n/);
  assert.match(c.stderr(), /\/dev\/null: Operation not permitted/);
  assert.match(c.stdout(), /rc=[1-9]/);
});

void test('freeze and thaw change the freezer state and the process state', { skip }, async (t) => {
  const m = await managed(t);
  const c = spawnWaiting(t, BUSYBOX, ['sh', '-c', 'while read l; do echo "got $l"; done']);
  await m.addProcess(c.pid);
  c.go('one');
  await c.output('got one');
  const dir = (await dirsOf(m.path)).find((d) => d.includes('/freezer/'))!;
  await m.freeze('frozen');
  assert.equal((await readFile(join(dir, 'freezer.state'), 'utf8')).trim(), 'FROZEN');
  const state = (await readFile(`/proc/${c.pid}/status`, 'utf8')).match(/^State:\s+(\S)/m)?.[1];
  assert.equal(state, 'D', 'a frozen task sleeps uninterruptibly in the refrigerator');
  c.go('two'); // queued: answered only after the thaw
  await m.freeze('thawed');
  assert.equal((await readFile(join(dir, 'freezer.state'), 'utf8')).trim(), 'THAWED');
  await c.output('got two');
});

void test('killAll kills every process in the cgroup', { skip }, async (t) => {
  const m = await managed(t);
  const c = spawnWaiting(t, BUSYBOX, ['sh', '-c', `read x; ${BUSYBOX} sleep 1000 >/dev/null 2>&1 & ${BUSYBOX} sleep 1000 >/dev/null 2>&1 & echo started; wait`]);
  await m.addProcess(c.pid);
  c.go();
  await c.output('started');
  const before = await m.pids();
  assert.equal(before.length, 3, `pids: ${before.join(' ')}`);
  await m.killAll(9);
  assert.equal((await c.exited).signal, 'SIGKILL');
  // The sleeps are reparented to init and reaped there; remove() retries rmdir until they are gone.
  await m.remove();
  // Gone, or a zombie its new parent has not reaped yet: either way no longer running.
  for (const pid of before) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    assert.ok(stat === undefined || /\) Z /.test(stat), `pid ${pid} still alive: ${stat}`);
  }
});

void test('stats report cpu, memory and pids usage of a working child', { skip }, async (t) => {
  const m = await managed(t);
  const c = spawnWaiting(t, BUSYBOX, ['sh', '-c', 'read x; i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo done; read y']);
  await m.addProcess(c.pid);
  c.go();
  await c.output('done');
  const s = await m.stats();
  assert.ok((s.cpu?.usageTotalNs ?? 0) > 0);
  assert.ok((s.cpu?.usageUserNs ?? 0) + (s.cpu?.usageSystemNs ?? 0) > 0);
  assert.equal(s.cpu?.perCpuNs?.length, (await readFile('/sys/fs/cgroup/cpuacct/cpuacct.usage_percpu', 'utf8')).trim().split(/\s+/).length);
  assert.ok((s.memory?.usageBytes ?? 0) > 0);
  assert.equal(s.memory?.limitBytes, null);
  assert.deepEqual(s.pids, { current: 1, limit: null });
  assert.deepEqual(await m.pids(), [c.pid]);
});

void test('cpu, cpuset and blkio values reach the kernel; refusals name field and file', { skip }, async (t) => {
  const m = await managed(t, { cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' }, blockIO: { weight: 300 } });
  const [cpuDir, cpusetDir] = ['/cpu/', '/cpuset/'].map((k) => join(ROOT, k, m.path));
  assert.equal((await readFile(join(cpuDir!, 'cpu.shares'), 'utf8')).trim(), '512');
  assert.equal((await readFile(join(cpuDir!, 'cpu.cfs_quota_us'), 'utf8')).trim(), '50000');
  assert.equal((await readFile(join(cpusetDir!, 'cpuset.cpus'), 'utf8')).trim(), '0');
  // cpuset copied from the parent at create: the parent is not empty either
  assert.notEqual((await readFile(join(ROOT, 'cpuset', PARENT, 'cpuset.mems'), 'utf8')).trim(), '');
  await assert.rejects(m.apply({ cpu: { quota: 500 } }), (e: Error) =>
    isCode(e, 'InvalidArgument') && e.message === 'linux.resources.cpu.quota: cgroup v1 cpu.cfs_quota_us: invalid argument');
  await assert.rejects(m.apply({ cpu: { shares: 1 } }), /linux\.resources\.cpu\.shares: the minimum allowed cpu-shares is 2/);
  await assert.rejects(m.apply({ memory: { swappiness: 200 } }), /linux\.resources\.memory\.swappiness/);
});

void test('hybrid: hugetlb limits go to the unified mount', { skip: skip || (layout !== 'hybrid' && 'not a hybrid host') }, async (t) => {
  const unified = (await readCgroupMounts(ROOT)).unified!;
  const controllers = (await readFile(join(unified, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/);
  if (!controllers.includes('hugetlb')) return t.skip('hugetlb is not in the unified mount');
  const before = (await readFile(join(unified, 'cgroup.subtree_control'), 'utf8')).trim().split(/\s+/);
  const m = createCgroupManager({ layout, root: ROOT, path: `${PARENT}/c${++seq}` });
  t.after(async () => {
    await m.remove();
    // create() enabled hugetlb at the unified root (and in our parent); undo that once our cgroups are gone.
    await createCgroupManager({ layout, root: ROOT, path: PARENT }).remove();
    // Best effort: another engine's cgroup may have started using hugetlb meanwhile.
    if (!before.includes('hugetlb')) await writeFile(join(unified, 'cgroup.subtree_control'), '-hugetlb').catch(() => {});
  });
  await m.create();
  await m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 4 << 21 }] });
  assert.equal((await readFile(join(unified, m.path, 'hugetlb.2MB.max'), 'utf8')).trim(), String(4 << 21));
  assert.ok((await m.stats()).hugetlb?.['2MB'] !== undefined);
});

void test('remove() leaves nothing behind in any hierarchy', { skip }, async (t) => {
  const m = await managed(t);
  const dirs = await dirsOf(m.path);
  for (const d of dirs) await access(d);
  await m.remove();
  for (const d of dirs) await assert.rejects(access(d), { code: 'ENOENT' });
  await m.remove(); // idempotent
});
