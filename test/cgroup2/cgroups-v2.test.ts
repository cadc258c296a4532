// cgroup v2 driver on the real kernel. Root: SKIFF_CGROUP2_ROOT (default /sys/fs/cgroup), which must be
// a cgroup2 mount: the qemu VM of scripts/test-cgroup2.sh (cgroup_no_v1=all), or a fresh cgroup2 mount
// in a private mount namespace on a hybrid host (test/cgroup2/run-on-host.sh). Tests that need a
// controller skip, naming it, when the root's cgroup.controllers lacks it (on a hybrid host v1 holds
// all but hugetlb); device filters (eBPF), cgroup.freeze and cgroup.kill need no controller.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { access, readFile, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCgroupManager, type CgroupManager } from '../../src/runtime/cgroups/index.js';
import type { LinuxResources } from '../../src/oci/index.js';
import { isCode } from '../../src/base/index.js';

const ROOT = process.env.SKIFF_CGROUP2_ROOT ?? '/sys/fs/cgroup';
const CGROUP2_SUPER_MAGIC = 0x63677270;
const isCgroup2 = await statfs(ROOT).then((s) => s.type === CGROUP2_SUPER_MAGIC, () => false);
const suiteSkip = process.getuid?.() !== 0 ? 'needs root'
  : !isCgroup2 ? `${ROOT} is not a cgroup2 mount (set SKIFF_CGROUP2_ROOT, or run test/cgroup2/run-on-host.sh)` : false;
