// Docker Engine API client over undici: a unix socket (or tcp) dispatcher, API version negotiation
// through /_ping (min of the server's and ours, like the docker CLI), JSON answers, daemon errors
// as DaemonError, and progress streams as async iterables of JSON records.

import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { SkiffError } from '../base/index.js';
import { DaemonError, errorMessageOf } from './errors.js';
import { parseHost } from './host.js';
import { jsonMessages } from './json-stream.js';
import type {
  AuthConfig, AuthResponse, DaemonAddress, Filters, HistoryItem, ImageDeleteItem, ImagePruneReport, ImageSummary,
  JsonMessage, SystemInfo, VersionResponse,
} from './types.js';

/** The newest API version this client speaks. */
export const CLIENT_API_VERSION = '1.50';

export interface DockerClientOptions {
  /** `-H` / DOCKER_HOST value; default unix:///run/skiff/skiff.sock. */
  host?: string;
  /** Pin the API version instead of negotiating (DOCKER_API_VERSION). */
  apiVersion?: string;
  userAgent?: string;
}

type Query = Record<string, string | number | boolean | string[] | undefined>;

interface RequestOptions {
  query?: Query;
  body?: string | Buffer | Readable;
  headers?: Record<string, string>;
  /** Do not prefix the path with /vX.Y. */
  unversioned?: boolean;
}

export interface PingResult {
  apiVersion: string | undefined;
  osType: string | undefined;
  experimental: boolean;
}

export interface RawInspect {
  /** The JSON text exactly as the daemon sent it. */
  raw: string;
  value: Record<string, unknown>;
}

export interface StreamResponse {
  contentType: string;
  /** JSON records when the answer is JSON, else nothing (see `text`). */
  messages: AsyncIterable<JsonMessage>;
}

