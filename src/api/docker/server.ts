// The Docker Engine API server: an HTTP server (on the daemon's unix socket) that strips the
// `/v1.NN` prefix, checks the version, sets docker's response headers and dispatches to the routes.

import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SkiffError, type Logger } from '../../base/index.js';
import { offerUpgrade } from './attach-websocket.js';
import type { ImageService } from '../../image/index.js';
import { fromContainerEvent, fromImageEvent, EventHub } from './events.js';
import { containerRoutes } from './routes/containers.js';
import { diskUsageOf, volumeRoutes } from './routes/volumes.js';
import { networkRoutes } from './routes/networks.js';
import type { VolumeService } from '../../volume/index.js';
import type { ContainerService } from '../../engine/index.js';
import { sendError, sendJson, upgradeBodies, type ApiRequest } from './http.js';
import { matchRoute, type Route } from './router.js';
import { imageRoutes } from './routes/images.js';
import { API_VERSION, MAX_API_VERSION, MIN_API_VERSION, systemRoutes, type SystemFacts } from './routes/system.js';

export interface DockerApiOptions {
  images: ImageService;
  containers?: ContainerService;
  volumes?: VolumeService;
  facts: SystemFacts;
  logger: Logger;
  events?: EventHub;
}

function compareVersions(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1! - b1! || a2! - b2!;
}

/**
 * An upgrade request's body (exec start's JSON) arrives with the socket: split its Content-Length
 * bytes off (reading more if `head` is short) and keep the rest for the hijacked stream.
 */
async function takeUpgradeBody(raw: IncomingMessage, socket: Socket, head: Buffer): Promise<Buffer> {
  const length = Number(raw.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(length) || length <= 0) return head;
  if (length > 1 << 20) throw new SkiffError('InvalidArgument', 'request body too large');
  let buf = head;
  while (buf.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (c: Buffer): void => { cleanup(); resolve(c); };
      const onEnd = (): void => { cleanup(); resolve(null); };
      const cleanup = (): void => { socket.off('data', onData); socket.off('end', onEnd); socket.pause(); };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.resume();
    });
    if (chunk === null) break;
    buf = Buffer.concat([buf, chunk]);
  }
  upgradeBodies.set(raw, buf.subarray(0, length));
  return buf.subarray(length);
}

async function volumesDf(volumes: VolumeService, containers: ContainerService | undefined): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const v of volumes.list().Volumes) {
    out.push({ ...v, UsageData: { Size: await diskUsageOf(v.Mountpoint), RefCount: containers?.volumeUsers(v.Name).length ?? 0 } });
  }
  return out;
}

export interface DockerApi {
  events: EventHub;
  /** Serves the API on a unix socket (one server per socket). */
  listen(socketPath: string): Promise<void>;
  close(): Promise<void>;
}

