// mkfifo and O_PATH opens: Node's fs has neither.

import { chmodSync } from 'node:fs';
import { libc, check } from './libc.js';

const mkfifoFn = libc.func('int mkfifo(const char *path, uint32_t mode)');
const openFn = libc.func('int open(const char *path, int flags, uint32_t mode)');
const closeFn = libc.func('int close(int fd)');

export const O_PATH = 0o10000000;
export const O_CLOEXEC = 0o2000000;
export const O_DIRECTORY = 0o200000;

/** Creates a fifo with exactly `mode`: the process umask (022 in a daemon) would strip 0622's writes. */
export function mkfifo(path: string, mode: number): void {
  check(mkfifoFn(path, mode) as number, 'mkfifo', path);
  chmodSync(path, mode);
}

/**
 * An O_PATH fd, close-on-exec: a child gets it only where it is handed over (spawn's stdio dup2s it
 * into the child's slot); left inheritable, every shim spawned meanwhile kept it for its whole life.
 */
export function openPath(path: string, extraFlags = 0): number {
  return check(openFn(path, O_PATH | O_CLOEXEC | extraFlags, 0) as number, 'open', path);
}

export function closeFd(fd: number): void {
  closeFn(fd);
}
