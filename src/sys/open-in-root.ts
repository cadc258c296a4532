// Reads a file of a container's root filesystem from the host without ever leaving that root:
// openat2(RESOLVE_IN_ROOT) resolves "..", absolute symlinks and the rest as if `root` were "/".

import { readSync, closeSync } from 'node:fs';
import { koffi, libc, check } from './libc.js';

koffi.struct('skiff_open_how', { flags: 'uint64_t', mode: 'uint64_t', resolve: 'uint64_t' });
const syscall3 = libc.func('long syscall(long nr, int dirfd, const char *path, _Inout_ skiff_open_how *how, size_t size)');
const openFn = libc.func('int open(const char *path, int flags, uint32_t mode)');

const SYS_openat2 = 437;
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const O_DIRECTORY = 0o200000;
const O_PATH = 0o10000000;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_IN_ROOT = 0x10;

/** Opens `path` inside `root` read-only; returns an fd the caller closes. */
export function openInRoot(root: string, path: string): number {
  const rootFd = check(openFn(root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0) as number, 'open', root);
  try {
    const how = { flags: BigInt(O_RDONLY | O_CLOEXEC), mode: 0n, resolve: BigInt(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) };
    const rel = path.replace(/^\/+/, '') || '.';
    return Number(check(syscall3(SYS_openat2, rootFd, rel, how, 24) as number | bigint, 'openat2', `${root}/${rel}`));
  } finally {
    closeSync(rootFd);
  }
}

/** Reads at most `maxBytes` of `path` inside `root`; undefined when it does not exist. */
export function readFileInRoot(root: string, path: string, maxBytes = 1 << 20): string | undefined {
  let fd: number;
  try {
    fd = openInRoot(root, path);
  } catch (err) {
    if ((err as { errno?: number }).errno === 2) return undefined;
    throw err;
  }
  try {
    const buf = Buffer.alloc(maxBytes);
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, total, maxBytes - total, null);
      if (n <= 0 || total + n >= maxBytes) {
        total += Math.max(n, 0);
        break;
      }
      total += n;
    }
    return buf.subarray(0, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
