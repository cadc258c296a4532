// Start-up sweep of orphans: a container whose row is lost while the daemon is dead (kill -9, then
// the row deleted from skiff.db) leaves a running init, its shim, an exec and its shim, a mounted
// rootfs, a container dir, a runtime state dir, a writable snapshot and a cgroup. The restarted
// daemon removes all of them, and a stale empty cgroup the test leaves under the cgroup parent, while
// a legit container (and its exec) keeps running and stays manageable. A launch cut short by the
// crash (a task state with no init pid, a cgroup with a process) is killed and removed. Two cgroups
// the daemon has no trace of are left alone: a fresh empty one and one holding a process (another
// daemon sharing the cgroup parent may own them).

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, rmdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cgroups, isSameProcess, readProcStat } from '../../src/runtime/index.js';
import { cleanupFor, killPid } from '../helpers/cleanup.js';
import { docker, haveDockerCli, runCmd, startSkiffd, type CmdResult } from '../helpers/skiffd.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

interface Proc { pid: number; start: string }

function proc(pid: number): Proc {
  const stat = readProcStat(pid);
  assert.ok(stat !== undefined, `process ${pid} exists`);
  return { pid, start: stat.startTime };
}

function parentPid(pid: number): number {
  const m = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m !== null, `PPid of ${pid}`);
  return Number(m[1]);
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `<hierarchy>/<parent>` in every v1 hierarchy and the cgroup2 tree (as the daemon scans them). */
async function cgroupParentDirs(parent: string): Promise<string[]> {
  const layout = await cgroups.detectCgroupLayout();
  const mounts = await cgroups.readCgroupMounts();
  if (layout === 'unified') return [join(mounts.unified ?? cgroups.DEFAULT_CGROUP_ROOT, parent)];
  const dirs = new Set([...mounts.v1.values()].filter((m) => m.root === '/').map((m) => join(m.mountPoint, parent)));
  if (mounts.unified !== undefined) dirs.add(join(mounts.unified, parent));
  return [...dirs];
}

async function procsOf(dir: string): Promise<number[]> {
  const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map(Number);
}

/** rmdir bottom-up (only ever called on the test's own cgroup parent). */
async function removeCgroupTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) await removeCgroupTree(join(dir, e.name));
  for (let i = 0; ; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || i > 40) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A cgroup `<parent>/<id>` in every hierarchy the parent exists in (cpuset: the parent's cpus and mems). */
async function makeCgroup(parents: string[], id: string): Promise<string[]> {
  const dirs: string[] = [];
  for (const p of parents.filter((x) => existsSync(x))) {
    const dir = join(p, id);
    await mkdir(dir, { recursive: true });
    dirs.push(dir);
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (existsSync(join(dir, f)) && (await readFile(join(dir, f), 'utf8')).trim() === '') await writeFile(join(dir, f), (await readFile(join(p, f), 'utf8')).trim());
    }
  }
  return dirs;
}

