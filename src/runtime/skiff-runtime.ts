// skiff-runtime's container operations (runc's verbs) over the planner and the shim: the CLI in
// cli/skiff-runtime parses flags and prints; everything a verb decides happens here.

import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { connect, type Socket } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { SkiffError, conflict, failedPrecondition, invalidArgument, isCode, notFound, validateContainerId } from '../base/index.js';
import type { Logger } from '../base/index.js';
import { silentLogger } from '../base/index.js';
import type { LinuxResources, Process, Spec, State, ContainerStatus } from '../oci/index.js';
import { OCI_VERSION, validateRuntimeSpec } from '../oci/index.js';
import { mkfifo, openPath, closeFd, writeFileAtomicSync, readFileInRoot } from '../sys/index.js';
import {
  createCgroupManager, detectCgroupLayout, readCgroupMounts, resolveCgroupPath, type CgroupLayout, type CgroupManager,
} from './cgroups/index.js';
import { encodePlan, describePlan } from './plan-codec.js';
import { compileSeccomp, isSeccompDisabled } from './seccomp/index.js';
import {
  planContainer, planExec, effectiveResources, NAMESPACES, SYNC_POINT, type CgroupMountPoint, type LaunchPlan, type SupportedNamespace,
  type ShimIo,
} from './planner/index.js';
import { ShimProcess, exitCodeOf, extraFdNumber } from './shim-process.js';
import { ShimClient } from './shim-client.js';
import { launchError } from './launch-errors.js';
import { runHooks } from './hooks.js';
import { StateStore, readProcStat, type ContainerStateFile } from './state.js';

export interface SkiffRuntimeOptions {
  /** State root (runc's --root). */
  root: string;
  /** Path of the skiff-shim binary. */
  shimPath: string;
  /** Parent of container cgroups when the spec gives none or a relative one. */
  cgroupParent?: string;
  /** Root of the cgroup hierarchy (tests use a fixture or a fresh cgroup2 mount). */
  cgroupRoot?: string;
  logger?: Logger;
  /** Receives each launch plan as text (one op per line with its origin), for --debug. */
  onPlan?: (text: string) => void;
}

export interface CreateOptions {
  bundle: string;
  pidFile?: string | undefined;
  consoleSocket?: string | undefined;
  preserveFds?: number;
  noPivot?: boolean;
  /**
   * skiffd's way: a detached shim stays as the init's monitor and owns its stdio (log, attach),
   * reachable through shimClient(id). The init waits for start() as with create.
   */
  monitor?: { io: ShimIo } | undefined;
}

export interface ExecOptions {
  process: Process;
  pidFile?: string | undefined;
  consoleSocket?: string | undefined;
  preserveFds?: number;
  detach: boolean;
  /**
   * skiffd's way: a detached shim monitors the process and owns its stdio; exec() resolves once it
   * is created and the process waits until startExec(id, execId) (after the caller attached).
   */
  monitor?: { execId: string; io: ShimIo } | undefined;
}

/** Where a monitoring shim of the container (execId undefined) or of one exec listens and records. */
export interface MonitorPaths {
  socket: string;
  exitFile: string;
  fifo: string;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false; // kill(0, …) would ask about our own group
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Releases a process blocked in WAIT_FIFO: reads its one byte. The fifo is opened non-blocking, so a
 * process that died before it opened the fifo cannot hang the caller (a blocking open would wait
 * forever, holding a libuv thread); false when the process is gone without writing.
 */
async function releaseFifo(fifo: string, stillWaiting: () => boolean): Promise<boolean> {
  const fh = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(1);
  const readByte = async (): Promise<boolean> => {
    try {
      return (await fh.read(buf, 0, 1, null)).bytesRead === 1; // 0: no writer has it open (yet, or any more)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err; // a writer, no byte yet
      return false;
    }
  };
  try {
    for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, 20)) {
      if (await readByte()) return true;
      // Gone: but our open may have released it after that read, and a quick process (`true`) can
      // have written its byte, run and exited before this check; its byte then says so.
      if (!stillWaiting()) return readByte();
      await delay(delayMs);
    }
  } finally {
    await fh.close();
  }
}

