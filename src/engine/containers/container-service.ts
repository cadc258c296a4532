// The container service: the composition of the verbs over one EngineContext, the start-up
// reconcile with the shims that kept running while the daemon was down, and the image-use answer
// the image service asks before removing an image.

import { mkdir } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { SkiffError, type Logger } from '../../base/index.js';
import { buildResources } from '../spec/index.js';
import { applyChanges, type ImageService } from '../../image/index.js';
import { exitCodeOf, type SkiffRuntime } from '../../runtime/index.js';
import type { Snapshotter } from '../../snapshot/index.js';
import type { VolumeService } from '../../volume/index.js';
import type { NetworkService } from '../../network/index.js';
import { ContainerRepo, type SqliteDb } from '../../store/index.js';
import type { LogRecord } from '../logs/index.js';
import { findContainer, nowIso, saveRecord, type EngineContext, type EnginePaths } from './context.js';
import { createContainer, type CreateRequest, type CreateResult } from './container-create.js';
import { attachContainer, attachTarget, containerLogs, createExec, inspectExec, recordDetach, resizeContainer, resizeExec, startExec, type AttachRequest, type LogsRequest } from './container-io.js';
import { inspectContainer, listContainers } from './container-list.js';
import { removeContainer, waitContainer } from './container-remove.js';
import { killContainer, pauseContainer, restartContainer, stopContainer, unpauseContainer } from './container-stop.js';
import { shouldRestart } from './container-restart.js';
import { startHealthMonitor, stopHealthMonitor } from './container-health.js';
import { containerStats, topContainer } from './container-stats.js';
import { archivePath, containerChanges, exportContainer, extractToPath, statPath, upperLayer, type PathStat } from './container-fs.js';
import { deleteTask, hasTask, startContainer, watchExit } from './container-task.js';
import { removeOrphans } from './container-orphans.js';
import { connectContainer, disconnectContainer, liveEndpoints, type EndpointConfig } from './container-network.js';
import { createNetwork, inspectNetwork, listNetworks, pruneNetworks, removeNetwork } from './networks.js';
import type { LiveEndpoint, NetworkCreateRequest } from '../../network/index.js';
import type { ContainerEvent, ContainerRecord, ContainerSummary, ExecConfig, WaitCondition } from './types.js';

export interface ContainerServiceOptions {
  db: SqliteDb;
  images: ImageService & { readonly snapshotter: Snapshotter };
  runtime: SkiffRuntime;
  volumes: VolumeService;
  networks?: NetworkService;
  paths: EnginePaths;
  logger: Logger;
}

export class ContainerService {
  private readonly listeners = new Set<(e: ContainerEvent) => void>();
  readonly ctx: EngineContext;

  constructor(opts: ContainerServiceOptions) {
    this.ctx = {
      repo: new ContainerRepo<ContainerRecord>(opts.db),
      images: opts.images,
      runtime: opts.runtime,
      volumes: opts.volumes,
      ...(opts.networks === undefined ? {} : { networks: opts.networks }),
      paths: opts.paths,
      logger: opts.logger,
      emit: (e) => {
        const event: ContainerEvent = { ...e, timeNano: BigInt(Date.now()) * 1_000_000n };
        for (const l of this.listeners) l(event);
      },
      exits: new Map(),
      exitWaiters: new Map(),
      removeWaiters: new Map(),
      execs: new Map(),
      stopping: new Set(),
      restartTimers: new Map(),
      healthTimers: new Map(),
      startHealth: (record) => startHealthMonitor(this.ctx, record),
      stopHealth: (id) => stopHealthMonitor(this.ctx, id),
      restartDelays: new Map(),
      removeForced: (id) => removeContainer(this.ctx, id, { force: true, volumes: true }),
    };
  }

