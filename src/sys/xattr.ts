// Extended attributes on a path without following a final symlink (l*xattr): layer apply writes
// PAX SCHILY.xattr.* and overlay's trusted.overlay.opaque; diff and copy read them back.

import { libc, check, lastErrno } from './libc.js';
import { SysError } from './sys-error.js';

const lsetxattrFn = libc.func('int lsetxattr(const char *path, const char *name, const uint8_t *value, size_t size, int flags)');
const lgetxattrFn = libc.func('long lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)');
const llistxattrFn = libc.func('long llistxattr(const char *path, _Out_ uint8_t *list, size_t size)');
const lremovexattrFn = libc.func('int lremovexattr(const char *path, const char *name)');

const ENODATA = 61;
const ENOTSUP = 95;
const ERANGE = 34;

export function lsetxattr(path: string, name: string, value: Uint8Array | string, flags = 0): void {
  const buf = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value);
  check(lsetxattrFn(path, name, buf, buf.length, flags) as number, 'lsetxattr', `${path} ${name}`);
}

/** The attribute's value, or undefined when the file has no such attribute (or the fs has none). */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  for (let size = 256; size <= 1 << 20; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = Number(lgetxattrFn(path, name, buf, size));
    if (n >= 0) return buf.subarray(0, n);
    const errno = lastErrno();
    if (errno === ENODATA || errno === ENOTSUP) return undefined;
    if (errno !== ERANGE) throw new SysError('lgetxattr', errno, `${path} ${name}`);
  }
  throw new SysError('lgetxattr', ERANGE, `${path} ${name}`);
}

/** Names of the file's extended attributes (empty when the filesystem has none). */
export function llistxattr(path: string): string[] {
  for (let size = 1024; size <= 1 << 20; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = Number(llistxattrFn(path, buf, size));
    if (n >= 0) return buf.subarray(0, n).toString('utf8').split('\0').filter((s) => s !== '');
    const errno = lastErrno();
    if (errno === ENOTSUP) return [];
    if (errno !== ERANGE) throw new SysError('llistxattr', errno, path);
  }
  throw new SysError('llistxattr', ERANGE, path);
}

export function lremovexattr(path: string, name: string): void {
  check(lremovexattrFn(path, name) as number, 'lremovexattr', `${path} ${name}`);
}
