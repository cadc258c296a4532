// Signals a list of pids, ignoring those that exited meanwhile.

import { isNodeCode } from './cgroup-fs.js';

export function signalEach(pids: number[], signal: number): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if (!isNodeCode(err, 'ESRCH')) throw err;
    }
  }
}
