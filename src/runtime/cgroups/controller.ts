// The shape of one controller module (v1 or v2): what it writes from LinuxResources and what it reads back
// into CgroupStats. `dir` is the container's directory in that controller's hierarchy.

import type { LinuxResources } from '../../oci/index.js';
import type { CgroupFs } from './cgroup-fs.js';
import type { CgroupStats } from './types.js';

export interface CgroupController {
  readonly name: string;
  /** The first field of `r` this controller would have to write, if any (to name it when unmounted). */
  requestedField(r: LinuxResources): string | undefined;
  apply(fs: CgroupFs, dir: string, r: LinuxResources): Promise<void>;
  stats?(fs: CgroupFs, dir: string, into: CgroupStats): Promise<void>;
}
