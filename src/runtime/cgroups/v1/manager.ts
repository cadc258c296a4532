// The cgroup v1 driver: one directory per mounted hierarchy (co-mounted controllers share one). On a
// hybrid host the container also gets a directory in the unified mount, for the controllers that only
// exist there (hugetlb on Debian 12 hosts booted with systemd's hybrid layout) and for `unified`.

import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { invalidArgument, notImplemented } from '../../../base/index.js';
import type { LinuxResources } from '../../../oci/index.js';
import { CgroupFs, readPidsRecursive, removeCgroupDir } from '../cgroup-fs.js';
import type { CgroupController } from '../controller.js';
import { readCgroupMounts } from '../detect.js';
import { signalEach } from '../signal-each.js';
import type { CgroupManager, CgroupMounts, CgroupStats, FreezerState, V1Mount, WriteTrace } from '../types.js';
import { hugetlbV2 } from '../v2/hugetlb.js';
import { createWithControllers } from '../v2/subtree.js';
import { unifiedV2 } from '../v2/unified.js';
import { blkioV1 } from './blkio.js';
import { cpuV1 } from './cpu.js';
import { cpuacctV1 } from './cpuacct.js';
import { createCpusetDir, cpusetV1 } from './cpuset.js';
import { devicesV1 } from './devices.js';
import { freezerV1, setFreezerV1 } from './freezer.js';
import { hugetlbV1 } from './hugetlb.js';
import { memoryV1 } from './memory.js';
import { netClsV1 } from './net-cls.js';
import { netPrioV1 } from './net-prio.js';
import { pidsV1 } from './pids.js';

/** Order of writes: cpuset before the rest (tasks need cpus/mems), devices and freezer last. */
const CONTROLLERS: CgroupController[] = [
  cpusetV1, cpuV1, cpuacctV1, memoryV1, pidsV1, blkioV1, hugetlbV1, netClsV1, netPrioV1, devicesV1, freezerV1,
];

/** Controllers that are only in the unified mount on a hybrid host get handled there. */
const UNIFIED_FALLBACK: Record<string, CgroupController> = { hugetlb: hugetlbV2 };

export interface V1ManagerOptions {
  /** The tmpfs holding the v1 hierarchies (`/sys/fs/cgroup`). */
  root: string;
  path: string;
  hybrid: boolean;
  /** Mounts, when the caller detected them already; otherwise read from mountinfo. */
  mounts?: CgroupMounts;
  mountinfoPath?: string;
  trace?: WriteTrace;
}

interface Resolved {
  /** controller → directory of the container in that hierarchy. */
  dirs: Map<string, string>;
  /** controller → its hierarchy's mount point. */
  mountPoints: Map<string, string>;
  /** The container's directory in the unified mount (hybrid only). */
  unifiedDir?: string;
  unifiedRoot?: string;
  unifiedControllers: Set<string>;
}

function dirIn(mount: V1Mount, path: string): string {
  // Inside a cgroup namespace the mount's root is the namespace root; strip it from absolute paths.
  const rel = mount.root !== '/' && (path === mount.root || path.startsWith(mount.root + '/')) ? path.slice(mount.root.length) : path;
  return join(mount.mountPoint, rel);
}

export class V1CgroupManager implements CgroupManager {
  readonly path: string;
  private readonly fs: CgroupFs;
  private resolved?: Promise<Resolved>;

  constructor(private readonly o: V1ManagerOptions) {
    this.path = o.path;
    this.fs = new CgroupFs('v1', o.trace);
  }

  private resolve(): Promise<Resolved> {
    this.resolved ??= (async () => {
      const mounts = this.o.mounts ?? (await readCgroupMounts(this.o.root, { mountinfoPath: this.o.mountinfoPath }));
      const dirs = new Map<string, string>();
      const mountPoints = new Map<string, string>();
      for (const c of CONTROLLERS) {
        const m = mounts.v1.get(c.name);
        if (m === undefined) continue;
        dirs.set(c.name, dirIn(m, this.o.path));
        mountPoints.set(c.name, m.mountPoint);
      }
      const r: Resolved = { dirs, mountPoints, unifiedControllers: new Set() };
      if (this.o.hybrid && mounts.unified !== undefined) {
        r.unifiedRoot = mounts.unified;
        r.unifiedDir = join(mounts.unified, this.o.path);
        const text = (await this.fs.readOptional(mounts.unified, 'cgroup.controllers')) ?? '';
        for (const c of text.trim().split(/\s+/)) if (c !== '' && !dirs.has(c)) r.unifiedControllers.add(c);
      }
      return r;
    })();
    return this.resolved;
  }

