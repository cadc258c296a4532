// v2 pids: same files as v1.

import type { CgroupController } from '../controller.js';
import { pidsV1 } from '../v1/pids.js';

export const pidsV2: CgroupController = { ...pidsV1 };
