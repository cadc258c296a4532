// A failed syscall: which call, which errno, on which path. Code Internal: the calling layer gives it
// meaning (an ENOENT on a snapshot key becomes NotFound there), never a generic errno→code map.

import { SkiffError, describeErrno } from '../base/index.js';

export class SysError extends SkiffError {
  readonly syscall: string;
  readonly errno: number;

  constructor(syscall: string, errno: number, path?: string) {
    super('Internal', `${syscall}${path === undefined ? '' : ` ${path}`}: ${describeErrno(errno)}`, path === undefined ? {} : { path });
    this.name = 'SysError';
    this.syscall = syscall;
    this.errno = errno;
  }
}

export function isErrno(err: unknown, errno: number): boolean {
  return typeof err === 'object' && err !== null && (err as { errno?: unknown }).errno === errno;
}
