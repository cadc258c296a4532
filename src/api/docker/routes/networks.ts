// Docker's network endpoints over the container service (which knows who is attached where).
import { SkiffError } from '../../../base/index.js';
import type { ContainerService } from '../../../engine/index.js';
import { boolParam, filtersParam, readJsonBody, sendJson, sendNoContent, type Handler } from '../http.js';
import type { Route } from '../router.js';

async function objectBody<T>(req: Parameters<Handler>[0], what: string): Promise<T> {
  const body = await readJsonBody<unknown>(req.raw, what);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SkiffError('InvalidArgument', `${what}: the body must be a JSON object`);
  return body as T;
}

export function networkRoutes(c: ContainerService): Route[] {
  const list: Handler = async (req, res) => { sendJson(res, 200, c.listNetworks(filtersParam(req.query))); };
  const inspect: Handler = async (req, res) => { sendJson(res, 200, c.inspectNetwork(req.params[0]!)); };
  const create: Handler = async (req, res) => {
    const body = await objectBody<Record<string, unknown>>(req, 'network config');
    sendJson(res, 201, await c.createNetwork(body));
  };
  const remove: Handler = async (req, res) => { await c.removeNetwork(req.params[0]!); sendNoContent(res); };
  const prune: Handler = async (req, res) => { sendJson(res, 200, await c.pruneNetworks(filtersParam(req.query))); };
  const connect: Handler = async (req, res) => {
    const body = await objectBody<{ Container?: string; EndpointConfig?: Record<string, unknown> }>(req, 'network connect');
    await c.connect(req.params[0]!, typeof body.Container === 'string' ? body.Container : '', (body.EndpointConfig ?? undefined) as never);
    sendNoContent(res, 200);
  };
  const disconnect: Handler = async (req, res) => {
    const body = await objectBody<{ Container?: string; Force?: boolean }>(req, 'network disconnect');
    await c.disconnect(req.params[0]!, typeof body.Container === 'string' ? body.Container : '', body.Force === true || boolParam(req.query, 'force'));
    sendNoContent(res, 200);
  };
  return [
    { method: 'GET', path: /^\/networks$/, handler: list },
    { method: 'POST', path: /^\/networks\/create$/, handler: create },
    { method: 'POST', path: /^\/networks\/prune$/, handler: prune },
    { method: 'GET', path: /^\/networks\/([^/]+)$/, handler: inspect },
    { method: 'DELETE', path: /^\/networks\/([^/]+)$/, handler: remove },
    { method: 'POST', path: /^\/networks\/([^/]+)\/connect$/, handler: connect },
    { method: 'POST', path: /^\/networks\/([^/]+)\/disconnect$/, handler: disconnect },
  ];
}