export class SkiffRuntime {
  private readonly states: StateStore;
  private readonly log: Logger;

  constructor(private readonly opts: SkiffRuntimeOptions) {
    this.states = new StateStore(opts.root);
    this.log = opts.logger ?? silentLogger;
  }

  // ---- create / run ----

  /** `create`: the init waits on the exec fifo; `start` releases it. */
  async create(id: string, o: CreateOptions): Promise<void> {
    await this.launch(id, o, 'create');
  }

  /** The paths of the monitoring shim of a container, or of one of its execs. */
  monitorPaths(id: string, execId?: string): MonitorPaths {
    const dir = this.states.dirOf(id);
    if (execId === undefined) return { socket: join(dir, 'shim.sock'), exitFile: join(dir, 'exit'), fifo: this.states.fifoOf(id) };
    validateContainerId(execId);
    return { socket: join(dir, `exec-${execId}.sock`), exitFile: join(dir, `exec-${execId}.exit`), fifo: join(dir, `exec-${execId}.fifo`) };
  }

  /** A client of the container's (or an exec's) monitoring shim (create/exec with `monitor`). */
  shimClient(id: string, execId?: string): ShimClient {
    const p = this.monitorPaths(id, execId);
    return new ShimClient(p.socket, p.exitFile);
  }

  /** Releases an exec created with `monitor`, once the caller has attached to it. */
  async startExec(id: string, execId: string): Promise<void> {
    const { fifo, exitFile } = this.monitorPaths(id, execId);
    try {
      if (!(await releaseFifo(fifo, () => !existsSync(exitFile)))) throw failedPrecondition('cannot start exec: the process exited');
    } finally {
      rmSync(fifo, { force: true });
    }
  }

  /** `run --detach`: like create + start, the shim exits once the init exec'd. */
  async runDetached(id: string, o: CreateOptions): Promise<void> {
    await this.launch(id, o, 'detached');
  }

  /** `run`: the shim stays as the init's parent; resolves with the exit code, container deleted. */
  async run(id: string, o: CreateOptions, onPid?: (pid: number) => void): Promise<number> {
    const shim = await this.launch(id, o, 'foreground', onPid);
    const status = await shim.waitExit();
    await this.delete(id, true);
    return exitCodeOf(status);
  }

