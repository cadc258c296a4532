// The one place an HTTP answer of the daemon becomes a SkiffError (moby's httpstatus, reversed).

import { SkiffError, type ErrorCode } from '../base/index.js';

const STATUS_CODES: Record<number, ErrorCode> = {
  304: 'NotModified',
  400: 'InvalidArgument',
  401: 'Unauthenticated',
  403: 'PermissionDenied',
  404: 'NotFound',
  409: 'Conflict',
  412: 'FailedPrecondition',
  501: 'NotImplemented',
  503: 'Unavailable',
};

/** An error answer of the daemon; `message` is the daemon's own text (the JSON body's `message`). */
export class DaemonError extends SkiffError {
  readonly statusCode: number;
  readonly isDaemonError = true;

  constructor(statusCode: number, message: string) {
    super(STATUS_CODES[statusCode] ?? 'Internal', message);
    this.name = 'DaemonError';
    this.statusCode = statusCode;
  }
}

/** True for an error the daemon sent (docker prints these as "Error response from daemon: …"). */
export function isDaemonError(err: unknown): err is DaemonError {
  return typeof err === 'object' && err !== null && (err as { isDaemonError?: unknown }).isDaemonError === true;
}

/** An error record inside a JSON progress stream (`errorDetail` / `error`). */
export class StreamError extends SkiffError {
  readonly isStreamError = true;
  readonly streamCode: number | undefined;

  constructor(message: string, streamCode?: number) {
    super('Internal', message);
    this.name = 'StreamError';
    this.streamCode = streamCode;
  }
}

export function isStreamError(err: unknown): err is StreamError {
  return typeof err === 'object' && err !== null && (err as { isStreamError?: unknown }).isStreamError === true;
}

/** The text of an error body: the JSON `message` when there is one, else the trimmed body. */
export function errorMessageOf(statusCode: number, contentType: string | undefined, body: string): string {
  if ((contentType ?? '').includes('json')) {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // fall through to the raw text
    }
  }
  const text = body.trim();
  return text === '' ? `${statusCode} ${httpStatusText(statusCode)}` : text;
}

function httpStatusText(status: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
    500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
  };
  return texts[status] ?? 'Error';
}