  /** Re-adopts containers whose shims survived a daemon restart; records exits that happened meanwhile. */
  async reconcile(): Promise<{ adopted: string[]; exited: string[] }> {
    await removeOrphans(this.ctx); // what belongs to no row: tasks, shims, mounts, dirs, snapshots, cgroups
    await mkdir(this.ctx.paths.containers, { recursive: true, mode: 0o711 });
    const adopted: string[] = [];
    const exited: string[] = [];
    const toStart: string[] = [];
    for (const { record } of this.ctx.repo.all()) {
      if (!record.State.Running) {
        if (hasTask(this.ctx, record.Id)) await deleteTask(this.ctx, record.Id);
        // docker starts always/unless-stopped containers with the daemon, and ones caught in back-off
        const policy = record.HostConfig.RestartPolicy?.Name ?? '';
        if (record.State.Restarting || ((policy === 'always' || policy === 'unless-stopped') && record.ManuallyStopped !== true && record.State.Status !== 'created')) {
          toStart.push(record.Id);
        }
        continue;
      }
      const client = this.ctx.runtime.shimClient(record.Id);
      let alive = false;
      try {
        await client.pid();
        alive = true;
      } catch {
        alive = false;
      }
      if (alive) {
        watchExit(this.ctx, record.Id);
        startHealthMonitor(this.ctx, record);
        adopted.push(record.Id);
        continue;
      }
      // The shim is gone: the container ended while we were away (its exit file may say how).
      const status = await client.exitStatus();
      await deleteTask(this.ctx, record.Id);
      record.State = { ...record.State, Status: 'exited', Running: false, Paused: false, Pid: 0, ExitCode: status === undefined ? 255 : exitCodeOf(status), FinishedAt: nowIso() };
      saveRecord(this.ctx, record);
      exited.push(record.Id);
      if (shouldRestart(record, record.State.ExitCode, record.ManuallyStopped === true)) toStart.push(record.Id);
    }
    for (const id of toStart) {
      const row = this.ctx.repo.get(id);
      if (row === undefined) continue;
      row.record.State = { ...row.record.State, Restarting: false, Status: 'exited' };
      saveRecord(this.ctx, row.record);
      await startContainer(this.ctx, id).catch((err: unknown) => this.ctx.logger.warn({ container: id, err: String(err) }, 'restart at start-up failed'));
    }
    return { adopted, exited };
  }

  create(req: CreateRequest): Promise<CreateResult> { return createContainer(this.ctx, req); }