  /** Directories of the container, one per hierarchy, for the controllers skiff manages. */
  async directories(): Promise<string[]> {
    const r = await this.resolve();
    const all = new Set(r.dirs.values());
    if (r.unifiedDir !== undefined) all.add(r.unifiedDir);
    return [...all];
  }

  async create(): Promise<void> {
    const r = await this.resolve();
    const done = new Set<string>();
    for (const [name, dir] of r.dirs) {
      if (done.has(dir)) continue;
      done.add(dir);
      const mountPoint = r.mountPoints.get(name)!;
      if (name === 'cpuset') await createCpusetDir(this.fs, mountPoint, relative(mountPoint, dir));
      else await mkdir(dir, { recursive: true });
    }
    if (r.unifiedRoot !== undefined) {
      await createWithControllers(this.fs, r.unifiedRoot, this.o.path, [...r.unifiedControllers]);
    }
  }

  async addProcess(pid: number): Promise<void> {
    for (const dir of await this.directories()) {
      await this.fs.write(dir, 'cgroup.procs', String(pid), `cgroup.procs (pid ${pid})`);
    }
  }

  async apply(res: LinuxResources): Promise<void> {
    const r = await this.resolve();
    if (Object.keys(res.rdma ?? {}).length > 0) {
      throw notImplemented('linux.resources.rdma: not supported by skiff yet', { field: 'linux.resources.rdma' });
    }
    for (const c of CONTROLLERS) {
      const dir = r.dirs.get(c.name);
      if (dir !== undefined) {
        await c.apply(this.fs, dir, res);
        continue;
      }
      const field = c.requestedField(res);
      if (field === undefined) continue;
      const fallback = UNIFIED_FALLBACK[c.name];
      if (fallback !== undefined && r.unifiedDir !== undefined && r.unifiedControllers.has(c.name)) {
        await fallback.apply(new CgroupFs('v2', this.o.trace), r.unifiedDir, res);
        continue;
      }
      throw notImplemented(`${field}: cgroup v1 ${c.name} controller is not mounted under ${this.o.root}`, { field });
    }
    if (unifiedV2.requestedField(res) !== undefined) {
      if (r.unifiedDir === undefined) {
        throw invalidArgument('linux.resources.unified: cgroup v2 resources need a cgroup2 mount; this host has none',
          { field: 'linux.resources.unified' });
      }
      await unifiedV2.apply(new CgroupFs('v2', this.o.trace), r.unifiedDir, res);
    }
  }

  async freeze(state: FreezerState): Promise<void> {
    const dir = (await this.resolve()).dirs.get('freezer');
    if (dir === undefined) throw notImplemented('cgroup v1 freezer controller is not mounted', {});
    await setFreezerV1(this.fs, dir, state);
  }

  async stats(): Promise<CgroupStats> {
    const r = await this.resolve();
    const out: CgroupStats = {};
    // cpu before cpuacct: cpuacct keeps the throttling numbers cpu read.
    for (const c of CONTROLLERS) {
      const dir = r.dirs.get(c.name);
      if (dir !== undefined) await c.stats?.(this.fs, dir, out);
    }
    if (r.unifiedDir !== undefined && r.unifiedControllers.has('hugetlb')) await hugetlbV2.stats?.(this.fs, r.unifiedDir, out);
    return out;
  }

  async pids(): Promise<number[]> {
    const r = await this.resolve();
    const dir = r.dirs.get('pids') ?? r.dirs.get('freezer') ?? r.dirs.get('memory') ?? [...r.dirs.values()][0];
    return dir === undefined ? [] : readPidsRecursive(dir);
  }

  async killAll(signal: number): Promise<void> {
    const hasFreezer = (await this.resolve()).dirs.has('freezer');
    // Freeze first so no process forks a child we would miss (runc's signalAllProcesses).
    if (hasFreezer) await this.freeze('frozen');
    try {
      signalEach(await this.pids(), signal);
    } finally {
      if (hasFreezer) await this.freeze('thawed');
    }
  }

  async remove(): Promise<void> {
    for (const dir of await this.directories()) await removeCgroupDir(dir);
  }
}
