// The cgroup v2 driver: one directory in the unified hierarchy.

import { join } from 'node:path';
import { notImplemented } from '../../../base/index.js';
import type { LinuxResources } from '../../../oci/index.js';
import { CgroupFs, readPidsRecursive, removeCgroupDir } from '../cgroup-fs.js';
import type { CgroupController } from '../controller.js';
import type { CgroupManager, CgroupStats, FreezerState, WriteTrace } from '../types.js';
import { cpuV2 } from './cpu.js';
import { cpusetV2 } from './cpuset.js';
import { devicesV2 } from './devices.js';
import { setFreezerV2 } from './freezer.js';
import { hugetlbV2 } from './hugetlb.js';
import { ioV2 } from './io.js';
import { memoryV2 } from './memory.js';
import { pidsV2 } from './pids.js';
import { createWithControllers } from './subtree.js';
import { unifiedV2 } from './unified.js';
import { signalEach } from '../signal-each.js';

export interface V2ManagerOptions {
  /** The cgroup2 mount (`/sys/fs/cgroup` on a unified host). */
  root: string;
  /** The container's cgroup inside the hierarchy (`/skiff/<id>`). */
  path: string;
  /** Set memory.oom.group so an OOM kill takes the whole container. */
  memoryOomGroup?: boolean;
  trace?: WriteTrace;
}

export class V2CgroupManager implements CgroupManager {
  readonly path: string;
  private readonly dir: string;
  private readonly fs: CgroupFs;
  private readonly controllers: CgroupController[];

  constructor(private readonly o: V2ManagerOptions) {
    this.path = o.path;
    this.dir = join(o.root, o.path);
    this.fs = new CgroupFs('v2', o.trace);
    // Order matters where files constrain each other; unified last so raw values win.
    this.controllers = [cpusetV2, cpuV2, memoryV2({ oomGroup: o.memoryOomGroup }), pidsV2, ioV2, hugetlbV2, devicesV2, unifiedV2];
  }

  async create(): Promise<void> {
    await createWithControllers(this.fs, this.o.root, this.o.path);
  }

  async addProcess(pid: number): Promise<void> {
    await this.fs.write(this.dir, 'cgroup.procs', String(pid), `cgroup.procs (pid ${pid})`);
  }

  async apply(r: LinuxResources): Promise<void> {
    if ((r.network?.classID ?? 0) !== 0 || (r.network?.priorities?.length ?? 0) > 0) {
      throw notImplemented('linux.resources.network: net_cls and net_prio do not exist in cgroup v2', { field: 'linux.resources.network' });
    }
    if (Object.keys(r.rdma ?? {}).length > 0) {
      throw notImplemented('linux.resources.rdma: not supported by skiff yet', { field: 'linux.resources.rdma' });
    }
    const available = await this.enabledControllers();
    for (const c of this.controllers) {
      const field = c.requestedField(r);
      // devices is BPF, not a controller file; unified checks its own files.
      if (field !== undefined && c.name !== 'devices' && c.name !== 'unified' && !available.has(c.name)) {
        throw notImplemented(`${field}: cgroup v2 ${c.name} controller is not available in ${this.o.root}`, { field });
      }
      await c.apply(this.fs, this.dir, r);
    }
  }

  /** Controllers usable in the container's cgroup (its cgroup.controllers). */
  async enabledControllers(): Promise<Set<string>> {
    const text = (await this.fs.readOptional(this.dir, 'cgroup.controllers')) ?? '';
    return new Set(text.trim().split(/\s+/).filter((c) => c !== ''));
  }

  async freeze(state: FreezerState): Promise<void> {
    await setFreezerV2(this.fs, this.dir, state);
  }

  async stats(): Promise<CgroupStats> {
    const out: CgroupStats = {};
    for (const c of this.controllers) await c.stats?.(this.fs, this.dir, out);
    return out;
  }

  pids(): Promise<number[]> {
    return readPidsRecursive(this.dir);
  }

  async killAll(signal: number): Promise<void> {
    if (signal === 9 && (await this.fs.exists(this.dir, 'cgroup.kill'))) {
      await this.fs.write(this.dir, 'cgroup.kill', '1', 'cgroup.kill');
      return;
    }
    // Freeze first so no process forks a child we would miss.
    await this.freeze('frozen');
    try {
      signalEach(await this.pids(), signal);
    } finally {
      await this.freeze('thawed');
    }
  }

  async remove(): Promise<void> {
    await removeCgroupDir(this.dir);
  }
}
