// The container's task: its rootfs mounted under the container dir, hosts/hostname/resolv.conf
// written, the OCI spec built and handed to the runtime, which starts a monitoring shim that owns
// the container's stdio and log from then on. One run of the task ends when the shim reports the
// exit: the engine records it, deletes the task and unmounts the rootfs.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SkiffError, isCode } from '../../base/index.js';
import { exitCodeOf } from '../../runtime/index.js';
import { MNT_DETACH, mountAll, mountPoints, umount, writeFileAtomicSync } from '../../sys/index.js';
import { buildContainerSpec } from '../spec/index.js';
import { scheduleRestart, shouldRestart } from './container-restart.js';
import { inheritedMounts, volumeInputs } from './container-volumes.js';
import { attachNetworks, detachNetworks, modeNetwork, writeNetworkFiles } from './container-network.js';
import { attributesOf, containerDir, findContainer, nowIso, rootfsDir, saveRecord, type EngineContext } from './context.js';
import type { ContainerRecord } from './types.js';

/** docker's json-file defaults are unbounded; Skiff rotates by default. */
const DEFAULT_LOG_MAX_SIZE = 20 * 1024 * 1024;
const DEFAULT_LOG_MAX_FILES = 5;

function sizeOf(v: string | undefined, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(v.trim());
  if (m === null) throw new SkiffError('InvalidArgument', `invalid log option max-size: ${v}`, { field: 'HostConfig.LogConfig.Config.max-size' });
  return Math.floor(Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2]!.toLowerCase()]!);
}

export function hasTask(ctx: EngineContext, id: string): boolean {
  try {
    ctx.runtime.state(id);
    return true;
  } catch {
    return false;
  }
}

/** Creates the task if there is none: the init then waits for start, the shim serves attach. */
export async function ensureTask(ctx: EngineContext, record: ContainerRecord): Promise<void> {
  if (hasTask(ctx, record.Id)) return;
  const id = record.Id;
  const dir = containerDir(ctx, id);
  const rootfs = rootfsDir(ctx, id);
  const net = record.HostConfig.NetworkMode ?? 'default';
  // container:<name|id> modes join a running container's namespaces by their /proc paths
  const joinOf = (mode: string | undefined, ns: string, what: string): string | undefined => {
    if (mode === undefined || !mode.startsWith('container:')) return undefined;
    const target = findContainer(ctx, mode.slice('container:'.length)).record;
    if (!target.State.Running || target.State.Pid <= 0) throw new SkiffError('Conflict', `cannot join ${what} of a non running container: ${target.Id}`);
    if (target.Id === id) throw new SkiffError('InvalidArgument', `cannot join own ${what}`);
    return `/proc/${target.State.Pid}/ns/${ns}`;
  };
  const joinedNet = joinOf(net, 'net', 'network');
  const ipcNsPath = joinOf(record.HostConfig.IpcMode, 'ipc', 'IPC namespace');
  const pidNsPath = joinOf(record.HostConfig.PidMode, 'pid', 'PID namespace');
  await mkdir(rootfs, { recursive: true, mode: 0o755 });
  if (!mountPoints().includes(rootfs)) await mountAll(await ctx.images.snapshotter.mounts(id), rootfs);
  let netnsPath: string | undefined = joinedNet;
  try {
    netnsPath ??= await attachNetworks(ctx, record);
    const files = await writeNetworkFiles(ctx, record);
    const vols = await volumeInputs(ctx.volumes, record.MountPoints ?? [], rootfs);
    const inherited = inheritedMounts(record.HostConfig, record.Config, record.MountPoints ?? [], vols.volumes);
    const built = await buildContainerSpec({
      volumes: vols.volumes,
      volumeNames: vols.volumeNames,
      ...(inherited.length === 0 ? {} : { inherited }),
      id,
      name: record.Name.slice(1),
      // the image config was merged into record.Config at create: no blob reads on every start
      image: { id: record.Image, config: {} },
      config: files.env.length === 0 ? record.Config : { ...record.Config, Env: [...files.env, ...(record.Config.Env ?? [])] },
      hostConfig: record.HostConfig,
      rootfsPath: rootfs,
      hostsPath: record.HostsPath,
      hostnamePath: record.HostnamePath,
      resolvConfPath: record.ResolvConfPath,
      initPath: ctx.paths.initBinary,
      cgroupsPath: `/${ctx.paths.cgroupParent}/${id}`, // absolute: the runtime adds no parent of its own
      ...(netnsPath === undefined ? {} : { netnsPath }),
      ...(ipcNsPath === undefined ? {} : { ipcNsPath }),
      ...(pidNsPath === undefined ? {} : { pidNsPath }),
    });
    writeFileAtomicSync(join(dir, 'config.json'), JSON.stringify(built.spec), 0o600);
    const logConfig = record.HostConfig.LogConfig?.Config ?? {};
    const tty = record.Config.Tty === true;
    await ctx.runtime.create(id, {
      bundle: dir,
      monitor: {
        io: {
          stdin: record.Config.OpenStdin === true,
          stdinOnce: record.Config.StdinOnce === true,
          outputPipes: !tty,
          log: {
            path: record.LogPath,
            maxSizeBytes: sizeOf(logConfig['max-size'], DEFAULT_LOG_MAX_SIZE),
            maxFiles: logConfig['max-file'] === undefined ? DEFAULT_LOG_MAX_FILES : Number(logConfig['max-file']),
          },
        },
      },
    });
  } catch (err) {
    try { umount(rootfs, MNT_DETACH); } catch { /* not mounted */ }
    await detachNetworks(ctx, record);
    throw err;
  }
}