const available = isCgroup2 ? (await readFile(join(ROOT, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/) : [];
const PARENT = `/skiff-test-${process.pid}`;
const BUSYBOX = process.env.SKIFF_BUSYBOX ?? '/bin/busybox';
let seq = 0;

/** The suite's skip reason, or the first missing controller's. */
function needs(...controllers: string[]): string | false {
  if (suiteSkip !== false) return suiteSkip;
  const missing = controllers.filter((c) => !available.includes(c));
  return missing.length === 0 ? false : `controller ${missing.join(', ')} not available in ${ROOT}/cgroup.controllers`;
}

let rootSubtreeBefore: string[] = [];
before(async () => {
  if (suiteSkip === false) rootSubtreeBefore = (await readFile(join(ROOT, 'cgroup.subtree_control'), 'utf8')).trim().split(/\s+/);
});
after(async () => {
  if (suiteSkip !== false) return;
  await createCgroupManager({ layout: 'unified', root: ROOT, path: PARENT }).remove();
  // Give back what create() enabled at the root, where nothing else uses it (best effort on a shared host).
  const now = (await readFile(join(ROOT, 'cgroup.subtree_control'), 'utf8')).trim().split(/\s+/).filter((c) => c !== '');
  for (const c of now.filter((c) => !rootSubtreeBefore.includes(c))) {
    await writeFile(join(ROOT, 'cgroup.subtree_control'), `-${c}`).catch(() => {});
  }
});

interface Child {
  pid: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: (text: string) => Promise<void>;
  go: (line?: string) => void;
}

function spawnWaiting(t: TestContext, cmd: string, args: string[]): Child {
  const proc: ChildProcessWithoutNullStreams = spawn(cmd, args, { stdio: 'pipe' });
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
    proc.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      resolve({ code, signal });
      waiters.splice(0).forEach((w) => w());
    }));
  const output = async (text: string): Promise<void> => {
    while (!out.includes(text)) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`exited before "${text}": ${out} ${err}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { pid, stdout: () => out, stderr: () => err, exited, output, go: (line = 'go') => proc.stdin.write(`${line}\n`) };
}

async function managed(t: TestContext, resources?: LinuxResources): Promise<CgroupManager> {
  const m = createCgroupManager({ layout: 'unified', root: ROOT, path: `${PARENT}/c${++seq}` });
  t.after(async () => {
    await m.killAll(9).catch(() => {});
    await m.remove();
  });
  await m.create();
  if (resources !== undefined) await m.apply(resources);
  return m;
}

const procState = async (pid: number): Promise<string | undefined> =>
  (await readFile(`/proc/${pid}/status`, 'utf8')).match(/^State:\s+(\S)/m)?.[1];

void test('memory.max: the child is OOM-killed and memory.events counts it', { skip: needs('memory') }, async (t) => {
  const m = await managed(t, { memory: { limit: 64 << 20, swap: 64 << 20 } });
  assert.equal((await readFile(join(ROOT, m.path, 'memory.max'), 'utf8')).trim(), String(64 << 20));
  const c = spawnWaiting(t, process.execPath, ['-e',
    "process.stdin.once('data', () => { const a = []; for (;;) a.push(Buffer.alloc(8 << 20, 1)); })"]);
  await m.addProcess(c.pid);
  c.go();
  assert.equal((await c.exited).signal, 'SIGKILL');
  const s = await m.stats();
  assert.ok((s.memory?.oomKillCount ?? 0) >= 1, `oom_kill ${s.memory?.oomKillCount}`);
  assert.equal(s.memory?.limitBytes, 64 << 20);
});

void test('pids.max: fork is refused', { skip: needs('pids') }, async (t) => {
  const m = await managed(t, { pids: { limit: 2 } });
  const c = spawnWaiting(t, BUSYBOX, ['sh', '-c', `read x; for i in 1 2 3; do ${BUSYBOX} sleep 1000 >/dev/null 2>&1 & done; wait`]);
  await m.addProcess(c.pid);
  c.go();
  assert.notEqual((await c.exited).code, 0);
  assert.match(c.stderr(), /can't fork/);
  assert.deepEqual((await m.stats()).pids?.limit, 2);
});

void test('eBPF device filter: /dev/null denied with EPERM, /dev/zero allowed; an update replaces it', { skip: suiteSkip }, async (t) => {
  const m = await managed(t, { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }] });
  const script = `read x; ${BUSYBOX} head -c 4 /dev/zero | ${BUSYBOX} wc -c; { echo hi > /dev/null; } 2>&1; echo rc=$?; read y; echo hi > /dev/null; echo rc2=$?`;
  const c = spawnWaiting(t, BUSYBOX, ['sh', '-c', script]);
  await m.addProcess(c.pid);
  c.go();
  await c.output('rc=');
  assert.match(c.stdout(), /^4\n/);
  assert.match(c.stdout(), /\/dev\/null: Operation not permitted\nrc=[1-9]/);
  // Allow /dev/null too: the new program replaces the old one (not just added: the old one would deny).
  await m.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] });
  c.go();
  await c.exited;
  assert.match(c.stdout(), /rc2=0/);
});

void test('cgroup.freeze: frozen and thawed, seen in cgroup.events and the process state', { skip: suiteSkip }, async (t) => {
  const m = await managed(t);
  const c = spawnWaiting(t, BUSYBOX, ['sh', '-c', 'read x; echo looping; while :; do :; done']);
  await m.addProcess(c.pid);
  c.go();
  await c.output('looping');
  assert.equal(await procState(c.pid), 'R', 'a busy loop is running or runnable');
  await m.freeze('frozen');
  assert.match(await readFile(join(ROOT, m.path, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
  assert.notEqual(await procState(c.pid), 'R', 'frozen: no longer runnable');
  await m.freeze('thawed');
  assert.match(await readFile(join(ROOT, m.path, 'cgroup.events'), 'utf8'), /^frozen 0$/m);
  assert.equal(await procState(c.pid), 'R');
});

void test('killAll uses cgroup.kill and kills every process', { skip: suiteSkip }, async (t) => {
  const m = await managed(t);
  if (!(await access(join(ROOT, m.path, 'cgroup.kill')).then(() => true, () => false))) return t.skip('no cgroup.kill (kernel < 5.14)');
  const c = spawnWaiting(t, BUSYBOX, ['sh', '-c', `read x; ${BUSYBOX} sleep 1000 >/dev/null 2>&1 & ${BUSYBOX} sleep 1000 >/dev/null 2>&1 & echo started; wait`]);
  await m.addProcess(c.pid);
  c.go();
  await c.output('started');
  const pids = await m.pids();
  assert.equal(pids.length, 3);
  await m.killAll(9);
  assert.equal((await c.exited).signal, 'SIGKILL');
  await m.remove();
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    assert.ok(stat === undefined || /\) Z /.test(stat), `pid ${pid} still alive: ${stat}`);
  }
});

void test('killAll with another signal walks the pids under a freeze', { skip: suiteSkip }, async (t) => {
  const m = await managed(t);
  const c = spawnWaiting(t, BUSYBOX, ['sh', '-c', 'read x; echo ready; while :; do :; done']);
  await m.addProcess(c.pid);
  c.go();
  await c.output('ready');
  await m.killAll(15);
  assert.equal((await c.exited).signal, 'SIGTERM');
});

void test('stats: cpu usage of a working child (cpu.stat is core), pids', { skip: suiteSkip }, async (t) => {
  const m = await managed(t);
  const c = spawnWaiting(t, BUSYBOX, ['sh', '-c', 'read x; i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo done; read y']);
  await m.addProcess(c.pid);
  c.go();
  await c.output('done');
  const s = await m.stats();
  assert.ok((s.cpu?.usageTotalNs ?? 0) > 0);
  assert.deepEqual(await m.pids(), [c.pid]);
});

void test('cpu and io values reach the kernel', { skip: needs('cpu') }, async (t) => {
  const m = await managed(t, { cpu: { shares: 1024, quota: 50000, period: 100000 } });
  assert.equal((await readFile(join(ROOT, m.path, 'cpu.weight'), 'utf8')).trim(), '100');
  assert.equal((await readFile(join(ROOT, m.path, 'cpu.max'), 'utf8')).trim(), '50000 100000');
  await assert.rejects(m.apply({ cpu: { quota: 500, period: 100000 } }), (e: Error) =>
    isCode(e, 'InvalidArgument') && e.message === 'linux.resources.cpu.quota: cgroup v2 cpu.max: invalid argument');
});

void test('hugetlb.<size>.max', { skip: needs('hugetlb') }, async (t) => {
  const m = await managed(t, { hugepageLimits: [{ pageSize: '2MB', limit: 4 << 21 }] });
  assert.equal((await readFile(join(ROOT, m.path, 'hugetlb.2MB.max'), 'utf8')).trim(), String(4 << 21));
  assert.ok((await m.stats()).hugetlb?.['2MB'] !== undefined);
});

void test('unified: raw writes, and a missing file refused with the key named', { skip: suiteSkip }, async (t) => {
  const m = await managed(t, { unified: { 'cgroup.max.descendants': '5' } });
  assert.equal((await readFile(join(ROOT, m.path, 'cgroup.max.descendants'), 'utf8')).trim(), '5');
  await assert.rejects(m.apply({ unified: { 'nosuch.file': '1' } }), /linux\.resources\.unified\["nosuch\.file"\]: cgroup v2 file nosuch\.file does not exist/);
});

void test('remove() leaves nothing', { skip: suiteSkip }, async (t) => {
  const m = await managed(t);
  await access(join(ROOT, m.path));
  await m.remove();
  await assert.rejects(access(join(ROOT, m.path)), { code: 'ENOENT' });
});
