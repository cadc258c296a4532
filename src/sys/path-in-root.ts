// Directories resolved inside a root as if it were "/" (openat2 RESOLVE_IN_ROOT): "..", absolute
// symlinks and relative symlinks that climb never leave the root. The kernel does the resolution, so
// there is no lstat-then-open race. Callers act on `fdPath(dirFd, name)` (/proc/self/fd/N/name), whose
// final component they never follow, then close the fd.

import { closeSync } from 'node:fs';
import { koffi, libc, check, lastErrno } from './libc.js';
import { SysError } from './sys-error.js';

koffi.struct('skiff_open_how2', { flags: 'uint64_t', mode: 'uint64_t', resolve: 'uint64_t' });
const openat2Fn = libc.func('long syscall(long nr, int dirfd, const char *path, _Inout_ skiff_open_how2 *how, size_t size)');
const openFn = libc.func('int open(const char *path, int flags, uint32_t mode)');
const mkdiratFn = libc.func('int mkdirat(int dirfd, const char *path, uint32_t mode)');

const SYS_openat2 = 437;
const O_CLOEXEC = 0o2000000;
const O_DIRECTORY = 0o200000;
const O_PATH = 0o10000000;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_IN_ROOT = 0x10;
const ENOENT = 2;
const EEXIST = 17;
const EAGAIN = 11;

/** An O_PATH fd on the root directory itself; the caller closes it. */
export function openRootDir(root: string): number {
  return check(openFn(root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0) as number, 'open', root);
}

/** Opens directory `rel` resolved inside the root fd (O_PATH); throws SysError (ENOENT, ENOTDIR…). */
export function openDirInRoot(rootFd: number, rel: string): number {
  const path = rel.replace(/^\/+/, '') || '.';
  const how = { flags: BigInt(O_PATH | O_DIRECTORY | O_CLOEXEC), mode: 0n, resolve: BigInt(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) };
  for (let attempt = 0; ; attempt++) {
    const ret = Number(openat2Fn(SYS_openat2, rootFd, path, how, 24) as number | bigint);
    if (ret >= 0) return ret;
    const errno = lastErrno();
    // openat2 returns EAGAIN when a concurrent rename raced the resolution; retry a few times.
    if (errno !== EAGAIN || attempt > 8) throw new SysError('openat2', errno, path);
  }
}

/** Like `mkdir -p` inside the root: every missing component is created with `mode`; returns an O_PATH fd. */
export function mkdirAllInRoot(rootFd: number, rel: string, mode = 0o755): number {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  try {
    return openDirInRoot(rootFd, parts.join('/'));
  } catch (err) {
    if ((err as { errno?: number }).errno !== ENOENT) throw err;
  }
  let fd = openDirInRoot(rootFd, '.');
  try {
    for (let i = 0; i < parts.length; i++) {
      const sub = parts.slice(0, i + 1).join('/');
      let next: number;
      try {
        next = openDirInRoot(rootFd, sub);
      } catch (err) {
        if ((err as { errno?: number }).errno !== ENOENT) throw err;
        // The component may be a dangling symlink: mkdirat does not follow it, it fails EEXIST.
        const ret = mkdiratFn(fd, parts[i]!, mode) as number;
        if (ret < 0 && lastErrno() !== EEXIST) throw new SysError('mkdirat', lastErrno(), sub);
        next = openDirInRoot(rootFd, sub);
      }
      closeSync(fd);
      fd = next;
    }
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** The path through which name (or the directory itself) is reached from an open directory fd. */
export function fdPath(dirFd: number, name?: string): string {
  return name === undefined || name === '' ? `/proc/self/fd/${dirFd}` : `/proc/self/fd/${dirFd}/${name}`;
}
