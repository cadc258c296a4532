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
  ContainerChange, ContainerCreateResponse, ContainerStats, ContainerSummary, ContainerTopResponse, ContainerWaitResponse,
  DiskUsage, EventMessage, ExecCreateBody, ExecInspect, PathStat, PruneReport, Volume, VolumeListResponse,
} from './container-types.js';
import type { NetworkCreateResponse, NetworkPruneReport, NetworkSummary } from './network-types.js';
import { hijack, type HijackedConnection } from './hijack.js';
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
  signal?: AbortSignal;
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
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
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

  // ---------------------------------------------------------------------------------------------
  // Containers

  /** A path with the version prefix and query, for hijacked requests. */
  private async versionedPath(path: string, query: Query = {}): Promise<string> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) params.append(k, item);
      else params.append(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    }
    const qs = params.toString();
    return `/v${await this.apiVersion()}${path}${qs === '' ? '' : `?${qs}`}`;
  }

  private async empty(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<number> {
    const res = await this.send(method, path, opts);
    await res.body.dump();
    return res.statusCode;
  }

  private jsonBody(value: unknown): Pick<RequestOptions, 'body' | 'headers'> {
    return { body: JSON.stringify(value), headers: { 'content-type': 'application/json' } };
  }

  createContainer(body: Record<string, unknown>, opts: { name?: string; platform?: string } = {}): Promise<ContainerCreateResponse> {
    return this.json('POST', '/containers/create', {
      query: { name: opts.name === '' ? undefined : opts.name, platform: opts.platform === '' ? undefined : opts.platform },
      ...this.jsonBody(body),
    });
  }

  /** Resolves to false when the container was already started (304). */
  async startContainer(id: string, opts: { detachKeys?: string } = {}): Promise<boolean> {
    const status = await this.empty('POST', `/containers/${encodePath(id)}/start`, { query: { detachKeys: opts.detachKeys } });
    return status !== 304;
  }

  /**
   * POST /containers/{id}/wait: resolves once the daemon has registered the wait (its headers came
   * back); the inner promise resolves with the exit status when the condition is met.
   */
  async waitContainer(id: string, condition?: 'not-running' | 'next-exit' | 'removed', signal?: AbortSignal): Promise<{ result: Promise<ContainerWaitResponse> }> {
    const res = await this.send('POST', `/containers/${encodePath(id)}/wait`, { query: { condition }, ...(signal === undefined ? {} : { signal }) });
    const result = res.body.text().then((text) => JSON.parse(text) as ContainerWaitResponse);
    result.catch(() => undefined);
    return { result };
  }

  async stopContainer(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    await this.empty('POST', `/containers/${encodePath(id)}/stop`, { query: { t: opts.timeout, signal: opts.signal } });
  }

  async restartContainer(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    await this.empty('POST', `/containers/${encodePath(id)}/restart`, { query: { t: opts.timeout, signal: opts.signal } });
  }

  async killContainer(id: string, signal?: string): Promise<void> {
    await this.empty('POST', `/containers/${encodePath(id)}/kill`, { query: { signal } });
  }

  async removeContainer(id: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    await this.empty('DELETE', `/containers/${encodePath(id)}`, {
      query: { v: opts.volumes === true ? true : undefined, link: opts.link === true ? true : undefined, force: opts.force === true ? true : undefined },
    });
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await this.empty('POST', `/containers/${encodePath(id)}/rename`, { query: { name } });
  }

  async pauseContainer(id: string): Promise<void> {
    await this.empty('POST', `/containers/${encodePath(id)}/pause`);
  }

  async unpauseContainer(id: string): Promise<void> {
    await this.empty('POST', `/containers/${encodePath(id)}/unpause`);
  }

  async resizeContainer(id: string, height: number, width: number, exec = false): Promise<void> {
    await this.empty('POST', `/${exec ? 'exec' : 'containers'}/${encodePath(id)}/resize`, { query: { h: height, w: width } });
  }

  listContainers(opts: { all?: boolean; limit?: number; size?: boolean; filters?: Filters } = {}): Promise<ContainerSummary[]> {
    return this.json('GET', '/containers/json', {
      query: {
        all: opts.all === true ? true : undefined,
        limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined,
        size: opts.size === true ? true : undefined,
        filters: opts.filters !== undefined && Object.keys(opts.filters).length > 0 ? encodeFilters(opts.filters) : undefined,
      },
    });
  }

  async inspectContainer(id: string, opts: { size?: boolean } = {}): Promise<RawInspect> {
    const res = await this.send('GET', `/containers/${encodePath(id)}/json`, { query: { size: opts.size === true ? true : undefined } });
    const raw = await res.body.text();
    return { raw, value: JSON.parse(raw) as Record<string, unknown> };
  }

  topContainer(id: string, psArgs?: string): Promise<ContainerTopResponse> {
    return this.json('GET', `/containers/${encodePath(id)}/top`, { query: { ps_args: psArgs === '' ? undefined : psArgs } });
  }

  containerChanges(id: string): Promise<ContainerChange[] | null> {
    return this.json('GET', `/containers/${encodePath(id)}/changes`);
  }

  containerStats(id: string, opts: { stream: false; oneShot?: boolean }): Promise<ContainerStats> {
    return this.json('GET', `/containers/${encodePath(id)}/stats`, { query: { stream: false, 'one-shot': opts.oneShot === true ? true : undefined } });
  }

  /** GET /containers/{id}/logs: the raw body (multiplexed unless the container has a tty). */
  async containerLogs(id: string, opts: { follow?: boolean; stdout?: boolean; stderr?: boolean; since?: string; until?: string; timestamps?: boolean; tail?: string; details?: boolean }): Promise<Readable> {
    const res = await this.send('GET', `/containers/${encodePath(id)}/logs`, {
      query: {
        stdout: opts.stdout === false ? undefined : true,
        stderr: opts.stderr === false ? undefined : true,
        since: opts.since,
        until: opts.until,
        timestamps: opts.timestamps === true ? true : undefined,
        follow: opts.follow === true ? true : undefined,
        tail: opts.tail,
        details: opts.details === true ? true : undefined,
      },
    });
    return res.body;
  }

  /** POST /containers/{id}/attach, hijacked. */
  async attachContainer(id: string, opts: { stdin: boolean; stdout: boolean; stderr: boolean; stream?: boolean; logs?: boolean; detachKeys?: string }): Promise<HijackedConnection> {
    const path = await this.versionedPath(`/containers/${encodePath(id)}/attach`, {
      stream: opts.stream === false ? undefined : true,
      logs: opts.logs === true ? true : undefined,
      stdin: opts.stdin ? true : undefined,
      stdout: opts.stdout ? true : undefined,
      stderr: opts.stderr ? true : undefined,
      detachKeys: opts.detachKeys,
    });
    return hijack(this.address, { method: 'POST', path }, this.userAgent);
  }

  createExec(id: string, body: ExecCreateBody): Promise<{ Id: string }> {
    return this.json('POST', `/containers/${encodePath(id)}/exec`, this.jsonBody(body));
  }

  /** POST /exec/{id}/start, hijacked (or a plain request with Detach). */
  async startExec(execId: string, body: { Detach: boolean; Tty: boolean; ConsoleSize?: [number, number] | null }): Promise<HijackedConnection | undefined> {
    if (body.Detach) {
      await this.empty('POST', `/exec/${encodePath(execId)}/start`, this.jsonBody(body));
      return undefined;
    }
    const path = await this.versionedPath(`/exec/${encodePath(execId)}/start`);
    return hijack(this.address, { method: 'POST', path, body: JSON.stringify(body) }, this.userAgent);
  }

  inspectExec(execId: string): Promise<ExecInspect> {
    return this.json('GET', `/exec/${encodePath(execId)}/json`);
  }

  /** HEAD /containers/{id}/archive: the stat of a path in the container. */
  async statContainerPath(id: string, path: string): Promise<PathStat> {
    const res = await this.send('HEAD', `/containers/${encodePath(id)}/archive`, { query: { path } });
    await res.body.dump();
    return decodePathStat(res.headers['x-docker-container-path-stat']);
  }

  /** GET /containers/{id}/archive: a tar of the path, and its stat. */
  async getArchive(id: string, path: string): Promise<{ stat: PathStat; body: Readable }> {
    const res = await this.send('GET', `/containers/${encodePath(id)}/archive`, { query: { path } });
    return { stat: decodePathStat(res.headers['x-docker-container-path-stat']), body: res.body };
  }

  async putArchive(id: string, path: string, tar: Readable, opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean } = {}): Promise<void> {
    await this.empty('PUT', `/containers/${encodePath(id)}/archive`, {
      query: {
        path,
        noOverwriteDirNonDir: opts.noOverwriteDirNonDir === false ? undefined : true,
        copyUIDGID: opts.copyUIDGID === true ? true : undefined,
      },
      body: tar,
      headers: { 'content-type': 'application/x-tar' },
    });
  }

  async exportContainer(id: string): Promise<Readable> {
    const res = await this.send('GET', `/containers/${encodePath(id)}/export`);
    return res.body;
  }

  commitContainer(opts: { container: string; repo?: string; tag?: string; comment?: string; author?: string; pause?: boolean; changes?: string[]; config?: Record<string, unknown> }): Promise<{ Id: string }> {
    return this.json('POST', '/commit', {
      query: {
        container: opts.container,
        repo: opts.repo,
        tag: opts.tag,
        comment: opts.comment,
        author: opts.author,
        changes: opts.changes !== undefined && opts.changes.length > 0 ? opts.changes : undefined,
        pause: opts.pause === false ? false : undefined,
      },
      ...this.jsonBody(opts.config ?? {}),
    });
  }

  updateContainer(id: string, body: Record<string, unknown>): Promise<{ Warnings: string[] | null }> {
    return this.json('POST', `/containers/${encodePath(id)}/update`, this.jsonBody(body));
  }

  pruneContainers(filters: Filters): Promise<PruneReport> {
    return this.json('POST', '/containers/prune', { query: { filters: Object.keys(filters).length === 0 ? undefined : encodeFilters(filters) } });
  }

  // ---------------------------------------------------------------------------------------------
  // Networks

  listNetworks(filters: Filters = {}): Promise<NetworkSummary[]> {
    return this.json('GET', '/networks', { query: { filters: Object.keys(filters).length === 0 ? undefined : encodeFilters(filters) } });
  }

  async inspectNetwork(name: string, opts: { verbose?: boolean } = {}): Promise<RawInspect> {
    const res = await this.send('GET', `/networks/${encodePath(name)}`, { query: { verbose: opts.verbose === true ? 'true' : undefined } });
    const raw = await res.body.text();
    return { raw, value: JSON.parse(raw) as Record<string, unknown> };
  }

  /** POST /networks/create with the body as the docker CLI builds it. */
  createNetwork(body: Record<string, unknown>): Promise<NetworkCreateResponse> {
    return this.json('POST', '/networks/create', this.jsonBody(body));
  }

  async removeNetwork(name: string): Promise<void> {
    await this.empty('DELETE', `/networks/${encodePath(name)}`);
  }

  pruneNetworks(filters: Filters): Promise<NetworkPruneReport> {
    return this.json('POST', '/networks/prune', { query: { filters: Object.keys(filters).length === 0 ? undefined : encodeFilters(filters) } });
  }

  async connectNetwork(network: string, container: string, endpointConfig: Record<string, unknown>): Promise<void> {
    await this.empty('POST', `/networks/${encodePath(network)}/connect`, this.jsonBody({ Container: container, EndpointConfig: endpointConfig }));
  }

  async disconnectNetwork(network: string, container: string, force: boolean): Promise<void> {
    await this.empty('POST', `/networks/${encodePath(network)}/disconnect`, this.jsonBody({ Container: container, Force: force }));
  }

  // ---------------------------------------------------------------------------------------------
  // Volumes, disk usage, events

  createVolume(body: { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }): Promise<Volume> {
    return this.json('POST', '/volumes/create', this.jsonBody(body));
  }

  listVolumes(filters: Filters = {}): Promise<VolumeListResponse> {
    return this.json('GET', '/volumes', { query: { filters: Object.keys(filters).length === 0 ? undefined : encodeFilters(filters) } });
  }

  async inspectVolume(name: string): Promise<RawInspect> {
    const res = await this.send('GET', `/volumes/${encodePath(name)}`);
    const raw = await res.body.text();
    return { raw, value: JSON.parse(raw) as Record<string, unknown> };
  }

  async removeVolume(name: string, force = false): Promise<void> {
    await this.empty('DELETE', `/volumes/${encodePath(name)}`, { query: { force: force ? true : undefined } });
  }

  pruneVolumes(filters: Filters): Promise<PruneReport> {
    return this.json('POST', '/volumes/prune', { query: { filters: Object.keys(filters).length === 0 ? undefined : encodeFilters(filters) } });
  }

  diskUsage(): Promise<DiskUsage> {
    return this.json('GET', '/system/df');
  }

  /** GET /events: records as they come (ends at `until`, or when the caller stops reading). */
  async events(opts: { since?: string; until?: string; filters?: Filters } = {}): Promise<AsyncIterable<EventMessage>> {
    const res = await this.send('GET', '/events', {
      query: {
        since: opts.since,
        until: opts.until,
        filters: opts.filters !== undefined && Object.keys(opts.filters).length > 0 ? encodeFilters(opts.filters) : undefined,
      },
    });
    return eventRecords(res.body);
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

/** The X-Docker-Container-Path-Stat header: base64 of the JSON stat. */
export function decodePathStat(header: string | string[] | undefined): PathStat {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined || v === '') throw new SkiffError('Internal', 'no X-Docker-Container-Path-Stat header in the answer');
  return JSON.parse(Buffer.from(v, 'base64').toString('utf8')) as PathStat;
}

/** Event records, one JSON object a line; `timeNano` is kept exactly (`timeNanoText`): it exceeds 2^53. */
async function* eventRecords(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<EventMessage> {
  const decoder = new TextDecoder();
  let pending = '';
  const parse = (line: string): EventMessage => {
    const e = JSON.parse(line) as EventMessage;
    const m = /"timeNano":\s*(\d+)/.exec(line);
    if (m !== null) e.timeNanoText = m[1];
    return e;
  };
  for await (const chunk of body) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') yield parse(line);
      nl = pending.indexOf('\n');
    }
  }
  if (pending.trim() !== '') yield parse(pending.trim());
}
