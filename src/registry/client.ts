// The HTTP side of the OCI distribution spec over undici: endpoint choice (HTTPS; plain HTTP only for
// insecure registries, as docker does), authentication (auth.ts), retries with backoff on transient
// failures, and registry errors turned into SkiffErrors. Every response body is consumed or dumped.
//
// Insecure registries (docker's registry/config.go): hosts listed in `insecureRegistries` (host[:port]
// or a CIDR) and, by default, loopback (127.0.0.0/8, localhost, ::1). For them docker tries HTTPS
// without certificate verification first and falls back to HTTP when that fails (its endpoint list is
// [https, http]); Skiff does the same with a ping of /v2/ and remembers the answer per host.

import { channel } from 'node:diagnostics_channel';
import { rootCertificates } from 'node:tls';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { SkiffError, silentLogger, type ErrorCode, type Logger } from '../base/index.js';
import { Authorizer, redactUrl, type CredentialSource, type Scope, type TokenRequest } from './auth.js';
import type { RetryOptions } from './types.js';

const requestChannel = channel('skiff:registry:request');

export interface RegistryClientOptions {
  credentials?: CredentialSource;
  /** Registries reached over plain HTTP / unverified HTTPS: `host[:port]` or CIDR (`10.0.0.0/8`). */
  insecureRegistries?: readonly string[];
  /** Loopback registries are insecure by default (docker's 127.0.0.0/8); set false to require TLS. */
  loopbackIsInsecure?: boolean;
  retry?: RetryOptions;
  userAgent?: string;
  logger?: Logger;
  /** Extra CA certificates (PEM) trusted for HTTPS registries. */
  ca?: string | string[];
  /** Connections per origin. Default 8. */
  connectionsPerOrigin?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

export type RequestBody = Uint8Array | string | (() => Readable);

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path under the endpoint (`/v2/…`) or an absolute URL on the same registry (upload Locations). */
  path: string;
  headers?: Record<string, string>;
  body?: RequestBody;
  scopes: readonly Scope[];
  signal?: AbortSignal;
  /** Statuses to hand back to the caller; any other one becomes an error. Default: 2xx. */
  accept?: (status: number) => boolean;
  /** Retry on transient failures (network errors, 429, 502, 503, 504). Default: GET/HEAD/PUT only. */
  retry?: boolean;
  /** What the request is about, for error messages: `manifest busybox:latest`, `blob sha256:…`. */
  what: string;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  url: URL;
}

export function header(res: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Turns an IPv4 string into a 32-bit number, or undefined. */
function ipv4(s: string): number | undefined {
  if (isIP(s) !== 4) return undefined;
  return s.split('.').reduce((acc, p) => (acc << 8) + Number(p), 0) >>> 0;
}

function hostOnly(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const colon = hostPort.lastIndexOf(':');
  return colon < 0 ? hostPort : hostPort.slice(0, colon);
}

/** Whether `host` (`host[:port]`) is an insecure registry under docker's rules. */
export function isInsecureRegistry(host: string, insecure: readonly string[] = [], loopback = true): boolean {
  const name = hostOnly(host).toLowerCase();
  if (loopback && (name === 'localhost' || name === '::1' || (ipv4(name) !== undefined && ipv4(name)! >>> 24 === 127))) return true;
  for (const entry of insecure) {
    const slash = entry.indexOf('/');
    if (slash > 0) {
      const base = ipv4(entry.slice(0, slash));
      const bits = Number(entry.slice(slash + 1));
      const addr = ipv4(name);
      if (base !== undefined && addr !== undefined && bits >= 0 && bits <= 32) {
        const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
        if (((base & mask) >>> 0) === ((addr & mask) >>> 0)) return true;
      }
      continue;
    }
    const e = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '').toLowerCase();
    if (e === host.toLowerCase() || e === name) return true;
  }
  return false;
}

const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const TRANSIENT_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** True for errors worth another attempt: dropped connections, timeouts, the undici socket errors. */
export function isTransientError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; cause?: unknown; name?: unknown };
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return false;
  if (typeof e.code === 'string') {
    if (TRANSIENT_ERRNOS.has(e.code)) return true;
    if (e.code.startsWith('UND_ERR_') && e.code !== 'UND_ERR_ABORTED' && e.code !== 'UND_ERR_INVALID_ARG') return true;
    if (e.code === 'Unavailable') return true;
  }
  return e.cause !== undefined && e.cause !== err && isTransientError(e.cause);
}

