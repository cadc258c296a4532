// Start-up sweep of what belongs to no container (containerd's cleanup of dead shims, dockerd's of
// leftover mounts): runtime tasks and shims in the runtime's state dir, rootfs mounts and container
// dirs, writable snapshots and cgroups named by a container id that has no row in skiff.db (the
// network service sweeps its own: CNI attachments, leases, pinned namespaces). A row is what makes
// a container; everything here is what a crash, a row lost or a removal cut short leaves behind.
// Runs before the reconcile of the rows, before the API serves, so no verb of this daemon is in
// flight. Every removal is logged at info with what and why; a failure is logged and the sweep goes
// on (a leftover must not keep the daemon from starting).

import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HEX64, isCode } from '../../base/index.js';
import { cgroups, type ShimClient } from '../../runtime/index.js';
import { MNT_DETACH, mountPoints, umount } from '../../sys/index.js';
import type { EngineContext } from './context.js';

/** An exec's shim files are named by the first 12 hex digits of its id (container-io.ts). */
const EXEC_SHIM_ID = /^[0-9a-f]{12}$/;
const EXEC_SOCKET = /^exec-([0-9a-f]{12})\.sock$/;

/**
 * An empty cgroup with no trace of it in this daemon's dirs may be another daemon's (the cgroup
 * parent can be shared), caught between its create and its first process: it is removed only once
 * older than this. Its mtime is its creation time (a leaf cgroup's directory never changes after).
 */
export const UNTRACED_CGROUP_GRACE_MS = 30_000;

/** How long a shim may take to exit once its processes are killed. */
const SHIM_EXIT_TIMEOUT_MS = 10_000;
/** A shim that accepts a connection but never answers counts as alive. */
const SHIM_REPLY_TIMEOUT_MS = 2_000;

export interface OrphanReport {
  /** Tasks (shim, init and every process of its cgroup) deleted from the runtime's state dir. */
  tasks: string[];
  /** Exec shims (`<container id>/<exec shim id>`) killed: their container is gone or not running. */
  execs: string[];
  /** Mount points under the containers dir unmounted (MNT_DETACH). */
  mounts: string[];
  /** Container dirs removed. */
  dirs: string[];
  /** Writable snapshots (keyed by container id) removed. */
  snapshots: string[];
  /** Container ids whose cgroups (every hierarchy) were removed. */
  cgroups: string[];
  /** What looked orphaned but was left alone, and why. */
  kept: { what: string; id: string; reason: string }[];
}

export async function removeOrphans(ctx: EngineContext): Promise<OrphanReport> {
  const report: OrphanReport = { tasks: [], execs: [], mounts: [], dirs: [], snapshots: [], cgroups: [], kept: [] };
  const rows = new Map(ctx.repo.all().map((r) => [r.id, r.record] as const));
  // Ids this daemon has left something of: their cgroups are this daemon's, processes and all.
  const traced = new Set<string>();
  const phases: [string, () => Promise<void>][] = [
    ['tasks', () => removeOrphanTasks(ctx, rows, traced, report)],
    ['mounts and container dirs', () => removeOrphanDirs(ctx, rows, traced, report)],
    ['snapshots', () => removeOrphanSnapshots(ctx, rows, traced, report)],
    ['cgroups', () => removeOrphanCgroups(ctx, rows, traced, report)],
  ];
  for (const [what, phase] of phases) {
    try {
      await phase();
    } catch (err) {
      ctx.logger.warn({ op: 'orphans', what, err: String(err) }, 'sweeping orphans failed');
    }
  }
  const removed = report.tasks.length + report.execs.length + report.mounts.length + report.dirs.length +
    report.snapshots.length + report.cgroups.length;
  if (removed > 0 || report.kept.length > 0) ctx.logger.info({ op: 'orphans', ...report }, 'orphans swept');
  return report;
}

type Rows = ReadonlyMap<string, { State: { Running: boolean }; ExecIDs: string[] }>;

function removed(ctx: EngineContext, fields: Record<string, unknown>, msg: string): void {
  ctx.logger.info({ op: 'orphans', ...fields }, msg);
}

