// The Docker Engine API server: an HTTP server (on the daemon's unix socket) that strips the
// `/v1.NN` prefix, checks the version, sets docker's response headers and dispatches to the routes.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SkiffError, type Logger } from '../../base/index.js';
import type { ImageService } from '../../image/index.js';
import { fromImageEvent, EventHub } from './events.js';
import { sendError, sendJson, type ApiRequest } from './http.js';
import { matchRoute, type Route } from './router.js';
import { imageRoutes } from './routes/images.js';
import { API_VERSION, MAX_API_VERSION, MIN_API_VERSION, systemRoutes, type SystemFacts } from './routes/system.js';

export interface DockerApiOptions {
  images: ImageService;
  facts: SystemFacts;
  logger: Logger;
  events?: EventHub;
}

function compareVersions(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1! - b1! || a2! - b2!;
}

export interface DockerApi {
  events: EventHub;
  /** Serves the API on a unix socket (one server per socket). */
  listen(socketPath: string): Promise<void>;
  close(): Promise<void>;
}

export function createDockerApi(opts: DockerApiOptions): DockerApi {
  const events = opts.events ?? new EventHub();
  const unsubscribe = opts.images.subscribe((e) => events.publish(fromImageEvent(e)));
  const routes: Route[] = [...systemRoutes(opts.facts, opts.images, events), ...imageRoutes(opts.images)];
  const log = opts.logger;

  const handle = async (raw: IncomingMessage, res: ServerResponse): Promise<void> => {
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
    const req: ApiRequest = { method: raw.method ?? 'GET', path, version, query: url.searchParams, params: match.params, raw, signal: ctl.signal };
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
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      })));
    },
  };
}
