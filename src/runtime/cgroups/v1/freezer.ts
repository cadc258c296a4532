// v1 freezer: writing FROZEN may leave the cgroup FREEZING while tasks are in uninterruptible
// sleep; like runc, re-write and re-read a bounded number of times.

import { SkiffError } from '../../../base/index.js';
import type { CgroupFs } from '../cgroup-fs.js';
import type { FreezerState } from '../types.js';
import type { CgroupController } from '../controller.js';

const STATE = 'freezer.state';
const ATTEMPTS = 1000;

export async function setFreezerV1(fs: CgroupFs, dir: string, state: FreezerState): Promise<void> {
  const want = state === 'frozen' ? 'FROZEN' : 'THAWED';
  for (let i = 0; i < ATTEMPTS; i++) {
    await fs.write(dir, STATE, want, 'freezer');
    const now = (await fs.read(dir, STATE)).trim();
    if (now === want) return;
    // FREEZING: give the tasks a moment to reach the refrigerator, then ask again.
    await new Promise((r) => setTimeout(r, Math.min(10 + i, 50)));
  }
  throw new SkiffError('Internal', `cgroup v1 ${STATE}: ${dir} did not reach ${want}`, { path: dir });
}

export async function readFreezerV1(fs: CgroupFs, dir: string): Promise<FreezerState> {
  return (await fs.read(dir, STATE)).trim() === 'THAWED' ? 'thawed' : 'frozen';
}

export const freezerV1: CgroupController = {
  name: 'freezer',
  requestedField: () => undefined,
  async apply() {},
};
