// Error codes → Docker API statuses and bodies (moby api/server/httpstatus): one table, STYLE.md §2.5.
import { codeOf, type ErrorCode } from '../../base/index.js';

const STATUS: Record<ErrorCode, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  InvalidArgument: 400,
  FailedPrecondition: 409,
  NotModified: 304,
  PermissionDenied: 403,
  Unauthenticated: 401,
  ResourceExhausted: 500,
  Unavailable: 503,
  NotImplemented: 501,
  Cancelled: 500,
  DataLoss: 500,
  Internal: 500,
};

export function httpStatusOf(err: unknown): number {
  return STATUS[codeOf(err)];
}

/** The message docker puts in `{"message": …}`: the error's own text (with the field when named). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
