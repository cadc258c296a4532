// v2 devices: no files, an eBPF program of type CGROUP_DEVICE attached to the cgroup. The new
// program is attached (ALLOW_MULTI) before the old ones are detached, so an update never leaves a
// window with no filter (runc does the same).

import { closeSync, constants, openSync } from 'node:fs';
import { SkiffError } from '../../../base/index.js';
import {
  BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, BPF_PROG_TYPE_CGROUP_DEVICE, bpfProgAttach, bpfProgDetach, bpfProgGetFdById,
  bpfProgLoad, bpfProgQuery,
} from '../../../sys/index.js';
import { normaliseDeviceRules } from '../device-rules.js';
import { compileDeviceFilter, encodeInsns } from '../ebpf-device-filter.js';
import type { CgroupController } from '../controller.js';

const F = 'linux.resources.devices';

/** Loads the program for `rules` and makes it the only device program of the cgroup `dir`. */
export function attachDeviceFilter(dir: string, insns: Buffer): void {
  const cgroupFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const old = bpfProgQuery(cgroupFd, BPF_CGROUP_DEVICE, dir);
    const progFd = bpfProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, insns);
    try {
      bpfProgAttach(cgroupFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, dir);
    } finally {
      // The attachment holds its own reference to the program.
      closeSync(progFd);
    }
    for (const id of old) {
      const oldFd = bpfProgGetFdById(id);
      try {
        bpfProgDetach(cgroupFd, oldFd, BPF_CGROUP_DEVICE, dir);
      } finally {
        closeSync(oldFd);
      }
    }
  } finally {
    closeSync(cgroupFd);
  }
}

export const devicesV2: CgroupController = {
  name: 'devices',
  requestedField: (r) => ((r.devices?.length ?? 0) > 0 ? F : undefined),
  async apply(_fs, dir, r) {
    if (r.devices === undefined || r.devices.length === 0) return;
    const insns = encodeInsns(compileDeviceFilter(normaliseDeviceRules(r.devices)));
    try {
      attachDeviceFilter(dir, insns);
    } catch (err) {
      throw new SkiffError('Internal', `${F}: cgroup v2 device filter: ${(err as Error).message}`, { cause: err, field: F, path: dir });
    }
  },
};
