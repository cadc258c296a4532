// The one place libc is loaded (koffi). Other sys/ modules declare the functions they need on `libc`
// and call them through `check`, which turns a -1 return into a SysError carrying errno.

import koffi from 'koffi';
import { SysError } from './sys-error.js';

export const libc = koffi.load('libc.so.6');

/** errno of the calling thread, as set by the last failing libc call. */
export function lastErrno(): number {
  return koffi.errno();
}

/** Throws SysError when a libc call returned a negative value; returns the value otherwise. */
export function check<T extends number | bigint>(ret: T, syscall: string, path?: string): T {
  if (typeof ret === 'bigint' ? ret < 0n : ret < 0) throw new SysError(syscall, koffi.errno(), path);
  return ret;
}

export { koffi };