  listNetworks(filters?: Record<string, string[]>): Record<string, unknown>[] { return listNetworks(this.ctx, filters); }
  inspectNetwork(idOrName: string): Record<string, unknown> { return inspectNetwork(this.ctx, idOrName); }
  createNetwork(req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> { return createNetwork(this.ctx, req); }
  removeNetwork(idOrName: string): Promise<void> { return removeNetwork(this.ctx, idOrName); }
  pruneNetworks(filters?: Record<string, string[]>): Promise<{ NetworksDeleted: string[] | null }> { return pruneNetworks(this.ctx, filters); }
  connect(network: string, container: string, cfg?: EndpointConfig): Promise<void> { return connectContainer(this.ctx, network, container, cfg); }
  disconnect(network: string, container: string, force = false): Promise<void> { return disconnectContainer(this.ctx, network, container, force); }
  /** The running containers' attachments (the network service's reconcile after a restart). */
  liveEndpoints(): LiveEndpoint[] { return liveEndpoints(this.ctx); }
  start(id: string): Promise<void> { return startContainer(this.ctx, id); }
  stop(id: string, opts?: { timeoutS?: number; signal?: string }): Promise<void> { return stopContainer(this.ctx, id, opts); }
  restart(id: string, opts?: { timeoutS?: number; signal?: string }): Promise<void> { return restartContainer(this.ctx, id, opts); }
  kill(id: string, signal?: string): Promise<void> { return killContainer(this.ctx, id, signal); }
  pause(id: string): Promise<void> { return pauseContainer(this.ctx, id); }
  unpause(id: string): Promise<void> { return unpauseContainer(this.ctx, id); }
  wait(id: string, condition?: WaitCondition, signal?: AbortSignal): Promise<{ StatusCode: number; Error: { Message: string } | null }> {
    return waitContainer(this.ctx, id, condition, signal);
  }
  remove(id: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void> { return removeContainer(this.ctx, id, opts); }
  list(opts?: { all?: boolean; limit?: number; filters?: Record<string, string[]> }): ContainerSummary[] { return listContainers(this.ctx, opts); }
  inspect(id: string): Record<string, unknown> { return inspectContainer(this.ctx, id); }
  attachTarget(id: string): { id: string; tty: boolean; openStdin: boolean } { return attachTarget(this.ctx, id); }
  attach(id: string, req: AttachRequest): Promise<{ stream: Duplex; tty: boolean }> { return attachContainer(this.ctx, id, req); }
  resize(id: string, rows: number, cols: number): Promise<void> { return resizeContainer(this.ctx, id, rows, cols); }
  detached(id: string): void { recordDetach(this.ctx, id); }
  logs(id: string, req: LogsRequest): { records: AsyncIterable<LogRecord>; tty: boolean } { return containerLogs(this.ctx, id, req); }
  createExec(id: string, config: ExecConfig): string { return createExec(this.ctx, id, config); }
  startExec(execId: string, opts: { detach: boolean }): Promise<{ stream?: Socket; tty: boolean; stdin: boolean; exited: Promise<void> }> { return startExec(this.ctx, execId, opts); }
  inspectExec(execId: string): Record<string, unknown> { return inspectExec(this.ctx, execId); }
  resizeExec(execId: string, rows: number, cols: number): Promise<void> { return resizeExec(this.ctx, execId, rows, cols); }

  stats(id: string, opts: { stream: boolean; oneShot?: boolean; signal?: AbortSignal }): AsyncGenerator<Record<string, unknown>> { return containerStats(this.ctx, id, opts); }
  top(id: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }> { return topContainer(this.ctx, id, psArgs); }

  export(id: string): Promise<Readable> { return exportContainer(this.ctx, id); }
  changes(id: string): Promise<{ Path: string; Kind: number }[]> { return containerChanges(this.ctx, id); }
  statPath(id: string, path: string): Promise<PathStat> { return statPath(this.ctx, id, path); }
  archive(id: string, path: string): Promise<{ stat: PathStat; stream: Readable }> { return archivePath(this.ctx, id, path); }
  extract(id: string, path: string, archive: Readable): Promise<void> { return extractToPath(this.ctx, id, path, archive); }

  /** docker commit: the container's upper dir as a new layer on its image, paused meanwhile if asked. */
  async commit(id: string, req: { reference?: string; comment?: string; author?: string; changes?: string[]; pause?: boolean; config?: Record<string, unknown> }): Promise<string> {
    const { record } = findContainer(this.ctx, id);
    const pause = req.pause !== false && record.State.Running && !record.State.Paused;
    if (pause) await this.pause(record.Id);
    try {
      const base = { ...record.Config, ...(req.config ?? {}) } as Record<string, unknown>;
      for (const k of ['Hostname', 'Domainname', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce', 'Image']) delete base[k];
      const config = applyChanges(base as never, req.changes ?? []);
      return await this.ctx.images.commit({
        parentId: record.Image,
        layer: await upperLayer(this.ctx, record),
        config,
        ...(req.comment === undefined ? {} : { comment: req.comment }),
        ...(req.author === undefined ? {} : { author: req.author }),
        ...(req.reference === undefined ? {} : { reference: req.reference }),
      });
    } finally {
      if (pause) await this.unpause(record.Id).catch(() => {});
    }
  }

  rename(id: string, newName: string): void {
    const row = findContainer(this.ctx, id);
    const name = newName.replace(/^\//, '');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) throw new SkiffError('InvalidArgument', `Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { field: 'name' });
    const taken = this.ctx.repo.byName(name);
    if (taken !== undefined && taken.id !== row.id) {
      throw new SkiffError('Conflict', `Conflict. The container name "/${name}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const oldName = row.record.Name;
    this.ctx.repo.rename(row.id, name);
    this.ctx.networks?.rename(row.id, oldName.replace(/^\//, ''), name);
    row.record.Name = `/${name}`;
    for (const ep of Object.values(row.record.Networks ?? {})) ep.DNSNames = ep.DNSNames?.map((n) => (n === oldName.slice(1) ? name : n)) ?? null;
    saveRecord(this.ctx, row.record);
    this.ctx.emit({ action: 'rename', id: row.id, attributes: { name, oldName } });
  }

  async prune(): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    for (const { record } of this.ctx.repo.all()) {
      if (record.State.Running) continue;
      await this.remove(record.Id);
      deleted.push(record.Id);
    }
    return { ContainersDeleted: deleted.length === 0 ? null : deleted, SpaceReclaimed: 0 };
  }

  /** For the image service: which containers use an image (rmi conflicts). */
  imageUse(imageId: string): { containers: number; runningContainer?: string; stoppedContainer?: string } {
    const rows = this.ctx.repo.usingImage(imageId);
    const running = rows.find((r) => r.record.State.Running);
    const stopped = rows.find((r) => !r.record.State.Running);
    return { containers: rows.length, ...(running === undefined ? {} : { runningContainer: running.id }), ...(stopped === undefined ? {} : { stoppedContainer: stopped.id }) };
  }

  /**
   * docker update: the given resources (and restart policy) replace the container's; a running
   * container's cgroup gets them at once. Returns docker's warnings.
   */
  async update(id: string, body: Record<string, unknown>): Promise<{ Warnings: string[] }> {
    const { record } = findContainer(this.ctx, id);
    const RESOURCE_KEYS = ['Memory', 'MemoryReservation', 'MemorySwap', 'CpuShares', 'CpuQuota', 'CpuPeriod', 'NanoCpus', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight'];
    const given: Record<string, unknown> = {};
    for (const k of RESOURCE_KEYS) if (body[k] !== undefined && body[k] !== null && body[k] !== 0 && body[k] !== '') given[k] = body[k];
    const hc = { ...record.HostConfig, ...given } as typeof record.HostConfig;
    if (body.RestartPolicy !== undefined && body.RestartPolicy !== null && (body.RestartPolicy as { Name?: string }).Name !== '') {
      if (record.HostConfig.AutoRemove === true) throw new SkiffError('InvalidArgument', 'Restart policy cannot be updated because AutoRemove is enabled for the container', { field: 'RestartPolicy' });
      hc.RestartPolicy = body.RestartPolicy as typeof hc.RestartPolicy;
    }
    if ((hc.Memory ?? 0) > 0 && (hc.Memory ?? 0) < 6 * 1024 * 1024) throw new SkiffError('InvalidArgument', 'Minimum memory limit allowed is 6MB', { field: 'Memory' });
    if ((hc.Memory ?? 0) > 0 && (hc.MemorySwap ?? 0) > 0 && hc.MemorySwap! < hc.Memory!) {
      throw new SkiffError('InvalidArgument', 'Minimum memoryswap limit should be larger than memory limit, see usage', { field: 'MemorySwap' });
    }
    if (record.State.Running && Object.keys(given).length > 0) {
      const res = buildResources(given as typeof hc, []);
      if (res.cpu !== undefined && (res.cpu.shares ?? 0) === 0) delete res.cpu.shares;
      if (res.blockIO !== undefined && (res.blockIO.weight ?? 0) === 0) delete res.blockIO;
      for (const k of ['memory', 'cpu'] as const) if (res[k] !== undefined && Object.keys(res[k]!).length === 0) delete res[k];
      try {
        await this.ctx.runtime.update(record.Id, res);
      } catch (err) {
        throw new SkiffError('InvalidArgument', `Cannot update container ${record.Id}: ${(err as Error).message}`, { cause: err });
      }
    }
    record.HostConfig = hc;
    saveRecord(this.ctx, record);
    this.ctx.emit({ action: 'update', id: record.Id, attributes: { name: record.Name.slice(1) } });
    return { Warnings: [] };
  }

  /** /system/df's containers: the summaries with the writable layer's size. */
  async df(): Promise<(ContainerSummary & { SizeRw: number; SizeRootFs: number })[]> {
    const out: (ContainerSummary & { SizeRw: number; SizeRootFs: number })[] = [];
    for (const s of this.list({ all: true })) {
      const rw = await this.ctx.images.snapshotter.usage(s.Id).then((u) => u.size, () => 0);
      const image = await this.ctx.images.inspect(s.ImageID).then((i) => i.Size, () => 0);
      out.push({ ...s, SizeRw: rw, SizeRootFs: rw + image });
    }
    return out;
  }

  /** For the volume service: the containers (ids) that mount a volume. */
  volumeUsers(name: string): string[] {
    return this.ctx.repo.all().filter((r) => (r.record.MountPoints ?? []).some((m) => m.Name === name)).map((r) => r.id);
  }

  counts(): { running: number; paused: number; stopped: number } {
    let running = 0; let paused = 0; let stopped = 0;
    for (const { record } of this.ctx.repo.all()) {
      if (record.State.Paused) paused++;
      else if (record.State.Running) running++;
      else stopped++;
    }
    return { running, paused, stopped };
  }

  subscribe(l: (e: ContainerEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Stops watching (containers keep running under their shims: live restore). */
  async close(): Promise<void> {
    this.listeners.clear();
    for (const id of [...this.ctx.healthTimers.keys()]) stopHealthMonitor(this.ctx, id);
    for (const t of this.ctx.restartTimers.values()) clearTimeout(t);
  }
}
