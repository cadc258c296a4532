// What every container verb works on: the rows, the image service, the runtime, the daemon's paths,
// the event bus, and the in-memory bits that do not survive a restart (exit watchers, waiters).

import { join } from 'node:path';
import { SkiffError, type Logger } from '../../base/index.js';
import type { ImageService } from '../../image/index.js';
import type { SkiffRuntime } from '../../runtime/index.js';
import type { Snapshotter } from '../../snapshot/index.js';
import type { VolumeService } from '../../volume/index.js';
import type { NetworkService } from '../../network/index.js';
import type { ContainerRepo, ContainerRow } from '../../store/index.js';
import type { ContainerEvent, ContainerRecord, ExecRecord } from './types.js';

export interface EnginePaths {
  /** `<data-root>/containers`: one dir per container (bundle config, rootfs mount point, log, hosts…). */
  containers: string;
  /** Host path of the shim binary, bind-mounted as /sbin/docker-init for --init. */
  initBinary: string;
  /** Parent cgroup of containers. */
  cgroupParent: string;
}

export interface EngineContext {
  repo: ContainerRepo<ContainerRecord>;
  images: ImageService & { readonly snapshotter: Snapshotter };
  runtime: SkiffRuntime;
  volumes: VolumeService;
  /** The default bridge network; without it only `none` and `host` work. */
  networks?: NetworkService;
  paths: EnginePaths;
  logger: Logger;
  emit(e: Omit<ContainerEvent, 'timeNano'>): void;
  /** Resolved when the container's current run ends (set while it runs). */
  exits: Map<string, Promise<void>>;
  /** Callbacks for wait(next-exit | not-running) and wait(removed). */
  exitWaiters: Map<string, ((r: { StatusCode: number; Error: { Message: string } | null }) => void)[]>;
  removeWaiters: Map<string, ((r: { StatusCode: number; Error: { Message: string } | null }) => void)[]>;
  execs: Map<string, ExecRecord & { shimId: string; config: import('./types.js').ExecConfig }>;
  /** Containers being stopped by the user (a restart policy must not restart them). */
  stopping: Set<string>;
  /** Running health monitors, and their start/stop (wired by the service: health probes are execs). */
  healthTimers: Map<string, { stop(): void }>;
  startHealth(record: import('./types.js').ContainerRecord): void;
  stopHealth(id: string): void;
  /** Pending restarts (policy back-off) and the last delay used, per container. */
  restartTimers: Map<string, NodeJS.Timeout>;
  restartDelays: Map<string, number>;
  /** `rm -f` of a container, for --rm after an exit or a failed start (wired by the service). */
  removeForced(id: string): Promise<void>;
}

export function containerDir(ctx: EngineContext, id: string): string {
  return join(ctx.paths.containers, id);
}

export function rootfsDir(ctx: EngineContext, id: string): string {
  return join(containerDir(ctx, id), 'rootfs');
}

/** By full id, name (with or without '/'), or unique id prefix; docker's "No such container". */
export function findContainer(ctx: EngineContext, idOrName: string): ContainerRow<ContainerRecord> {
  if (idOrName === '') throw new SkiffError('NotFound', 'No such container: ');
  const byId = ctx.repo.get(idOrName);
  if (byId !== undefined) return byId;
  const name = idOrName.startsWith('/') ? idOrName.slice(1) : idOrName;
  const byName = ctx.repo.byName(name);
  if (byName !== undefined) return byName;
  if (/^[0-9a-f]+$/.test(idOrName)) {
    const ids = ctx.repo.byIdPrefix(idOrName);
    if (ids.length > 1) throw new SkiffError('InvalidArgument', `multiple IDs found with provided prefix: ${idOrName}`);
    if (ids.length === 1) return ctx.repo.get(ids[0]!)!;
  }
  throw new SkiffError('NotFound', `No such container: ${idOrName}`);
}

export function saveRecord(ctx: EngineContext, record: ContainerRecord): void {
  ctx.repo.update(record.Id, record);
}

export function nowIso(): string {
  const ns = process.hrtime.bigint() % 1_000_000n; // sub-millisecond digits, as docker's RFC3339Nano
  return new Date().toISOString().replace('Z', `${ns.toString().padStart(6, '0')}Z`);
}

export function attributesOf(record: ContainerRecord): Record<string, string> {
  return { ...(record.Config.Labels ?? {}), image: record.ImageName, name: record.Name.replace(/^\//, '') };
}
