// v1 net_prio: one `ifname priority` write per interface.

import type { CgroupController } from '../controller.js';

const F = 'linux.resources.network.priorities';

export const netPrioV1: CgroupController = {
  name: 'net_prio',
  requestedField: (r) => ((r.network?.priorities?.length ?? 0) > 0 ? F : undefined),
  async apply(fs, dir, r) {
    for (const [i, p] of (r.network?.priorities ?? []).entries()) {
      await fs.write(dir, 'net_prio.ifpriomap', `${p.name} ${p.priority}`, `${F}[${i}]`);
    }
  },
};
