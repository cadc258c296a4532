// v1 cpuset: a new cpuset cgroup starts with empty cpus/mems and refuses tasks, so creation copies
// them from the parent, top-down from the hierarchy root (runc's cpusetEnsureParent).

import { mkdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { CgroupFs } from '../cgroup-fs.js';
import type { CgroupController } from '../controller.js';

const F = 'linux.resources.cpu';

export async function createCpusetDir(fs: CgroupFs, mountDir: string, relPath: string): Promise<void> {
  let parent = mountDir;
  for (const part of relPath.split('/').filter((p) => p !== '')) {
    const dir = join(parent, part);
    await mkdir(dir, { recursive: true });
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const own = (await fs.readOptional(dir, file))?.trim();
      if (own !== undefined && own === '') {
        const inherited = ((await fs.readOptional(parent, file)) ?? '').trim();
        await fs.write(dir, file, inherited, `cgroup ${posix.join('/', relPath)}`);
      }
    }
    parent = dir;
  }
}

export const cpusetV1: CgroupController = {
  name: 'cpuset',
  requestedField(r) {
    if (r.cpu?.cpus !== undefined && r.cpu.cpus !== '') return `${F}.cpus`;
    if (r.cpu?.mems !== undefined && r.cpu.mems !== '') return `${F}.mems`;
    return undefined;
  },
  async apply(fs, dir, r) {
    if (r.cpu?.cpus !== undefined && r.cpu.cpus !== '') await fs.write(dir, 'cpuset.cpus', r.cpu.cpus, `${F}.cpus`);
    if (r.cpu?.mems !== undefined && r.cpu.mems !== '') await fs.write(dir, 'cpuset.mems', r.cpu.mems, `${F}.mems`);
  },
};