/** Starts the container: create the task if needed, release the init, watch for its exit. */
export async function startContainer(ctx: EngineContext, idOrName: string): Promise<void> {
  const row = findContainer(ctx, idOrName);
  const record = row.record;
  if (record.State.Running) {
    if (record.State.Paused) throw new SkiffError('Conflict', 'cannot start a paused container, try unpause instead');
    throw new SkiffError('NotModified', 'container already started');
  }
  if (record.State.Status === 'removing') throw new SkiffError('Conflict', `container is marked for removal and cannot be started`);
  try {
    await ensureTask(ctx, record);
    await ctx.runtime.start(record.Id);
  } catch (err) {
    record.State.Error = (err as Error).message;
    record.State.ExitCode = /not found|no such file/i.test(record.State.Error) ? 127 : /permission denied|exec format/i.test(record.State.Error) ? 126 : 128;
    saveRecord(ctx, record);
    await deleteTask(ctx, record.Id);
    // docker removes a --rm container whose start failed (the client waits for "removed")
    if (record.HostConfig.AutoRemove === true) await ctx.removeForced(record.Id).catch(() => {});
    throw isCode(err, 'Internal') || isCode(err, 'FailedPrecondition') ? new SkiffError('InvalidArgument', (err as Error).message, { cause: err }) : err;
  }
  const pid = ctx.runtime.state(record.Id).pid ?? 0;
  record.ManuallyStopped = false;
  record.State = { ...record.State, Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: pid, ExitCode: 0, Error: '', StartedAt: nowIso() };
  saveRecord(ctx, record);
  ctx.emit({ action: 'start', id: record.Id, attributes: attributesOf(record) });
  watchExit(ctx, record.Id);
  ctx.startHealth(record);
}

