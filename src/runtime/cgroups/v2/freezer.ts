// v2 freezer: cgroup.freeze, then wait until cgroup.events reports the state. The kernel signals
// changes of cgroup.events through inotify (file modified), so wait on a watcher, with a bounded
// re-read in case a notification is missed.

import { watch } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../../../base/index.js';
import { parseFlatKeyed, type CgroupFs } from '../cgroup-fs.js';
import type { FreezerState } from '../types.js';

const RECHECK_MS = 50;

/** Resolves when `cgroup.events` has `key value`; rejects after `timeoutMs`. */
export async function waitForCgroupEvent(fs: CgroupFs, dir: string, key: string, value: number, timeoutMs = 10_000): Promise<void> {
  const path = join(dir, 'cgroup.events');
  let wake: (() => void) | undefined;
  const watcher = watch(path, () => wake?.());
  watcher.on('error', () => wake?.());
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const events = parseFlatKeyed(await fs.read(dir, 'cgroup.events'));
      if (events[key] === value) return;
      if (Date.now() > deadline) {
        throw new SkiffError('Internal', `cgroup v2 cgroup.events: ${dir} did not reach "${key} ${value}"`, { path: dir });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RECHECK_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    watcher.close();
  }
}

export async function setFreezerV2(fs: CgroupFs, dir: string, state: FreezerState): Promise<void> {
  const want = state === 'frozen' ? 1 : 0;
  await fs.write(dir, 'cgroup.freeze', String(want), 'freezer');
  await waitForCgroupEvent(fs, dir, 'frozen', want);
}
