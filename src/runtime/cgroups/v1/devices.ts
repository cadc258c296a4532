// v1 devices: reset to the rule set's default with a wildcard `a` write (deny first, as runc does
// for the usual default-deny list), then write every later rule in order to devices.allow or
// devices.deny; the kernel applies partial-access rules itself.

import { formatDeviceRule, normaliseDeviceRules } from '../device-rules.js';
import type { CgroupController } from '../controller.js';

const F = 'linux.resources.devices';

export const devicesV1: CgroupController = {
  name: 'devices',
  requestedField: (r) => ((r.devices?.length ?? 0) > 0 ? F : undefined),
  async apply(fs, dir, r) {
    if (r.devices === undefined || r.devices.length === 0) return;
    const set = normaliseDeviceRules(r.devices);
    await fs.write(dir, set.defaultAllow ? 'devices.allow' : 'devices.deny', 'a', F);
    for (const [i, rule] of set.rules.entries()) {
      await fs.write(dir, rule.allow ? 'devices.allow' : 'devices.deny', formatDeviceRule(rule), `${F}[${i}]`);
    }
  },
};