function keep(ctx: EngineContext, report: OrphanReport, what: string, id: string, reason: string): void {
  report.kept.push({ what, id, reason });
  ctx.logger.warn({ op: 'orphans', what, container: id, reason }, 'left a possible orphan alone');
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => { timer = setTimeout(() => resolve(fallback), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Whether a shim still serves its socket (a refused or missing socket: it has exited). */
function answers(client: ShimClient): Promise<boolean> {
  return withTimeout(client.pid().then(() => true, () => false), SHIM_REPLY_TIMEOUT_MS, true);
}

async function waitShimsGone(clients: ShimClient[]): Promise<ShimClient[]> {
  const deadline = Date.now() + SHIM_EXIT_TIMEOUT_MS;
  let alive = clients;
  for (;;) {
    const answered = await Promise.all(alive.map(answers));
    alive = alive.filter((_, i) => answered[i]);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILL through each shim (it signals its own process); the answer does not matter. */
async function killThroughShims(clients: ShimClient[]): Promise<void> {
  await Promise.all(clients.map((c) => withTimeout(c.kill(9).catch(() => undefined), SHIM_REPLY_TIMEOUT_MS, undefined)));
}

/** The runtime's status of a task ('creating': no init pid recorded). */
function taskStatus(ctx: EngineContext, id: string): string {
  try {
    return ctx.runtime.state(id).status;
  } catch {
    return 'creating';
  }
}

/** The exec a 12-hex shim id belongs to: the row that lists an exec id starting with it. */
function execOwner(rows: Rows, shimId: string): string | undefined {
  for (const [id, record] of rows) if (record.ExecIDs.some((e) => e.startsWith(shimId))) return id;
  return undefined;
}

/**
 * The runtime's state dir (`<exec root>/r`): one dir per task, holding state.json, the container's
 * shim socket and exit file, and `exec-<12 hex>.sock` for each exec's shim. A task whose id is no
 * row, and an exec shim whose container is gone or not running, is killed through its shim and the
 * runtime (SIGKILL to the init and every process of its cgroup), then deleted (cgroup, state dir).
 */
async function removeOrphanTasks(ctx: EngineContext, rows: Rows, traced: Set<string>, report: OrphanReport): Promise<void> {
  // SkiffRuntime shows its state root only through the paths it derives from it.
  const root = dirname(dirname(ctx.runtime.monitorPaths('0'.repeat(64)).socket));
  for (const name of listDirs(root)) {
    const isExec = EXEC_SHIM_ID.test(name);
    if (!HEX64.test(name) && !isExec) continue;
    const owner = isExec ? execOwner(rows, name) : name;
    const row = owner === undefined ? undefined : rows.get(owner);
    const dir = join(root, name);
    const execShims = listFiles(dir).flatMap((f) => EXEC_SOCKET.exec(f)?.[1] ?? []);
    if (row !== undefined && !isExec) {
      // The container's own task stays; its execs are its own unless it is not running.
      await sweepExecShims(ctx, name, execShims, row.State.Running, report);
      continue;
    }
    if (row !== undefined && row.State.Running) continue; // a running container's exec
    traced.add(name);
    const why = isExec ? (owner === undefined ? 'its container is gone' : 'its container is not running') : 'no container has this id';
    const clients = [ctx.runtime.shimClient(name), ...execShims.map((x) => ctx.runtime.shimClient(name, x))];
    const hasState = existsSync(join(dir, 'state.json'));
    try {
      await killThroughShims(clients);
      if (hasState) await ctx.runtime.kill(name, 9, true).catch(() => undefined);
      const stuck = await waitShimsGone(clients);
      if (stuck.length > 0) {
        ctx.logger.warn({ op: 'orphans', container: name, sockets: stuck.map((c) => c.socketPath) }, 'orphan shim did not exit after its processes were killed');
      }
      // delete: SIGKILL to what is left of the cgroup, wait for the init, remove the cgroup and the state dir.
      // A state without an init pid (launch cut short) is not handed to delete, which would signal pid 0
      // (its own process group); the cgroup phase removes its cgroup (traced).
      if (hasState && taskStatus(ctx, name) !== 'creating') await ctx.runtime.delete(name, true);
      else await rm(dir, { recursive: true, force: true });
      report.tasks.push(name);
      if (execShims.length > 0) report.execs.push(...execShims.map((x) => `${name}/${x}`));
      removed(ctx, { what: 'task', container: name, execs: execShims, reason: why },
        'removed an orphan task: processes and shims killed, cgroup and task state deleted');
    } catch (err) {
      ctx.logger.warn({ op: 'orphans', what: 'task', container: name, err: String(err) }, 'removing an orphan task failed');
    }
  }
}

/**
 * Exec shims in the state dir of a container that has a row: killed when the container is not
 * running (an exec belongs to its container's run); when it runs, only the files of exec shims that
 * have exited go (an exec that ended while the daemon was down leaves them).
 */
async function sweepExecShims(ctx: EngineContext, id: string, shimIds: string[], running: boolean, report: OrphanReport): Promise<void> {
  for (const x of shimIds) {
    const client = ctx.runtime.shimClient(id, x);
    if (running) {
      if (await answers(client)) continue;
      const p = ctx.runtime.monitorPaths(id, x);
      await Promise.all([p.socket, p.exitFile, p.fifo].map((f) => rm(f, { force: true })));
      continue;
    }
    if (!(await answers(client))) continue;
    await killThroughShims([client]);
    const stuck = await waitShimsGone([client]);
    if (stuck.length > 0) {
      ctx.logger.warn({ op: 'orphans', container: id, exec: x }, 'orphan exec shim did not exit after SIGKILL');
      continue;
    }
    report.execs.push(`${id}/${x}`);
    removed(ctx, { what: 'exec', container: id, exec: x, reason: 'its container is not running' }, 'killed an orphan exec');
  }
}

/** Mounts under `<containers>/<id>/` (the rootfs) are detached, deepest first, then the dir goes. */
async function removeOrphanDirs(ctx: EngineContext, rows: Rows, traced: Set<string>, report: OrphanReport): Promise<void> {
  const base = ctx.paths.containers;
  const orphanOf = (path: string): string | undefined => {
    if (!path.startsWith(`${base}/`)) return undefined;
    const id = path.slice(base.length + 1).split('/')[0]!;
    return HEX64.test(id) && !rows.has(id) ? id : undefined;
  };
  const targets = [...new Set(mountPoints().filter((m) => orphanOf(m) !== undefined))].sort((a, b) => b.length - a.length);
  for (const target of targets) {
    const id = orphanOf(target)!;
    traced.add(id);
    // a mount point can hold a stack of mounts: detach until none is left (bounded)
    for (let i = 0; i < 8 && mountPoints().includes(target); i++) {
      try {
        umount(target, MNT_DETACH);
      } catch (err) {
        ctx.logger.warn({ op: 'orphans', what: 'mount', container: id, path: target, err: String(err) }, 'unmounting an orphan mount failed');
        break;
      }
    }
    if (!mountPoints().includes(target)) {
      report.mounts.push(target);
      removed(ctx, { what: 'mount', container: id, path: target, reason: 'no container has this id' }, 'unmounted an orphan container mount');
    }
  }
  const left = mountPoints();
  for (const id of listDirs(base)) {
    if (!HEX64.test(id) || rows.has(id)) continue;
    traced.add(id);
    const dir = join(base, id);
    // never recurse into something still mounted: rm would delete through the mount
    if (left.some((m) => m === dir || m.startsWith(`${dir}/`))) {
      keep(ctx, report, 'dir', id, 'something is still mounted under it');
      continue;
    }
    try {
      await rm(dir, { recursive: true, force: true });
      report.dirs.push(dir);
      removed(ctx, { what: 'dir', container: id, path: dir, reason: 'no container has this id' }, 'removed an orphan container dir');
    } catch (err) {
      ctx.logger.warn({ op: 'orphans', what: 'dir', container: id, err: String(err) }, 'removing an orphan container dir failed');
    }
  }
}

/** A container's writable layer is the active snapshot keyed by its id (container-create.ts). */
async function removeOrphanSnapshots(ctx: EngineContext, rows: Rows, traced: Set<string>, report: OrphanReport): Promise<void> {
  const snapshotter = ctx.images.snapshotter;
  const orphans: string[] = [];
  await snapshotter.walk((info) => {
    if (HEX64.test(info.name) && !rows.has(info.name)) orphans.push(info.name);
  }, { kind: 'active' });
  for (const key of orphans) {
    traced.add(key);
    try {
      await snapshotter.remove(key);
      report.snapshots.push(key);
      removed(ctx, { what: 'snapshot', container: key, reason: 'no container has this id' }, 'removed an orphan container snapshot');
    } catch (err) {
      if (isCode(err, 'NotFound')) continue;
      ctx.logger.warn({ op: 'orphans', what: 'snapshot', container: key, err: String(err) }, 'removing an orphan container snapshot failed');
    }
  }
}

/** `<hierarchy>/<cgroup parent>` in every v1 hierarchy and the v2 tree that the host has. */
async function parentDirs(parent: string): Promise<{ layout: cgroups.CgroupLayout; dirs: string[] }> {
  const layout = await cgroups.detectCgroupLayout();
  const mounts = await cgroups.readCgroupMounts();
  const rel = `/${parent}`;
  if (layout === 'unified') return { layout, dirs: [join(mounts.unified ?? cgroups.DEFAULT_CGROUP_ROOT, rel)] };
  const dirs = new Set<string>();
  for (const m of mounts.v1.values()) {
    // inside a cgroup namespace the mount's root is the namespace's root (as the v1 driver does)
    const inside = m.root !== '/' && (rel === m.root || rel.startsWith(`${m.root}/`)) ? rel.slice(m.root.length) : rel;
    dirs.add(join(m.mountPoint, inside));
  }
  if (layout === 'hybrid' && mounts.unified !== undefined) dirs.add(join(mounts.unified, rel));
  return { layout, dirs: [...dirs] };
}

/** Pids in a cgroup dir and its sub-cgroups. */
async function procsUnder(dir: string): Promise<number[]> {
  let text = '';
  try {
    text = await readFile(join(dir, 'cgroup.procs'), 'utf8');
  } catch {
    return [];
  }
  const pids = text.split('\n').filter((l) => l.trim() !== '').map(Number);
  for (const sub of listDirs(dir)) pids.push(...(await procsUnder(join(dir, sub))));
  return pids;
}

/** rmdir bottom-up; a cgroup whose last tasks are still exiting answers EBUSY for a moment. */
async function removeCgroupTree(dir: string): Promise<void> {
  for (const sub of listDirs(dir)) await removeCgroupTree(join(dir, sub));
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
}

/**
 * Cgroups directly under the daemon's cgroup parent named like a container id, with no row and no
 * live task. When this daemon left something else of that id (a task, a dir, a mount, a snapshot),
 * the cgroup is its own: its processes are SIGKILLed and it goes. Without such a trace it may belong
 * to another daemon sharing the parent: it goes only when empty and older than the grace.
 */
async function removeOrphanCgroups(ctx: EngineContext, rows: Rows, traced: Set<string>, report: OrphanReport): Promise<void> {
  const { layout, dirs: parents } = await parentDirs(ctx.paths.cgroupParent);
  const live = new Set(ctx.runtime.list().filter((s) => s.status !== 'stopped').map((s) => s.id));
  const ids = new Set(parents.flatMap((p) => listDirs(p)).filter((id) => HEX64.test(id) && !rows.has(id) && !live.has(id)));
  for (const id of ids) {
    const dirs = parents.map((p) => join(p, id)).filter((d) => existsSync(d));
    try {
      const pids = [...new Set((await Promise.all(dirs.map(procsUnder))).flat())];
      if (!traced.has(id)) {
        if (pids.length > 0) {
          keep(ctx, report, 'cgroup', id,
            `it holds processes (${pids.join(' ')}) and this daemon has no trace of the id: another daemon sharing the cgroup parent may own it`);
          continue;
        }
        const newest = Math.max(...dirs.map((d) => statSync(d).mtimeMs));
        if (Date.now() - newest < UNTRACED_CGROUP_GRACE_MS) {
          keep(ctx, report, 'cgroup', id, 'empty but just created: another daemon may be starting a container in it');
          continue;
        }
      }
      if (pids.length > 0) await killCgroup(ctx, layout, id, pids);
      const manager = cgroups.createCgroupManager({ layout, path: `/${ctx.paths.cgroupParent}/${id}` });
      await manager.remove();
      // hierarchies the driver does not manage (name=systemd …)
      for (const d of dirs) await removeCgroupTree(d);
      report.cgroups.push(id);
      removed(ctx, {
        what: 'cgroup', container: id, dirs, killed: pids,
        reason: traced.has(id) ? 'no container has this id and its task is gone' : 'no container has this id, it is empty and older than the grace',
      }, 'removed an orphan cgroup');
    } catch (err) {
      ctx.logger.warn({ op: 'orphans', what: 'cgroup', container: id, err: String(err) }, 'removing an orphan cgroup failed');
    }
  }
}

/** SIGKILL to every process of the cgroup (the driver freezes first on v1), then wait for them to go. */
async function killCgroup(ctx: EngineContext, layout: cgroups.CgroupLayout, id: string, pids: number[]): Promise<void> {
  const manager = cgroups.createCgroupManager({ layout, path: `/${ctx.paths.cgroupParent}/${id}` });
  try {
    await manager.killAll(9);
  } catch {
    // a partial cgroup (no freezer dir): signal the pids read from it
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* exited meanwhile */ }
    }
  }
  const deadline = Date.now() + SHIM_EXIT_TIMEOUT_MS;
  while (Date.now() < deadline && (await manager.pids().catch(() => [])).length > 0) await new Promise((r) => setTimeout(r, 50));
}
