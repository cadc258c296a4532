// One closed set of error codes (containerd errdefs). Only the edges (api/, cri/, cli/) translate a
// code into an HTTP status, a gRPC code or an exit code; identity is checked by code, never instanceof.

export type ErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'InvalidArgument'
  | 'FailedPrecondition'
  | 'NotModified'
  | 'PermissionDenied'
  | 'Unauthenticated'
  | 'ResourceExhausted'
  | 'Unavailable'
  | 'NotImplemented'
  | 'Cancelled'
  | 'DataLoss'
  | 'Internal';

export interface SkiffErrorOptions {
  cause?: unknown;
  /** The config field (JSON pointer or dotted path) that produced the error. */
  field?: string;
  /** The file or path the error is about. */
  path?: string;
  /** A short suggestion of what to do. */
  hint?: string;
}

export class SkiffError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly path: string | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, opts: SkiffErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SkiffError';
    this.code = code;
    this.field = opts.field;
    this.path = opts.path;
    this.hint = opts.hint;
  }
}

/** True when `err` carries `code`, whatever realm or class produced it. */
export function isCode(err: unknown, code: ErrorCode): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** The error's code, or Internal for anything that is not a SkiffError (a programmer error). */
export function codeOf(err: unknown): ErrorCode {
  if (err instanceof SkiffError) return err.code;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && ERROR_CODES.has(code as ErrorCode) ? (code as ErrorCode) : 'Internal';
}

const ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NotFound', 'AlreadyExists', 'Conflict', 'InvalidArgument', 'FailedPrecondition', 'NotModified',
  'PermissionDenied', 'Unauthenticated', 'ResourceExhausted', 'Unavailable', 'NotImplemented',
  'Cancelled', 'DataLoss', 'Internal',
]);

export const notFound = (message: string, opts?: SkiffErrorOptions): SkiffError => new SkiffError('NotFound', message, opts);
export const invalidArgument = (message: string, opts?: SkiffErrorOptions): SkiffError =>
  new SkiffError('InvalidArgument', message, opts);
export const conflict = (message: string, opts?: SkiffErrorOptions): SkiffError => new SkiffError('Conflict', message, opts);
export const failedPrecondition = (message: string, opts?: SkiffErrorOptions): SkiffError =>
  new SkiffError('FailedPrecondition', message, opts);
export const notImplemented = (message: string, opts?: SkiffErrorOptions): SkiffError =>
  new SkiffError('NotImplemented', message, opts);

/** Error text of a Node system error (`ENOENT: no such file…`) reduced to the part after the code. */
export function describeErrno(errno: number): string {
  return ERRNO_TEXT[errno] ?? `errno ${errno}`;
}

/** Linux errno names → strerror text, for errors that come back from the native shim as numbers. */
const ERRNO_TEXT: Record<number, string> = {
  1: 'operation not permitted',
  2: 'no such file or directory',
  3: 'no such process',
  4: 'interrupted system call',
  5: 'input/output error',
  7: 'argument list too long',
  8: 'exec format error',
  9: 'bad file descriptor',
  11: 'resource temporarily unavailable',
  12: 'cannot allocate memory',
  13: 'permission denied',
  14: 'bad address',
  16: 'device or resource busy',
  17: 'file exists',
  18: 'invalid cross-device link',
  19: 'no such device',
  20: 'not a directory',
  21: 'is a directory',
  22: 'invalid argument',
  24: 'too many open files',
  25: 'inappropriate ioctl for device',
  26: 'text file busy',
  28: 'no space left on device',
  30: 'read-only file system',
  36: 'file name too long',
  38: 'function not implemented',
  39: 'directory not empty',
  40: 'too many levels of symbolic links',
  95: 'operation not supported',
  110: 'connection timed out',
  111: 'connection refused',
};

export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EBUSY: 16,
  EEXIST: 17, EXDEV: 18, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EMFILE: 24, ENOSPC: 28, EROFS: 30,
  ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, EOPNOTSUPP: 95,
} as const;