  private async launch(id: string, o: CreateOptions, how: 'create' | 'detached' | 'foreground', onPid?: (pid: number) => void): Promise<ShimProcess> {
    validateContainerId(id);
    if (this.states.exists(id)) throw conflict('container with given ID already exists');
    const bundle = resolve(o.bundle);
    const spec = readSpec(bundle, (w) => this.log.warn({ container: id }, w));
    const rootfs = resolve(bundle, spec.root?.path ?? '');
    if (!spec.root?.path || !existsSync(rootfs)) {
      throw invalidArgument(`root.path: rootfs (${rootfs}) does not exist`, { field: 'root.path' });
    }
    absolutizeBindSources(spec, bundle);
    if (spec.process) spec.process = withHome(spec.process, rootfs);

    try {
      this.states.createDir(id);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw conflict('container with given ID already exists');
      throw err;
    }
    const cleanups: (() => void | Promise<void>)[] = [() => this.states.remove(id)];
    const openedFds: number[] = [];
    let consoleSocket: Socket | undefined;
    let shim: ShimProcess | undefined;
    try {
      const layout = await detectCgroupLayout(this.opts.cgroupRoot);
      const cgroupPath = resolveCgroupPath({ cgroupsPath: spec.linux?.cgroupsPath, containerId: id, parent: this.opts.cgroupParent });
      const cgroup = createCgroupManager({ layout, root: this.opts.cgroupRoot, path: cgroupPath });
      cleanups.push(() => cgroup.remove());
      await cgroup.create();
      const resources = effectiveResources(spec);
      if (resources) await cgroup.apply(resources);

      const preserveFds = o.preserveFds ?? 0;
      const extraFds: (number | Socket)[] = [];
      const addFd = (fd: number | Socket): number => {
        extraFds.push(fd);
        return extraFdNumber(preserveFds, extraFds.length - 1);
      };
      const monitored = how === 'create' && o.monitor !== undefined;
      const paths = this.monitorPaths(id);
      let execFifoFd: number | undefined;
      if (how === 'create') {
        const fifo = this.states.fifoOf(id);
        mkfifo(fifo, 0o622);
        const fd = openPath(fifo);
        openedFds.push(fd);
        execFifoFd = addFd(fd);
      }
      const joinFds = new Map<string, number>();
      for (const ns of spec.linux?.namespaces ?? []) {
        if (!ns.path) continue;
        const fd = openSync(ns.path, 'r');
        openedFds.push(fd);
        joinFds.set(ns.type, addFd(fd));
      }
      let consoleSocketFd: number | undefined;
      if (spec.process?.terminal === true && o.consoleSocket !== undefined) {
        consoleSocket = await connectUnix(o.consoleSocket);
        consoleSocketFd = addFd(consoleSocket);
      }
      const seccomp = this.seccompOf(spec, id);
      const state = this.ociState(id, bundle, 'creating', 0, spec);
      const plan = planContainer(spec, {
        rootfs,
        bindSourceIsDir: bindSourceKinds(spec),
        joinFds,
        execFifoFd,
        consoleSocketFd,
        preserveFds,
        seccomp: seccomp ? { program: seccomp.program, flags: seccomp.flags } : undefined,
        cgroupMounts: await cgroupMountPoints(layout, cgroupPath, this.opts.cgroupRoot),
        rootfsParentMount: undefined,
        noPivot: o.noPivot === true,
        hookState: JSON.stringify(state),
      }, monitored ? {
        mode: 'shim', relayConsole: false, controlSocket: paths.socket, exitFile: paths.exitFile, io: o.monitor!.io,
      } : {
        mode: how === 'foreground' ? 'foreground' : 'create',
        relayConsole: spec.process?.terminal === true && o.consoleSocket === undefined,
      });

      shim = this.spawnShim(plan, preserveFds, extraFds, {
        detached: monitored,
        onSync: async (point, pid) => {
          if (point === SYNC_POINT.PREPARE) {
            writeIdMappings(spec, pid);
            await cgroup.addProcess(pid);
            if (spec.process?.oomScoreAdj !== undefined) {
              writeFileSync(`/proc/${pid}/oom_score_adj`, String(spec.process.oomScoreAdj));
            }
          } else if (point === SYNC_POINT.CREATE_RUNTIME) {
            const s = { ...state, pid }; // the shim reports the init's pid with this sync
            await runHooks('prestart', spec.hooks?.prestart, s);
            await runHooks('createRuntime', spec.hooks?.createRuntime, s);
          }
        },
        onInitPid: (pid) => {
          cleanups.push(() => killQuietly(pid));
          onPid?.(pid);
        },
      });
      const outcome = await shim.launched.catch((err: unknown) => {
        throw launchError(err, plan);
      });
      if (outcome.kind === 'exited') {
        throw failedPrecondition(`container init exited before it could start (${describeWait(outcome.status)})`);
      }
      const stat = readProcStat(outcome.pid);
      this.states.save({
        id, bundle, rootfs, pid: outcome.pid, pidStartTime: stat?.startTime ?? '', created: new Date().toISOString(),
        owner: '', annotations: spec.annotations ?? {}, cgroupLayout: layout, cgroupPath, paused: false, config: spec,
      });
      if (o.pidFile !== undefined) writeFileAtomicSync(resolve(o.pidFile), String(outcome.pid));
      if (how !== 'create') {
        await runHooks('poststart', spec.hooks?.poststart, this.ociState(id, bundle, 'running', outcome.pid, spec));
      }
      this.log.debug({ container: id, pid: outcome.pid, how }, 'container launched');
      return shim;
    } catch (err) {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch {
          /* best effort: the original error matters */
        }
      }
      throw err;
    } finally {
      for (const fd of openedFds) closeFd(fd);
      consoleSocket?.destroy();
      if (how !== 'foreground') shim?.unref();
    }
  }

  // ---- start / state / list ----

  async start(id: string): Promise<void> {
    const s = this.states.load(id);
    const status = this.states.status(s);
    if (status === 'stopped') throw failedPrecondition('cannot start a container that has stopped');
    if (status !== 'created') throw failedPrecondition(`cannot start an already ${status} container`);
    const fifo = this.states.fifoOf(id);
    const pid = s.pid;
    if (!(await releaseFifo(fifo, () => isAlive(pid)))) throw failedPrecondition('cannot start container: the init exited');
    unlinkSync(fifo);
    await runHooks('poststart', s.config.hooks?.poststart, this.ociState(id, s.bundle, 'running', s.pid, s.config));
  }

  state(id: string): State & { rootfs: string; created: string; owner: string } {
    const s = this.states.load(id);
    const status = this.states.status(s);
    const out: State & { rootfs: string; created: string; owner: string } = {
      ociVersion: s.config.ociVersion || OCI_VERSION,
      id: s.id,
      pid: status === 'stopped' ? 0 : s.pid,
      status,
      bundle: s.bundle,
      rootfs: s.rootfs,
      created: s.created,
      owner: s.owner,
    };
    if (Object.keys(s.annotations).length > 0) out.annotations = s.annotations;
    return out;
  }

  list(): ReturnType<SkiffRuntime['state']>[] {
    const out: ReturnType<SkiffRuntime['state']>[] = [];
    for (const id of this.states.list()) {
      try {
        out.push(this.state(id));
      } catch {
        /* removed meanwhile */
      }
    }
    return out;
  }

  // ---- kill / delete ----

  async kill(id: string, signal: number, all: boolean): Promise<void> {
    const s = this.states.load(id);
    const status = this.states.status(s);
    if (status === 'stopped') throw failedPrecondition('container not running');
    if (all) {
      await this.cgroupOf(s).killAll(signal);
      return;
    }
    if (!Number.isInteger(s.pid) || s.pid <= 0) throw failedPrecondition('container not running');
    try {
      process.kill(s.pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw failedPrecondition('container not running');
      throw err;
    }
  }

  async delete(id: string, force: boolean): Promise<void> {
    let s: ContainerStateFile;
    try {
      s = this.states.load(id);
    } catch (err) {
      if (isCode(err, 'NotFound') && force) return;
      throw err;
    }
    const status = this.states.status(s);
    if (status !== 'stopped') {
      if (status !== 'created' && !force) {
        throw failedPrecondition(`cannot delete container ${id} that is not stopped: ${status}`);
      }
      const cgroup = this.cgroupOf(s);
      if (status === 'paused') await cgroup.freeze('thawed');
      await cgroup.killAll(9).catch(() => undefined);
      killQuietly(s.pid);
      await waitGone(s.pid, s.pidStartTime);
    }
    await this.cgroupOf(s).remove();
    this.states.remove(id);
    try {
      await runHooks('poststop', s.config.hooks?.poststop, this.ociState(id, s.bundle, 'stopped', 0, s.config));
    } catch (err) {
      // runc logs a failing poststop hook and still deletes
      this.log.warn({ container: id, err: (err as Error).message }, 'poststop hook failed');
    }
  }

  // ---- pause / resume / ps / update ----

  async pause(id: string): Promise<void> {
    const s = this.states.load(id);
    const status = this.states.status(s);
    if (status !== 'running' && status !== 'created') throw failedPrecondition('container not running');
    await this.cgroupOf(s).freeze('frozen');
    this.states.save({ ...s, paused: true });
  }

  async resume(id: string): Promise<void> {
    const s = this.states.load(id);
    if (this.states.status(s) !== 'paused') throw failedPrecondition('container not paused');
    await this.cgroupOf(s).freeze('thawed');
    this.states.save({ ...s, paused: false });
  }

  async pids(id: string): Promise<number[]> {
    const s = this.states.load(id);
    if (this.states.status(s) === 'stopped') return [];
    return this.cgroupOf(s).pids();
  }

  async update(id: string, resources: LinuxResources): Promise<void> {
    const s = this.states.load(id);
    if (this.states.status(s) === 'stopped') throw failedPrecondition('container not running');
    await this.cgroupOf(s).apply(resources);
    const merged: LinuxResources = { ...(s.config.linux?.resources ?? {}), ...resources };
    this.states.save({ ...s, config: { ...s.config, linux: { ...(s.config.linux ?? {}), resources: merged } } });
  }

  async stats(id: string): Promise<unknown> {
    const s = this.states.load(id);
    return this.cgroupOf(s).stats();
  }

  /** The process spec of the container, the base that `exec` flags modify. */
  processOf(id: string): Process {
    const s = this.states.load(id);
    if (!s.config.process) throw invalidArgument('process: the container has no process');
    return s.config.process;
  }

  // ---- exec ----

  /** Runs `process` in the container; resolves with its exit code, or 0 at once when detached. */
  async exec(id: string, o: ExecOptions, onPid?: (pid: number) => void): Promise<number> {
    const s = this.states.load(id);
    const status = this.states.status(s);
    if (status !== 'running' && status !== 'created') {
      throw failedPrecondition(status === 'paused' ? 'cannot exec in a paused container' : 'cannot exec in a stopped container');
    }
    const preserveFds = o.preserveFds ?? 0;
    const extraFds: (number | Socket)[] = [];
    const opened: number[] = [];
    const addFd = (fd: number | Socket): number => {
      extraFds.push(fd);
      return extraFdNumber(preserveFds, extraFds.length - 1);
    };
    let consoleSocket: Socket | undefined;
    let shim: ShimProcess | undefined;
    try {
      const joinFds = new Map<SupportedNamespace, number>();
      for (const ns of s.config.linux?.namespaces ?? []) {
        if (!(ns.type in NAMESPACES)) continue;
        const type = ns.type as SupportedNamespace;
        const fd = openSync(`/proc/${s.pid}/ns/${NAMESPACES[type].proc}`, 'r');
        opened.push(fd);
        joinFds.set(type, addFd(fd));
      }
      if (o.process.terminal === true && o.consoleSocket !== undefined) {
        consoleSocket = await connectUnix(o.consoleSocket);
      }
      const consoleSocketFd = consoleSocket ? addFd(consoleSocket) : undefined;
      const monitor = o.monitor;
      const paths = monitor === undefined ? undefined : this.monitorPaths(id, monitor.execId);
      let execFifoFd: number | undefined;
      if (paths !== undefined) {
        if (existsSync(paths.socket) || existsSync(paths.exitFile)) throw conflict(`exec ${monitor!.execId} already exists`);
        mkfifo(paths.fifo, 0o622);
        const fd = openPath(paths.fifo);
        opened.push(fd);
        execFifoFd = addFd(fd);
      }
      const seccomp = this.seccompOf(s.config, id);
      const plan: LaunchPlan = planExec(withHome(o.process, `/proc/${s.pid}/root`), {
        joinFds, preserveFds, consoleSocketFd, execFifoFd,
        seccomp: seccomp ? { program: seccomp.program, flags: seccomp.flags } : undefined,
      }, paths !== undefined ? {
        mode: 'shim', relayConsole: false, controlSocket: paths.socket, exitFile: paths.exitFile, io: monitor!.io,
      } : { mode: o.detach ? 'create' : 'foreground', relayConsole: o.process.terminal === true && o.consoleSocket === undefined });
      const cgroup = this.cgroupOf(s);
      shim = this.spawnShim(plan, preserveFds, extraFds, {
        onSync: async (_point, pid) => cgroup.addProcess(pid),
        onInitPid: onPid,
        detached: paths !== undefined,
      });
      const outcome = await shim.launched.catch((err: unknown) => {
        throw launchError(err, plan);
      });
      if (o.pidFile !== undefined) writeFileAtomicSync(resolve(o.pidFile), String(outcome.pid));
      if (outcome.kind === 'exited') return exitCodeOf(outcome.status);
      if (o.detach || paths !== undefined) return 0;
      return exitCodeOf(await shim.waitExit());
    } catch (err) {
      if (o.monitor !== undefined) rmSync(this.monitorPaths(id, o.monitor.execId).fifo, { force: true });
      throw err;
    } finally {
      for (const fd of opened) closeSync(fd);
      consoleSocket?.destroy();
      if (o.detach || o.monitor !== undefined) shim?.unref();
    }
  }

  // ---- helpers ----

  /** Starts the shim on `plan` with this process's stdio, the preserved fds and the plan's extra fds. */
  private spawnShim(
    plan: LaunchPlan,
    preserveFds: number,
    extraFds: (number | Socket)[],
    handlers: {
      onSync: (point: number, pid: number) => Promise<void>;
      onInitPid?: ((pid: number) => void) | undefined;
      /** A monitoring shim: its own session, no stdio of ours (it owns the container's). */
      detached?: boolean;
    },
  ): ShimProcess {
    this.showPlan(plan);
    const { detached, ...callbacks } = handlers;
    return new ShimProcess({
      shimPath: this.opts.shimPath,
      plan: encodePlan(plan.ops),
      stdio: detached === true ? ['ignore', 'ignore', 'ignore'] : ['inherit', 'inherit', 'inherit'],
      preservedFds: Array.from({ length: preserveFds }, (_, i) => 3 + i),
      extraFds,
      detached: detached === true,
      ...callbacks,
    });
  }

  private seccompOf(spec: Spec, id: string): { program: Uint8Array; flags: number } | undefined {
    const profile = spec.linux?.seccomp;
    if (!profile || isSeccompDisabled(profile)) return undefined;
    const compiled = compileSeccomp(profile);
    for (const w of compiled.warnings) this.log.debug({ container: id }, w);
    return { program: compiled.program, flags: compiled.flags };
  }

  private showPlan(plan: LaunchPlan): void {
    if (!this.opts.onPlan) return;
    const lines = describePlan(plan.ops).split('\n');
    this.opts.onPlan(lines.map((line, i) => `${String(i).padStart(3)} ${line}   <- ${plan.origins[i]}`).join('\n'));
  }

  private cgroupOf(s: ContainerStateFile): CgroupManager {
    return createCgroupManager({ layout: s.cgroupLayout, root: this.opts.cgroupRoot, path: s.cgroupPath });
  }

  private ociState(id: string, bundle: string, status: ContainerStatus, pid: number, spec: Spec): State {
    const state: State = { ociVersion: spec.ociVersion || OCI_VERSION, id, status, bundle };
    if (pid > 0) state.pid = pid;
    if (spec.annotations && Object.keys(spec.annotations).length > 0) state.annotations = spec.annotations;
    return state;
  }
}

