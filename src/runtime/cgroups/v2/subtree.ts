// Controllers are usable in a v2 cgroup only when every ancestor enables them in
// cgroup.subtree_control; enable what is available, level by level from the root down to the parent.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CgroupFs } from '../cgroup-fs.js';

/** Creates `root/relPath` and enables `wanted` (default: all available) on each ancestor. Returns the
 * controllers that could not be enabled somewhere on the way. */
export async function createWithControllers(fs: CgroupFs, root: string, relPath: string, wanted?: string[]): Promise<string[]> {
  const parts = relPath.split('/').filter((p) => p !== '');
  const missing = new Set<string>();
  let dir = root;
  for (const part of parts) {
    const available = ((await fs.readOptional(dir, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter((c) => c !== '');
    const enabled = new Set(((await fs.readOptional(dir, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/));
    for (const c of wanted ?? available) {
      if (!available.includes(c)) {
        missing.add(c);
        continue;
      }
      if (enabled.has(c)) continue;
      try {
        // One write per controller: one refusal (a busy cpuset) must not block the others.
        await fs.write(dir, 'cgroup.subtree_control', `+${c}`, `cgroup.subtree_control +${c}`);
      } catch {
        missing.add(c);
      }
    }
    dir = join(dir, part);
    await mkdir(dir, { recursive: true });
  }
  return [...missing];
}
