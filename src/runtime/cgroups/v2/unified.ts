// `linux.resources.unified`: cgroup v2 files written as given, after everything else so they win.
// A key must name an existing file in the container's cgroup (runc refuses the same way).

import { invalidArgument } from '../../../base/index.js';
import type { CgroupController } from '../controller.js';

const F = 'linux.resources.unified';

/** Files that move processes or change the tree: the manager owns them. */
const RESERVED = new Set(['cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control', 'cgroup.type', 'cgroup.kill', 'cgroup.freeze']);

export const unifiedV2: CgroupController = {
  name: 'unified',
  requestedField: (r) => (Object.keys(r.unified ?? {}).length > 0 ? F : undefined),
  async apply(fs, dir, r) {
    for (const [key, value] of Object.entries(r.unified ?? {})) {
      const field = `${F}["${key}"]`;
      if (key === '' || key.includes('/') || key.startsWith('.') || RESERVED.has(key)) {
        throw invalidArgument(`${field}: not a cgroup v2 resource file name`, { field });
      }
      if (!(await fs.exists(dir, key))) {
        throw invalidArgument(`${field}: cgroup v2 file ${key} does not exist (controller not enabled or unknown file)`, { field });
      }
      await fs.write(dir, key, value, field);
    }
  },
};