/** Compares dotted API versions: negative when a < b. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `{}` or the credentials, as X-Registry-Auth wants them: base64url JSON with padding (Go URLEncoding). */
export function encodeRegistryAuth(auth: AuthConfig | undefined): string {
  const json = JSON.stringify(auth ?? {});
  return Buffer.from(json).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function encodePath(name: string): string {
  return encodeURI(name).replace(/\?/g, '%3F').replace(/#/g, '%23');
}

export class DockerClient {
  readonly address: DaemonAddress;
  private readonly dispatcher: Dispatcher;
  private readonly origin: string;
  private readonly userAgent: string;
  private negotiated: string | undefined;
  private negotiation: Promise<string> | undefined;

  constructor(opts: DockerClientOptions = {}) {
    this.address = parseHost(opts.host);
    this.userAgent = opts.userAgent ?? 'skiff-client';
    this.negotiated = opts.apiVersion;
    const timeouts = { headersTimeout: 0, bodyTimeout: 0 };
    if (this.address.kind === 'unix') {
      this.dispatcher = new Agent({ connect: { socketPath: this.address.socketPath }, ...timeouts });
      this.origin = 'http://api.moby.localhost';
    } else {
      this.dispatcher = new Agent(timeouts);
      this.origin = this.address.origin;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** The API version in use (negotiated on first use). */
  async apiVersion(): Promise<string> {
    if (this.negotiated !== undefined) return this.negotiated;
    this.negotiation ??= this.ping().then(
      (p) => {
        const server = p.apiVersion;
        this.negotiated = server !== undefined && compareApiVersions(server, CLIENT_API_VERSION) < 0 ? server : CLIENT_API_VERSION;
        return this.negotiated;
      },
      (err: unknown) => {
        this.negotiation = undefined;
        throw err;
      },
    );
    return this.negotiation;
  }

  /** True when the version in use is at least `v`. */
  async supports(v: string): Promise<boolean> {
    return compareApiVersions(await this.apiVersion(), v) >= 0;
  }

  private async send(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<Dispatcher.ResponseData> {
    const prefix = opts.unversioned === true ? '' : `/v${await this.apiVersion()}`;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) params.append(k, item);
      else params.append(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    }
    const qs = params.toString();
    const url = `${this.origin}${prefix}${path}${qs === '' ? '' : `?${qs}`}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method,
        dispatcher: this.dispatcher,
        headers: { 'user-agent': this.userAgent, ...(opts.headers ?? {}) },
        ...(opts.body === undefined ? {} : { body: opts.body }),
      });
    } catch (err) {
      throw this.connectError(err);
    }
    if (res.statusCode >= 400) {
      const text = await res.body.text();
      const ct = res.headers['content-type'];
      throw new DaemonError(res.statusCode, errorMessageOf(res.statusCode, Array.isArray(ct) ? ct[0] : ct, text));
    }
    return res;
  }

  private connectError(err: unknown): SkiffError {
    const code = (err as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') {
      const detail = code === 'EACCES'
        ? `permission denied while trying to connect to the Docker daemon socket at ${this.address.display}`
        : `Cannot connect to the Docker daemon at ${this.address.display}. Is the docker daemon running?`;
      return new SkiffError('Unavailable', detail, { cause: err });
    }
    return new SkiffError('Unavailable', `error during connect: ${String((err as Error).message ?? err)}`, { cause: err });
  }

  private async json<T>(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await res.body.text();
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  private async stream(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<StreamResponse> {
    const res = await this.send(method, path, opts);
    const ct = res.headers['content-type'];
    const contentType = (Array.isArray(ct) ? ct[0] : ct) ?? '';
    return { contentType, messages: jsonMessages(res.body) };
  }

  // ---------------------------------------------------------------------------------------------
  // System

  async ping(): Promise<PingResult> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.origin}/_ping`, { method: 'GET', dispatcher: this.dispatcher, headers: { 'user-agent': this.userAgent } });
    } catch (err) {
      throw this.connectError(err);
    }
    const text = await res.body.text();
    const header = (name: string): string | undefined => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if (res.statusCode >= 400 && header('api-version') === undefined) {
      throw new DaemonError(res.statusCode, errorMessageOf(res.statusCode, header('content-type'), text));
    }
    return { apiVersion: header('api-version'), osType: header('ostype'), experimental: header('docker-experimental') === 'true' };
  }

  version(): Promise<VersionResponse> {
    return this.json('GET', '/version');
  }

  info(): Promise<SystemInfo> {
    return this.json('GET', '/info');
  }

  auth(config: AuthConfig): Promise<AuthResponse> {
    return this.json('POST', '/auth', { body: JSON.stringify(config), headers: { 'content-type': 'application/json' } });
  }

  // ---------------------------------------------------------------------------------------------
  // Images

  listImages(opts: { all?: boolean; filters?: Filters; digests?: boolean; sharedSize?: boolean } = {}): Promise<ImageSummary[]> {
    const query: Query = {};
    if (opts.all === true) query['all'] = true;
    if (opts.filters !== undefined && Object.keys(opts.filters).length > 0) query['filters'] = encodeFilters(opts.filters);
    if (opts.digests === true) query['digests'] = true;
    if (opts.sharedSize === true) query['shared-size'] = true;
    return this.json('GET', '/images/json', { query });
  }

  async inspectImage(name: string): Promise<RawInspect> {
    const res = await this.send('GET', `/images/${encodePath(name)}/json`);
    const raw = await res.body.text();
    return { raw, value: JSON.parse(raw) as Record<string, unknown> };
  }

  imageHistory(name: string): Promise<HistoryItem[]> {
    return this.json('GET', `/images/${encodePath(name)}/history`);
  }

  async tagImage(source: string, repo: string, tag: string | undefined): Promise<void> {
    const res = await this.send('POST', `/images/${encodePath(source)}/tag`, { query: { repo, tag } });
    await res.body.dump();
  }

  removeImage(name: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.json('DELETE', `/images/${encodePath(name)}`, {
      query: { force: opts.force === true ? true : undefined, noprune: opts.noPrune === true ? true : undefined },
    });
  }

  pruneImages(filters: Filters): Promise<ImagePruneReport> {
    return this.json('POST', '/images/prune', { query: { filters: Object.keys(filters).length === 0 ? undefined : encodeFilters(filters) } });
  }

  /** POST /images/create?fromImage=: the progress records as they arrive. */
  pullImage(opts: { fromImage: string; tag?: string; platform?: string; auth?: AuthConfig }): Promise<StreamResponse> {
    return this.stream('POST', '/images/create', {
      query: { fromImage: opts.fromImage, tag: opts.tag, platform: opts.platform },
      headers: { 'x-registry-auth': encodeRegistryAuth(opts.auth) },
    });
  }

  pushImage(name: string, opts: { tag?: string; platform?: string; auth?: AuthConfig } = {}): Promise<StreamResponse> {
    return this.stream('POST', `/images/${encodePath(name)}/push`, {
      query: { tag: opts.tag, platform: opts.platform },
      headers: { 'x-registry-auth': encodeRegistryAuth(opts.auth) },
    });
  }

  /** POST /images/create?fromSrc=: `source` is the tar stream (fromSrc=-) or a URL. */
  importImage(opts: { source: Readable | string; repo?: string; tag?: string; message?: string; changes?: string[]; platform?: string }): Promise<StreamResponse> {
    const isUrl = typeof opts.source === 'string';
    return this.stream('POST', '/images/create', {
      query: {
        fromSrc: isUrl ? (opts.source as string) : '-',
        repo: opts.repo,
        tag: opts.tag,
        message: opts.message,
        changes: opts.changes !== undefined && opts.changes.length > 0 ? opts.changes : undefined,
        platform: opts.platform,
      },
      ...(isUrl ? {} : { body: opts.source as Readable, headers: { 'content-type': 'application/x-tar' } }),
    });
  }

  /** GET /images/get: the docker-archive tar. */
  async saveImages(names: string[], opts: { platform?: string } = {}): Promise<Readable> {
    const res = await this.send('GET', '/images/get', { query: { names, platform: opts.platform } });
    return res.body;
  }

  loadImage(body: Readable, opts: { quiet?: boolean; platform?: string } = {}): Promise<StreamResponse> {
    return this.stream('POST', '/images/load', {
      query: { quiet: opts.quiet === true, platform: opts.platform },
      body,
      headers: { 'content-type': 'application/x-tar' },
    });
  }
}

/** Filters in the API's form: `{"key":{"value":true}}` as the docker CLI sends them (both forms are accepted). */
export function encodeFilters(filters: Filters): string {
  const out: Record<string, Record<string, boolean>> = {};
  for (const [k, values] of Object.entries(filters)) {
    out[k] = Object.fromEntries(values.map((v) => [v, true]));
  }
  return JSON.stringify(out);
}
