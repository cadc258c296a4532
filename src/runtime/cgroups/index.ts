// runtime/cgroups: one manager interface, a v1 driver (legacy and hybrid hosts) and a v2 driver.

import type { CgroupLayout, CgroupManager, CgroupMounts, WriteTrace } from './types.js';
import { DEFAULT_CGROUP_ROOT } from './detect.js';
import { V1CgroupManager } from './v1/manager.js';
import { V2CgroupManager } from './v2/manager.js';

export type * from './types.js';
export {
  DEFAULT_CGROUP_ROOT, DEFAULT_MOUNTINFO, detectCgroupLayout, readCgroupMounts, cgroupMountsFromMountinfo, layoutFromMounts,
  parseCgroupMountinfo,
} from './detect.js';
export { resolveCgroupPath, DEFAULT_CGROUP_PARENT, type CgroupPathOptions } from './cgroup-path.js';
export { normaliseDeviceRules, formatDeviceRule, type DeviceRule, type DeviceRuleSet } from './device-rules.js';
export { compileDeviceFilter, encodeInsns, type BpfInsn } from './ebpf-device-filter.js';
export { convertCpuSharesToWeight, cpuMaxValue } from './v2/cpu.js';
export { convertSwapToV2 } from './v2/memory.js';
export { convertBlkioWeightToV2 } from './v2/io.js';
export { V1CgroupManager, V2CgroupManager };

export interface CgroupManagerOptions {
  layout: CgroupLayout;
  /** `/sys/fs/cgroup`, or a fixture directory in tests. */
  root?: string;
  /** The container's cgroup within the hierarchy, from resolveCgroupPath. */
  path: string;
  /** v1/hybrid: the mounts, if already known; otherwise read from `mountinfoPath`. */
  mounts?: CgroupMounts;
  mountinfoPath?: string;
  /** v2: memory.oom.group = 1 (an OOM kill takes the whole container). */
  memoryOomGroup?: boolean;
  trace?: WriteTrace;
}

export function createCgroupManager(o: CgroupManagerOptions): CgroupManager {
  const root = o.root ?? DEFAULT_CGROUP_ROOT;
  if (o.layout === 'unified') {
    return new V2CgroupManager({ root, path: o.path, memoryOomGroup: o.memoryOomGroup, trace: o.trace });
  }
  return new V1CgroupManager({
    root, path: o.path, hybrid: o.layout === 'hybrid', mounts: o.mounts, mountinfoPath: o.mountinfoPath, trace: o.trace,
  });
}
