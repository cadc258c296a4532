// mknod for character and block devices and fifos (Node's fs has none of them).

import { libc, check } from './libc.js';

const mknodFn = libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)');

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

/** glibc's makedev: the 64-bit dev_t of a (major, minor) pair. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

/** Creates a device node or fifo; `type` is S_IFCHR, S_IFBLK or S_IFIFO, `perm` the permission bits. */
export function mknod(path: string, type: number, perm: number, major = 0, minor = 0): void {
  check(mknodFn(path, (type | (perm & 0o7777)) >>> 0, makedev(major, minor)) as number, 'mknod', path);
}
