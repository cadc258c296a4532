// v2 cpuset: cpus and mems; an empty file inherits the parent's effective set, so nothing to copy.

import type { CgroupController } from '../controller.js';

const F = 'linux.resources.cpu';

export const cpusetV2: CgroupController = {
  name: 'cpuset',
  requestedField(r) {
    if ((r.cpu?.cpus ?? '') !== '') return `${F}.cpus`;
    if ((r.cpu?.mems ?? '') !== '') return `${F}.mems`;
    return undefined;
  },
  async apply(fs, dir, r) {
    if ((r.cpu?.cpus ?? '') !== '') await fs.write(dir, 'cpuset.cpus', r.cpu!.cpus!, `${F}.cpus`);
    if ((r.cpu?.mems ?? '') !== '') await fs.write(dir, 'cpuset.mems', r.cpu!.mems!, `${F}.mems`);
  },
};
