// v1 net_cls: the class id tagged on the container's packets.

import type { CgroupController } from '../controller.js';

const F = 'linux.resources.network.classID';

export const netClsV1: CgroupController = {
  name: 'net_cls',
  requestedField: (r) => (r.network?.classID !== undefined && r.network.classID !== 0 ? F : undefined),
  async apply(fs, dir, r) {
    const id = r.network?.classID;
    if (id !== undefined && id !== 0) await fs.write(dir, 'net_cls.classid', String(id), F);
  },
};