/** Follows a running task to its end (also for tasks re-adopted after a daemon restart). */
export function watchExit(ctx: EngineContext, id: string): void {
  if (ctx.exits.has(id)) return;
  const done = (async () => {
    let status: number | undefined;
    try {
      status = await ctx.runtime.shimClient(id).wait();
    } catch (err) {
      ctx.logger.warn({ container: id, err: String(err) }, 'lost the container monitor; treating the container as dead');
    }
    return finishRun(ctx, id, status === undefined ? 255 : exitCodeOf(status));
  })().catch((err: unknown) => {
    ctx.logger.error({ container: id, err: String(err) }, 'recording the container exit failed');
    return false;
  }).then(async (autoRemove) => {
    // Out of ctx.exits first: removal waits for the run to end, and this run has ended.
    ctx.exits.delete(id);
    if (!autoRemove) return;
    await ctx.removeForced(id).catch((err: unknown) => ctx.logger.warn({ container: id, err: String(err) }, 'auto-remove failed'));
  });
  ctx.exits.set(id, done);
}

/** The shim notes log records it could not write (a full disk) in shim.log beside its socket. */
async function reportShimNotes(ctx: EngineContext, id: string): Promise<void> {
  const notes = await readFile(join(dirname(ctx.runtime.monitorPaths(id).socket), 'shim.log'), 'utf8').catch(() => '');
  for (const line of notes.split('\n').filter((l) => l.trim() !== '')) ctx.logger.warn({ container: id, shim: line.trim() }, 'the container\'s log lost records');
}

/** Records the end of a run; true when the container is to be removed now (--rm). */
async function finishRun(ctx: EngineContext, id: string, exitCode: number): Promise<boolean> {
  ctx.stopHealth(id);
  // Read the cgroup's OOM count before the task (and its cgroup) goes: docker's State.OOMKilled.
  const stats = await ctx.runtime.stats(id).catch(() => undefined) as { memory?: { oomKillCount: number } } | undefined;
  const oomKilled = (stats?.memory?.oomKillCount ?? 0) > 0;
  await reportShimNotes(ctx, id);
  await deleteTask(ctx, id); // detaches the networks, saving the record without addresses
  const row = ctx.repo.get(id);
  if (row === undefined) return false;
  const record = row.record;
  record.State = { ...record.State, Status: 'exited', Running: false, Paused: false, Pid: 0, ExitCode: exitCode, OOMKilled: oomKilled, FinishedAt: nowIso() };
  saveRecord(ctx, record);
  if (oomKilled) ctx.emit({ action: 'oom', id, attributes: attributesOf(record) });
  ctx.emit({ action: 'die', id, attributes: { ...attributesOf(record), exitCode: String(exitCode) } });
  const waiters = ctx.exitWaiters.get(id) ?? [];
  ctx.exitWaiters.delete(id);
  for (const w of waiters) w({ StatusCode: exitCode, Error: null });
  const manual = ctx.stopping.delete(id);
  if (shouldRestart(record, exitCode, manual)) scheduleRestart(ctx, record, (cid) => startContainer(ctx, cid));
  return record.HostConfig.AutoRemove === true;
}

/** Deletes the runtime's task and unmounts the rootfs; idempotent. */
export async function deleteTask(ctx: EngineContext, id: string): Promise<void> {
  const row = ctx.repo.get(id);
  if (row !== undefined && (row.record.Sandbox !== undefined || modeNetwork(row.record.HostConfig.NetworkMode) !== undefined)) {
    await detachNetworks(ctx, row.record, { background: true }).catch((err: unknown) => ctx.logger.warn({ container: id, err: String(err) }, 'detaching the networks failed'));
  }
  if (hasTask(ctx, id)) await ctx.runtime.delete(id, true).catch((err: unknown) => ctx.logger.warn({ container: id, err: String(err) }, 'deleting the task failed'));
  const rootfs = rootfsDir(ctx, id);
  if (mountPoints().includes(rootfs)) {
    try { umount(rootfs, MNT_DETACH); } catch (err) { ctx.logger.warn({ container: id, err: String(err) }, 'unmounting the rootfs failed'); }
  }
  if (existsSync(join(containerDir(ctx, id), 'config.json'))) await rm(join(containerDir(ctx, id), 'config.json'), { force: true });
}