function readSpec(bundle: string, warn: (w: string) => void): Spec {
  const path = join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('JSON specification file config.json not found');
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`${path}: invalid JSON: ${(err as Error).message}`, { path });
  }
  if (typeof raw !== 'object' || raw === null) throw invalidArgument(`${path}: not a JSON object`, { path });
  const { spec, warnings } = validateRuntimeSpec(raw, { hostHasApparmor: existsSync('/sys/kernel/security/apparmor'), hostHasSelinux: existsSync('/sys/fs/selinux/enforce') });
  for (const w of warnings) warn(w);
  return spec;
}

/** runc resolves relative bind sources against the bundle. */
function absolutizeBindSources(spec: Spec, bundle: string): void {
  for (const m of spec.mounts ?? []) {
    const isBind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
    if (isBind && m.source !== undefined && !isAbsolute(m.source)) m.source = resolve(bundle, m.source);
  }
}

function bindSourceKinds(spec: Spec): Map<number, boolean> {
  const kinds = new Map<number, boolean>();
  (spec.mounts ?? []).forEach((m, i) => {
    const isBind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
    if (!isBind) return;
    try {
      kinds.set(i, statSync(m.source ?? '').isDirectory());
    } catch {
      throw invalidArgument(`mounts[${i}].source: ${m.source ?? ''}: no such file or directory`, { field: `mounts[${i}].source` });
    }
  });
  return kinds;
}

