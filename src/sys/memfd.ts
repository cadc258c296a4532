// A sealed in-memory copy of a file (memfd, write/grow/shrink sealed), reachable as a path through
// /proc/<pid>/fd/<n>: an executable image that nobody, root included, can modify.

import { readFileSync, writeSync, closeSync } from 'node:fs';
import { libc, check } from './libc.js';

const memfdCreate = libc.func('int memfd_create(const char *name, unsigned int flags)');
const fcntlInt = libc.func('int fcntl(int fd, int cmd, int arg)');

const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const F_ADD_SEALS = 1033;
const F_SEAL_SEAL = 0x1;
const F_SEAL_SHRINK = 0x2;
const F_SEAL_GROW = 0x4;
const F_SEAL_WRITE = 0x8;

export interface SealedImage {
  /** Path that execs the image: /proc/<this pid>/fd/<n>. */
  readonly path: string;
  close(): void;
}

export function sealedCopy(source: string, name: string): SealedImage {
  const fd = check(memfdCreate(name, MFD_CLOEXEC | MFD_ALLOW_SEALING) as number, 'memfd_create', name);
  try {
    const data = readFileSync(source);
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    check(fcntlInt(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) as number, 'fcntl F_ADD_SEALS', source);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  let closed = false;
  return {
    path: `/proc/${process.pid}/fd/${fd}`,
    close: () => {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}
