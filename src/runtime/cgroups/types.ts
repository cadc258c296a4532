// The cgroup manager interface (youki's libcgroups trait). The layout of the host and the driver are
// separate axes (crun): a hybrid host runs the v1 driver, with the unified mount used for the
// controllers that only exist there.

import type { LinuxResources } from '../../oci/index.js';

export type CgroupLayout = 'unified' | 'hybrid' | 'legacy';

export type FreezerState = 'frozen' | 'thawed';

export interface CgroupManager {
  /** The container's cgroup, relative to the hierarchy root (`/skiff/<id>`). */
  readonly path: string;
  /** Creates the cgroup; v2 enables the controllers down the tree, v1 copies cpuset from the parent. */
  create(): Promise<void>;
  addProcess(pid: number): Promise<void>;
  /** Writes every set field of `resources`; errors name the field and the file. */
  apply(resources: LinuxResources): Promise<void>;
  /** Resolves once the kernel reports the state reached. */
  freeze(state: FreezerState): Promise<void>;
  stats(): Promise<CgroupStats>;
  /** Every pid in the cgroup and its descendants. */
  pids(): Promise<number[]>;
  /** Sends `signal` to every process (v2 SIGKILL: cgroup.kill; otherwise freeze, walk, thaw). */
  killAll(signal: number): Promise<void>;
  /** Removes the cgroup and any sub-cgroups, bottom-up; a missing cgroup is not an error. */
  remove(): Promise<void>;
}

// Stats carry what docker's stats JSON needs (moby api/types/container/stats.go): the engine adds the
// host's cpu time and online cpus. Byte and time counters are numbers (2^53 bytes is 8 PiB); limits
// are null when unlimited.

export interface CgroupStats {
  memory?: MemoryStats;
  cpu?: CpuStats;
  pids?: PidsStats;
  blkio?: BlkioStats;
  hugetlb?: Record<string, HugetlbStats>;
}

export interface MemoryStats {
  /** v1 memory.usage_in_bytes, v2 memory.current. */
  usageBytes: number;
  /** v1 memory.max_usage_in_bytes, v2 memory.peak (kernel 5.19+). */
  maxUsageBytes?: number;
  limitBytes: number | null;
  /** v1 memory.failcnt, v2 memory.events `max`. */
  failcnt: number;
  /** v1 memory.oom_control `oom_kill`, v2 memory.events `oom_kill`. */
  oomKillCount: number;
  /** v1 memory.stat `cache`, v2 memory.stat `file`. */
  cacheBytes: number;
  /** What `docker stats` subtracts from usage: v1 `total_inactive_file`, v2 `inactive_file`. */
  inactiveFileBytes: number;
  /** Swap in use: v1 memsw.usage − usage, v2 memory.swap.current; absent without swap accounting. */
  swapUsageBytes?: number;
  /** v1 memsw limit (memory + swap), v2 memory.swap.max (swap alone). */
  swapLimitBytes?: number | null;
  /** memory.stat as read: docker's `memory_stats.stats`. */
  raw: Record<string, number>;
}

export interface CpuStats {
  usageTotalNs: number;
  usageUserNs: number;
  usageSystemNs: number;
  /** v1 cpuacct.usage_percpu; v2 has no per-cpu counters. */
  perCpuNs?: number[];
  throttling: { periods: number; throttledPeriods: number; throttledTimeNs: number };
}

export interface PidsStats {
  current: number;
  limit: number | null;
}

export type BlkioOp = 'Read' | 'Write' | 'Sync' | 'Async' | 'Discard' | 'Total';

export interface BlkioEntry {
  major: number;
  minor: number;
  op: BlkioOp;
  value: number;
}

export interface BlkioStats {
  /** docker `io_service_bytes_recursive`. */
  ioServiceBytes: BlkioEntry[];
  /** docker `io_serviced_recursive`. */
  ioServiced: BlkioEntry[];
}

export interface HugetlbStats {
  usageBytes: number;
  maxUsageBytes?: number;
  failcnt: number;
}

/** Mount points of v1 hierarchies, by controller (`cpu`, `cpuacct`, `name=systemd` …). */
export interface V1Mount {
  /** Where the hierarchy is mounted. */
  mountPoint: string;
  /** The mount's root inside the hierarchy (`/` unless inside a cgroup namespace). */
  root: string;
  controllers: string[];
}

export interface CgroupMounts {
  /** Controller name → mount; co-mounted controllers share one entry. */
  v1: Map<string, V1Mount>;
  /** The cgroup2 mount point, if any (the root itself on a unified host). */
  unified?: string;
}

/** Receives every write a driver makes: a recorded-syscall test double (youki) and a debug trace. */
export type WriteTrace = (path: string, value: string) => void;