async function cgroupMountPoints(layout: CgroupLayout, cgroupPath: string, root: string | undefined): Promise<CgroupMountPoint[]> {
  if (layout === 'unified') {
    const hostPath = join(root ?? '/sys/fs/cgroup', cgroupPath);
    return [{ name: '', fstype: 'cgroup2', options: '', hostPath, hostPathExists: existsSync(hostPath) }];
  }
  const mounts = await readCgroupMounts();
  const seen = new Set<string>();
  const out: CgroupMountPoint[] = [];
  for (const m of mounts.v1.values()) {
    if (seen.has(m.mountPoint)) continue;
    seen.add(m.mountPoint);
    const name = m.mountPoint.slice(m.mountPoint.lastIndexOf('/') + 1);
    const options = m.controllers.map((c) => c).join(',');
    const hostPath = join(m.mountPoint, cgroupPath);
    out.push({ name, fstype: 'cgroup', options: options.startsWith('name=') ? `none,${options}` : options, hostPath, hostPathExists: existsSync(hostPath) });
  }
  if (layout === 'hybrid' && mounts.unified !== undefined) {
    const hostPath = join(mounts.unified, cgroupPath);
    out.push({ name: 'unified', fstype: 'cgroup2', options: '', hostPath, hostPathExists: existsSync(hostPath) });
  }
  return out;
}