/** Backoff for attempt n (1-based retry count): exponential with full jitter, capped. */
export function backoffMs(retry: number, opts: RetryOptions = {}): number {
  const base = opts.baseDelayMs ?? 250;
  const max = opts.maxDelayMs ?? 8000;
  const ceiling = Math.min(max, base * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'Unauthenticated';
  if (status === 403) return 'PermissionDenied';
  if (status === 404) return 'NotFound';
  if (status === 400 || status === 405 || status === 416) return 'InvalidArgument';
  if (status === 409) return 'Conflict';
  if (status === 429) return 'ResourceExhausted';
  if (status >= 500) return 'Unavailable';
  return 'Internal';
}

/** Reads a registry error body (`{"errors":[{"code","message","detail"}]}`) into docker's one-line text. */
async function registryErrorText(res: RegistryResponse): Promise<string> {
  let text = '';
  try {
    text = await res.body.text();
  } catch {
    return '';
  }
  try {
    const v = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    if (Array.isArray(v.errors) && v.errors.length > 0) {
      return v.errors
        .map((e) => `${(e.code ?? 'unknown').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`.trim())
        .join('; ');
    }
  } catch {
    // not JSON: a proxy's HTML page or plain text
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

export class RegistryClient {
  readonly authorizer: Authorizer;
  private readonly opts: RegistryClientOptions;
  private readonly logger: Logger;
  private readonly secureAgent: Dispatcher;
  private readonly insecureAgent: Dispatcher;
  private readonly agents: Agent[];
  private readonly endpoints = new Map<string, Promise<URL>>();
  private closed = false;

  constructor(opts: RegistryClientOptions = {}) {
    this.opts = opts;
    this.logger = opts.logger ?? silentLogger;
    const common = {
      connections: opts.connectionsPerOrigin ?? 8,
      headersTimeout: opts.headersTimeoutMs ?? 60_000,
      bodyTimeout: opts.bodyTimeoutMs ?? 120_000,
    };
    // Extra CAs are added to Node's public roots, not put in their place (tls's `ca` replaces them).
    const extra = opts.ca === undefined ? [] : [opts.ca].flat();
    const secure = new Agent({ ...common, connect: extra.length === 0 ? {} : { ca: [...rootCertificates, ...extra] } });
    const insecure = new Agent({ ...common, connect: { rejectUnauthorized: false } });
    this.agents = [secure, insecure];
    this.secureAgent = secure.compose(interceptors.redirect({ maxRedirections: 5 }));
    this.insecureAgent = insecure.compose(interceptors.redirect({ maxRedirections: 5 }));
    this.authorizer = new Authorizer({
      ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
      transport: (req) => this.tokenRequest(req),
    });
  }

  isInsecure(host: string): boolean {
    return isInsecureRegistry(host, this.opts.insecureRegistries, this.opts.loopbackIsInsecure ?? true);
  }

  private dispatcherFor(url: URL): Dispatcher {
    return url.protocol === 'https:' && this.isInsecure(url.host) ? this.insecureAgent : this.secureAgent;
  }

  /** The base URL (`https://host`) for a registry host, found once by pinging /v2/. */
  endpoint(host: string, signal?: AbortSignal): Promise<URL> {
    let p = this.endpoints.get(host);
    if (p === undefined) {
      p = this.chooseEndpoint(host, signal);
      this.endpoints.set(host, p);
      p.catch(() => this.endpoints.delete(host));
    }
    return p;
  }

  private async chooseEndpoint(host: string, signal?: AbortSignal): Promise<URL> {
    const https = new URL(`https://${host}`);
    if (!this.isInsecure(host)) return https;
    const errors: string[] = [];
    for (const base of [https, new URL(`http://${host}`)]) {
      try {
        const res = await this.send(new URL('/v2/', base), { method: 'GET', headers: {}, ...(signal === undefined ? {} : { signal }) });
        await res.body.dump();
        this.authorizer.learn(host, res.status === 401 ? res.headers['www-authenticate'] : undefined);
        this.logger.debug({ registry: host, endpoint: base.origin }, 'registry endpoint chosen');
        return base;
      } catch (err) {
        if (signal?.aborted === true) throw err;
        errors.push(`${base.protocol.slice(0, -1)}: ${(err as Error).message}`);
      }
    }
    throw new SkiffError('Unavailable', `registry ${host} is not reachable over https or http (${errors.join('; ')})`);
  }

  private async send(
    url: URL,
    init: { method: string; headers: Record<string, string>; body?: Uint8Array | string | Readable; signal?: AbortSignal },
  ): Promise<RegistryResponse> {
    if (this.closed) throw new SkiffError('Cancelled', 'registry client is closed');
    const headers = { 'user-agent': this.opts.userAgent ?? 'skiff/0.1', ...init.headers };
    const res = await request(url, {
      method: init.method as Dispatcher.HttpMethod,
      headers,
      dispatcher: this.dispatcherFor(url),
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
    if (requestChannel.hasSubscribers) requestChannel.publish({ method: init.method, url: redactUrl(url), status: res.statusCode });
    return { status: res.statusCode, headers: res.headers, body: res.body, url };
  }

  private async tokenRequest(req: TokenRequest): Promise<{ status: number; body: unknown }> {
    const res = await this.send(req.url, { method: req.method, headers: req.headers, ...(req.body === undefined ? {} : { body: req.body }) });
    if (res.status < 200 || res.status >= 300) {
      await res.body.dump();
      return { status: res.status, body: undefined };
    }
    const text = await res.body.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: undefined };
    }
  }

  /**
   * Sends a request to a registry host with auth and retries. Returns the response when its status
   * is accepted (the caller then owns the body); throws a SkiffError otherwise (body consumed).
   */
  async request(host: string, req: RegistryRequest): Promise<RegistryResponse> {
    const base = await this.endpoint(host, req.signal);
    const url = new URL(req.path, base);
    if (url.host !== base.host) throw new SkiffError('Internal', `${req.what}: refusing to send to ${redactUrl(url)}, not ${host}`);
    const canRetry = req.retry ?? (req.method === 'GET' || req.method === 'HEAD' || req.method === 'PUT');
    const attempts = canRetry ? Math.max(1, this.opts.retry?.attempts ?? 5) : 1;
    const accept = req.accept ?? ((s: number) => s >= 200 && s < 300);
    let authRetried = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...req.headers };
      const authz = await this.authorizer.authorization(host, req.scopes);
      if (authz !== undefined) headers.authorization = authz;
      const body = typeof req.body === 'function' ? req.body() : req.body;
      let res: RegistryResponse;
      try {
        res = await this.send(url, { method: req.method, headers, ...(body === undefined ? {} : { body }), ...(req.signal === undefined ? {} : { signal: req.signal }) });
      } catch (err) {
        if (typeof body === 'object' && body !== null && 'destroy' in body) body.destroy();
        if (req.signal?.aborted === true) throw new SkiffError('Cancelled', `${req.what}: cancelled`, { cause: err });
        if (attempt < attempts && isTransientError(err)) {
          this.logger.debug({ registry: host, op: req.what, attempt, err: (err as Error).message }, 'registry request failed; retrying');
          await delay(backoffMs(attempt, this.opts.retry), undefined, req.signal === undefined ? {} : { signal: req.signal });
          continue;
        }
        throw new SkiffError('Unavailable', `${req.what}: ${req.method} ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
      }
      if (res.status === 401 && !authRetried) {
        await res.body.dump();
        authRetried = true;
        if (authz !== undefined) this.authorizer.invalidate(host, req.scopes);
        if (this.authorizer.learn(host, res.headers['www-authenticate'])) {
          attempt--; // an auth round trip is not a failed attempt
          continue;
        }
        throw new SkiffError('Unauthenticated', `${req.what}: unauthorized: authentication required`);
      }
      if (accept(res.status)) return res;
      if (attempt < attempts && TRANSIENT_STATUSES.has(res.status)) {
        await res.body.dump();
        const retryAfter = Number(header(res, 'retry-after'));
        const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 30_000) : backoffMs(attempt, this.opts.retry);
        await delay(wait, undefined, req.signal === undefined ? {} : { signal: req.signal });
        continue;
      }
      const text = req.method === 'HEAD' ? '' : await registryErrorText(res);
      if (req.method === 'HEAD') await res.body.dump();
      const status = res.status;
      const detail = text !== '' ? text : status === 401 ? 'unauthorized: authentication required' : status === 404 ? 'not found' : `status ${status}`;
      throw new SkiffError(codeForStatus(status), `${req.what}: ${detail}`, {
        hint: `${req.method} ${redactUrl(url)} → ${status}`,
      });
    }
  }

  /** Waits for open requests to end, then closes the connections. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.agents.map((a) => a.close()));
  }

  /** Aborts everything in flight. Idempotent. */
  async destroy(): Promise<void> {
    this.closed = true;
    await Promise.all(this.agents.filter((a) => !a.destroyed).map((a) => a.destroy()));
  }
}
