// v1 pids: pids.max; a limit ≤ 0 means unlimited (runtime-spec 1.2.1).

import { parseLimit, parseUint } from '../cgroup-fs.js';
import type { LinuxResources } from '../../../oci/index.js';
import type { CgroupController } from '../controller.js';

export function pidsMaxValue(r: LinuxResources): string | undefined {
  const limit = r.pids?.limit;
  if (limit === undefined) return undefined;
  return limit > 0 ? String(limit) : 'max';
}

export const pidsV1: CgroupController = {
  name: 'pids',
  requestedField: (r) => (r.pids?.limit !== undefined && r.pids.limit > 0 ? 'linux.resources.pids.limit' : undefined),
  async apply(fs, dir, r) {
    const value = pidsMaxValue(r);
    if (value !== undefined) await fs.write(dir, 'pids.max', value, 'linux.resources.pids.limit');
  },
  async stats(fs, dir, into) {
    const max = await fs.readOptional(dir, 'pids.max');
    into.pids = { current: parseUint(await fs.readOptional(dir, 'pids.current')), limit: max === undefined ? null : parseLimit(max) };
  },
};