export function createDockerApi(opts: DockerApiOptions): DockerApi {
  const events = opts.events ?? new EventHub();
  const unsubscribeImages = opts.images.subscribe((e) => events.publish(fromImageEvent(e)));
  const unsubscribeContainers = opts.containers?.subscribe((e) => events.publish(fromContainerEvent(e)));
  const unsubscribe = (): void => {
    unsubscribeImages();
    unsubscribeContainers?.();
  };
  const routes: Route[] = [
    ...systemRoutes(opts.facts, opts.images, events, {
      ...(opts.containers === undefined ? {} : { containersDf: () => opts.containers!.df() }),
      ...(opts.volumes === undefined ? {} : { volumesDf: () => volumesDf(opts.volumes!, opts.containers) }),
    }),
    ...imageRoutes(opts.images),
    ...(opts.containers === undefined ? [] : containerRoutes(opts.containers)),
    ...(opts.volumes === undefined ? [] : volumeRoutes(opts.volumes)),
    ...(opts.containers === undefined ? [] : networkRoutes(opts.containers)),
  ];
  const log = opts.logger;

  // Hijacked connections (attach, exec) are no longer the HTTP server's: closed by hand at shutdown.
  const hijacked = new Set<Socket>();
  const handle = async (raw: IncomingMessage, res: ServerResponse, upgrade?: { head: Buffer }): Promise<void> => {
    const url = new URL(raw.url ?? '/', 'http://skiffd');
    let path = url.pathname;
    let version = API_VERSION;
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
    if (m !== null) {
      version = m[1]!;
      path = m[2]!;
    }
    res.setHeader('Api-Version', API_VERSION);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', `Skiff/${opts.facts.serverVersion} (linux)`);
    if (compareVersions(version, MAX_API_VERSION) > 0) {
      sendJson(res, 400, { message: `client version ${version} is too new. Maximum supported API version is ${MAX_API_VERSION}` });
      return;
    }
    if (compareVersions(version, MIN_API_VERSION) < 0) {
      sendJson(res, 400, { message: `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version` });
      return;
    }
    const match = matchRoute(routes, raw.method ?? 'GET', path);
    if (match === undefined) {
      sendJson(res, 404, { message: 'page not found' });
      return;
    }
    if ('allowed' in match) {
      res.setHeader('Allow', match.allowed.join(', '));
      sendJson(res, 405, { message: 'method not allowed' });
      return;
    }
    const ctl = new AbortController();
    res.once('close', () => { if (!res.writableFinished) ctl.abort(new SkiffError('Cancelled', 'client went away')); });
    const takeSocket = (): Socket => {
      const socket = res.socket!;
      res.detachSocket(socket);
      hijacked.add(socket);
      socket.once('close', () => hijacked.delete(socket));
      return socket;
    };
    if (upgrade !== undefined) offerUpgrade(raw, { head: upgrade.head, adopt: takeSocket }); // websocket routes
    const hijack = (contentType: string): Duplex => {
      const socket = takeSocket();
      const upgraded = upgrade !== undefined;
      socket.write(upgraded
        ? `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`
        : `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n\r\n`);
      if (upgrade !== undefined && upgrade.head.length > 0) socket.unshift(upgrade.head);
      socket.once('close', () => ctl.abort(new SkiffError('Cancelled', 'client went away')));
      return socket;
    };
    const req: ApiRequest = { method: raw.method ?? 'GET', path, version, query: url.searchParams, params: match.params, raw, signal: ctl.signal, hijack };
    const started = Date.now();
    try {
      await match.route.handler(req, res);
    } catch (err) {
      const status = (err as { code?: string }).code;
      if (status === undefined || status === 'Internal') log.error({ op: `${req.method} ${path}`, err: (err as Error).stack ?? String(err) }, 'request failed');
      sendError(res, err);
    } finally {
      log.debug({ op: `${req.method} ${path}`, status: res.statusCode, durationMs: Date.now() - started }, 'request');
    }
  };

  const servers: Server[] = [];
  const listener = (raw: IncomingMessage, res: ServerResponse): void => {
    handle(raw, res).catch((err: unknown) => {
      log.error({ err: String(err) }, 'request handler crashed');
      res.destroy();
    });
  };

  return {
    events,
    listen: async (socketPath: string) => {
      const server = createServer(listener);
      server.keepAliveTimeout = 120_000;
      // Upgrade requests (attach, exec start) get a ServerResponse of their own, so errors before
      // the hijack are ordinary HTTP replies.
      server.on('upgrade', (raw: IncomingMessage, socket: Socket, head: Buffer) => {
        const res = new ServerResponse(raw);
        res.shouldKeepAlive = false;
        res.assignSocket(socket);
        res.once('finish', () => socket.end());
        takeUpgradeBody(raw, socket, head).then((rest) => handle(raw, res, { head: rest })).catch((err: unknown) => {
          log.error({ err: String(err) }, 'upgrade handler crashed');
          socket.destroy();
        });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
      servers.push(server);
    },
    close: async () => {
      unsubscribe();
      for (const socket of hijacked) socket.destroy();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      })));
    },
  };
}