test('start-up removes what belongs to no container and keeps what may be someone else\'s', { skip, timeout: 180_000 }, async (t) => {
  // A private cgroup parent under skiff-test: the sweep of this test's daemon sees no other test's
  // containers, and this cleanup (after the daemons' own, which run in the subtest) removes it.
  const parent = `skiff-test/orphans-${process.pid}-${randomBytes(3).toString('hex')}`;
  const cleanup = cleanupFor(t);
  const parents = await cgroupParentDirs(parent);
  cleanup.add(async () => { for (const p of parents) await removeCgroupTree(p); }, 'cgroup parent');
  const foreign: { pid?: number } = {};
  cleanup.add(() => { if (foreign.pid !== undefined) killPid(foreign.pid); }, 'foreign process');
  const tmp = await mkdtemp('/tmp/skiff-orph-');
  cleanup.add(() => rm(tmp, { recursive: true, force: true }), 'temp dir');

  await t.test('scenario', async (st: TestContext) => {
    const daemonJson = { 'cgroup-parent': parent };
    let d = await startSkiffd(st, { daemonJson });
    await mkdir(join(tmp, 'root/bin'), { recursive: true });
    await copyFile('/bin/busybox', join(tmp, 'root/bin/busybox'));
    for (const a of ['sh', 'echo', 'sleep']) await symlink('busybox', join(tmp, `root/bin/${a}`));
    assert.equal((await runCmd('tar', ['-C', join(tmp, 'root'), '-cf', join(tmp, 'r.tar'), '.'])).code, 0);
    ok(await docker(d, ['import', '-c', 'ENV PATH=/bin', join(tmp, 'r.tar'), 'bb:1']), 'import');

    for (const n of ['orphan', 'legit']) ok(await docker(d, ['run', '-d', '--name', n, '--network', 'none', 'bb:1', 'sleep', '1000']), `run ${n}`);
    ok(await docker(d, ['exec', '-d', 'orphan', 'sleep', '1001']), 'exec -d orphan');
    ok(await docker(d, ['exec', '-d', 'legit', 'sleep', '1002']), 'exec -d legit');
    const [orphanId, legitId] = ok(await docker(d, ['inspect', '-f', '{{.Id}}', 'orphan', 'legit']), 'ids').trim().split('\n') as [string, string];
    const [orphanPid, legitPid] = ok(await docker(d, ['inspect', '-f', '{{.State.Pid}}', 'orphan', 'legit']), 'pids').trim().split('\n').map(Number) as [number, number];

    // every process of each container (init + exec) and the shims that are their parents
    const cgroupDirs = (id: string): string[] => parents.map((p) => join(p, id));
    const execPidOf = async (id: string, init: number): Promise<number> => {
      let pid = 0;
      await until(`the exec process of ${id}`, async () => {
        for (const dir of cgroupDirs(id)) pid ||= (await procsOf(dir)).find((p) => p !== init) ?? 0;
        return pid !== 0;
      });
      return pid;
    };
    const orphanExecPid = await execPidOf(orphanId, orphanPid);
    const legitExecPid = await execPidOf(legitId, legitPid);
    const orphanProcs = [orphanPid, parentPid(orphanPid), orphanExecPid, parentPid(orphanExecPid)].map(proc);
    assert.equal(new Set(orphanProcs.map((p) => p.pid)).size, 4, 'init, shim, exec and exec shim are four processes');
    const legitProcs = [legitPid, parentPid(legitPid), legitExecPid].map(proc);
    const rootfs = join(d.dataRoot, 'containers', orphanId, 'rootfs');
    const mountinfo = (): string[] => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
    assert.ok(mountinfo().includes(rootfs), 'the orphan\'s rootfs is mounted');
    assert.ok(cgroupDirs(orphanId).some((dir) => existsSync(dir)), 'the orphan has a cgroup');

    // Cgroups with no container: stale and empty (goes), fresh and empty, holding a process (stay).
    const [stale, fresh, held] = [0, 1, 2].map(() => randomBytes(32).toString('hex')) as [string, string, string];
    const longAgo = new Date(Date.now() - 3600_000);
    for (const dir of await makeCgroup(parents, stale)) await utimes(dir, longAgo, longAgo);
    const made = await makeCgroup(parents, fresh);
    const sleeper = spawn('/bin/sleep', ['1000'], { stdio: 'ignore' });
    foreign.pid = sleeper.pid!;
    for (const dir of await makeCgroup(parents, held)) {
      await writeFile(join(dir, 'cgroup.procs'), String(foreign.pid));
      made.push(dir);
    }
    const foreignProc = proc(foreign.pid);
    // A launch cut short by the crash: a task state without an init pid and a cgroup with a process in
    // it (the daemon's own, by the trace in its state dir): the process is killed, both go.
    const cut = randomBytes(32).toString('hex');
    const cutSleeper = spawn('/bin/sleep', ['1000'], { stdio: 'ignore' });
    cleanup.add(() => killPid(cutSleeper.pid!), 'cut-short process');
    for (const dir of await makeCgroup(parents, cut)) await writeFile(join(dir, 'cgroup.procs'), String(cutSleeper.pid));
    const cutProc = proc(cutSleeper.pid!);

    // kill -9 the daemon, lose the orphan's row, restart
    killPid(d.process.pid!, 'SIGKILL');
    await d.stop();
    // its task state records no init pid yet (the daemon died before the shim reported it)
    const state = JSON.parse(await readFile(join(d.execRoot, 'r', orphanId, 'state.json'), 'utf8')) as Record<string, unknown>;
    await mkdir(join(d.execRoot, 'r', cut));
    await writeFile(join(d.execRoot, 'r', cut, 'state.json'), JSON.stringify({ ...state, id: cut, pid: 0, pidStartTime: '', cgroupPath: `/${parent}/${cut}` }));
    const db = new Database(join(d.dataRoot, 'skiff.db'));
    try {
      assert.equal(db.prepare('DELETE FROM containers WHERE id = ?').run(orphanId).changes, 1);
    } finally {
      db.close();
    }
    for (const p of [...orphanProcs, ...legitProcs]) assert.ok(isSameProcess(p.pid, p.start), `${p.pid} survived the daemon's death`);
    d = await startSkiffd(st, { dir: d.dir, daemonJson });

    // the orphan: every process gone, nothing mounted, no dir, no state, no snapshot, no cgroup
    for (const p of orphanProcs) await until(`orphan process ${p.pid} is gone`, () => !isSameProcess(p.pid, p.start), 2000);
    assert.ok(!mountinfo().includes(rootfs), 'the orphan\'s rootfs is unmounted');
    assert.ok(!existsSync(join(d.dataRoot, 'containers', orphanId)), 'the orphan\'s container dir is gone');
    assert.ok(!existsSync(join(d.execRoot, 'r', orphanId)), 'the orphan\'s task state is gone');
    for (const dir of cgroupDirs(orphanId)) assert.ok(!existsSync(dir), `${dir} is gone`);
    const snapDb = ['overlay', 'copy'].map((s) => join(d.dataRoot, 'snapshots', s, 'metadata.db')).find((f) => existsSync(f))!;
    const sdb = new Database(snapDb, { readonly: true });
    try {
      const count = (key: string): number => (sdb.prepare('SELECT count(*) AS n FROM snapshots WHERE key = ?').get(key) as { n: number }).n;
      assert.equal(count(orphanId), 0, 'the orphan\'s snapshot is gone');
      assert.equal(count(legitId), 1, 'the legit container\'s snapshot stays');
    } finally {
      sdb.close();
    }
    // the test's cgroups: the stale one goes; the fresh one and the one with a process stay
    for (const dir of cgroupDirs(stale)) assert.ok(!existsSync(dir), `${dir} is gone`);
    assert.ok(made.length > 0);
    for (const dir of made) assert.ok(existsSync(dir), `${dir} stays`);
    assert.ok(isSameProcess(foreignProc.pid, foreignProc.start), 'a process in a cgroup this daemon has no trace of is not killed');
    await until('the cut-short launch\'s process is killed', () => !isSameProcess(cutProc.pid, cutProc.start), 2000);
    for (const dir of cgroupDirs(cut)) assert.ok(!existsSync(dir), `${dir} is gone`);
    assert.ok(!existsSync(join(d.execRoot, 'r', cut)), 'the cut-short task dir is gone');
    const log = d.log();
    // (the task's delete removes its cgroup with it)
    for (const what of ['task', 'mount', 'dir', 'snapshot']) {
      assert.match(log, new RegExp(`"what":"${what}","container":"${orphanId}".*"reason"`), `the ${what} removal is logged`);
    }
    assert.match(log, new RegExp(`"container":"${stale}".*removed an orphan cgroup`));
    assert.match(log, new RegExp(`"what":"task","container":"${cut}"`));
    assert.match(log, new RegExp(`"container":"${cut}".*removed an orphan cgroup`));
    assert.match(log, new RegExp(`"container":"${held}".*left a possible orphan alone`));

    // the legit container: still running under its shim, its exec too, and manageable
    for (const p of legitProcs) assert.ok(isSameProcess(p.pid, p.start), `legit process ${p.pid} still runs`);
    assert.deepEqual(ok(await docker(d, ['ps', '-a', '--format', '{{.Names}}']), 'ps').trim().split('\n'), ['legit']);
    assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', 'legit']), 'inspect').trim(), `true ${legitPid}`);
    assert.equal(ok(await docker(d, ['exec', 'legit', 'echo', 'managed']), 'exec'), 'managed\n');
    ok(await docker(d, ['stop', '-t', '1', 'legit']), 'stop');
    ok(await docker(d, ['rm', 'legit']), 'rm');
    for (const p of legitProcs) await until(`legit process ${p.pid} is gone after rm`, () => !isSameProcess(p.pid, p.start), 2000);
  });
});