function writeIdMappings(spec: Spec, pid: number): void {
  const hasUserNs = (spec.linux?.namespaces ?? []).some((n) => n.type === 'user' && !n.path);
  if (!hasUserNs) return;
  const format = (maps: readonly { containerID: number; hostID: number; size: number }[]): string =>
    maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
  writeFileSync(`/proc/${pid}/uid_map`, format(spec.linux?.uidMappings ?? []));
  writeFileSync(`/proc/${pid}/gid_map`, format(spec.linux?.gidMappings ?? []));
}

function connectUnix(path: string): Promise<Socket> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ path });
    socket.once('connect', () => resolvePromise(socket));
    socket.once('error', (err) => reject(new SkiffError('InvalidArgument', `--console-socket ${path}: ${err.message}`, { cause: err })));
  });
}

/** runc sets HOME from the container's /etc/passwd when the process env has none ("/" if unknown). */
function withHome(process: Process, rootfs: string): Process {
  if ((process.env ?? []).some((e) => e.startsWith('HOME='))) return process;
  let home = '/';
  const passwd = readFileInRoot(rootfs, '/etc/passwd');
  for (const line of (passwd ?? '').split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 7 && Number(fields[2]) === process.user.uid && fields[2] !== '') {
      home = fields[5] || '/';
      break;
    }
  }
  return { ...process, env: [...(process.env ?? []), `HOME=${home}`] };
}

function killQuietly(pid: number): void {
  // pid 0 (a state written before the launch finished) would be kill(0): our own process group
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone already */
  }
}

/** Waits until the process is gone (bounded); runc polls the same way after SIGKILL. */
async function waitGone(pid: number, startTime: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const stat = readProcStat(pid);
    if (!stat || stat.startTime !== startTime || stat.state === 'Z' || stat.state === 'X') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new SkiffError('Unavailable', `container init ${pid} did not exit after SIGKILL`);
}

function describeWait(status: number): string {
  const signal = status & 0x7f;
  return signal === 0 ? `exit status ${(status >> 8) & 0xff}` : `killed by signal ${signal}`;
}


