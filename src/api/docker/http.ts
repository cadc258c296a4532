// Small HTTP helpers of the Docker API server: JSON replies, docker's error bodies, query parsing as
// moby's httputils does, and streams of JSON messages whose failures become an error record.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { SkiffError } from '../../base/index.js';
import { errorMessage, httpStatusOf } from './errors.js';
import { errorJsonMessage, type JsonMessage } from './progress.js';

export interface ApiRequest {
  method: string;
  /** The path without the `/v1.NN` prefix. */
  path: string;
  /** The API version the client asked for (the server's own when unversioned). */
  version: string;
  query: URLSearchParams;
  params: string[];
  raw: IncomingMessage;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /**
   * Takes the connection over (docker's hijack): answers `101 UPGRADED` when the client asked for an
   * upgrade (docker CLI, dockerode, docker-py), else `200 OK`, and returns the raw socket.
   */
  hijack(contentType: string): Duplex;
}

export type Handler = (req: ApiRequest, res: ServerResponse) => Promise<void>;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  const status = httpStatusOf(err);
  if (status === 304) {
    sendNoContent(res, 304);
    return;
  }
  sendJson(res, status, { message: errorMessage(err) });
}

/** moby versions.LessThan: whether the API version a client asked for is older than `than`. */
export function olderThan(version: string, than: string): boolean {
  const [a1, a2] = version.split('.').map(Number);
  const [b1, b2] = than.split('.').map(Number);
  return a1! < b1! || (a1 === b1 && a2! < b2!);
}

/** moby httputils.BoolValue: absent, "", "0", "no", "false", "none" are false. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

export function intParam(q: URLSearchParams, name: string, fallback: number): number {
  const v = q.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new SkiffError('InvalidArgument', `invalid value for ${name}: ${v}`, { field: name });
  return n;
}

/** `filters` in both of docker's encodings: {"k":["v"]} and {"k":{"v":true}}. */
export function filtersParam(q: URLSearchParams): Record<string, string[]> {
  const raw = q.get('filters');
  if (raw === null || raw === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw new SkiffError('InvalidArgument', `invalid filters: ${(err as Error).message}`, { field: 'filters', cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SkiffError('InvalidArgument', 'invalid filters: expected an object', { field: 'filters' });
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (Array.isArray(val)) out[k] = val.map(String);
    else if (typeof val === 'object' && val !== null) out[k] = Object.entries(val as Record<string, unknown>).filter(([, on]) => on === true).map(([x]) => x);
    else throw new SkiffError('InvalidArgument', `invalid filters: ${k} must be a list or a map`, { field: `filters.${k}` });
  }
  return out;
}

/** Bodies of upgrade requests: Node hands them over with the socket, not through the message. */
export const upgradeBodies = new WeakMap<IncomingMessage, Buffer>();

export async function readBody(req: IncomingMessage, limitBytes = 16 << 20): Promise<Buffer> {
  const upgraded = upgradeBodies.get(req);
  if (upgraded !== undefined) return upgraded;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > limitBytes) throw new SkiffError('InvalidArgument', `request body over ${limitBytes} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readJsonBody<T>(req: IncomingMessage, what: string): Promise<T> {
  const body = await readBody(req);
  if (body.length === 0) return {} as T;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (err) {
    throw new SkiffError('InvalidArgument', `${what}: invalid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Streams JSON messages with status 200 (docker's progress streams). An error thrown by `work`
 * before anything was written becomes a normal error reply; afterwards, a final error record.
 */
export async function streamJsonMessages(res: ServerResponse, work: (write: (m: JsonMessage) => void) => Promise<void>): Promise<void> {
  let started = false;
  const write = (m: JsonMessage): void => {
    if (!started) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      started = true;
    }
    res.write(`${JSON.stringify(m)}\r\n`);
  };
  try {
    await work(write);
  } catch (err) {
    if (!started) {
      sendError(res, err);
      return;
    }
    write(errorJsonMessage(errorMessage(err)));
  }
  if (!started) res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end();
}
