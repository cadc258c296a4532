// An exclusive advisory lock on a file (flock(2)), held for the life of the process: the kernel
// drops it when the process dies, so a crashed daemon never leaves a stale lock.

import { closeSync, openSync, writeSync, ftruncateSync } from 'node:fs';
import { libc, lastErrno } from './libc.js';
import { SysError } from './sys-error.js';

const flock = libc.func('int flock(int fd, int operation)');
const LOCK_EX = 2;
const LOCK_NB = 4;

export interface FileLock {
  readonly path: string;
  release(): void;
}

/** Takes the lock without waiting; SysError EWOULDBLOCK (11) when another process holds it. */
export function lockFile(path: string, content?: string): FileLock {
  const fd = openSync(path, 'a+', 0o600);
  if ((flock(fd, LOCK_EX | LOCK_NB) as number) < 0) {
    const errno = lastErrno();
    closeSync(fd);
    throw new SysError('flock', errno, path);
  }
  if (content !== undefined) {
    ftruncateSync(fd, 0);
    writeSync(fd, content);
  }
  let released = false;
  return {
    path,
    release: () => {
      if (released) return;
      released = true;
      closeSync(fd); // closing the last fd drops the lock
    },
  };
}
