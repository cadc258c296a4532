// Docker's volume endpoints over the VolumeService.
import { lstat, readdir } from 'node:fs/promises';
import type { VolumeService } from '../../../volume/index.js';
import { boolParam, filtersParam, readJsonBody, sendJson, sendNoContent, type Handler } from '../http.js';
import type { Route } from '../router.js';

export function volumeRoutes(v: VolumeService): Route[] {
  const list: Handler = async (req, res) => { sendJson(res, 200, v.list(filtersParam(req.query))); };
  const create: Handler = async (req, res) => {
    const body = await readJsonBody<{ Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }>(req.raw, 'volume config');
    sendJson(res, 201, await v.create(body));
  };
  const inspect: Handler = async (req, res) => { sendJson(res, 200, v.inspect(req.params[0]!)); };
  const remove: Handler = async (req, res) => { await v.remove(req.params[0]!, boolParam(req.query, 'force')); sendNoContent(res); };
  const prune: Handler = async (req, res) => { sendJson(res, 200, await v.prune(filtersParam(req.query))); };
  return [
    { method: 'GET', path: /^\/volumes$/, handler: list },
    { method: 'POST', path: /^\/volumes\/create$/, handler: create },
    { method: 'POST', path: /^\/volumes\/prune$/, handler: prune },
    { method: 'GET', path: /^\/volumes\/([^/]+)$/, handler: inspect },
    { method: 'DELETE', path: /^\/volumes\/([^/]+)$/, handler: remove },
  ];
}

/** Bytes under a volume's directory (allocated blocks, as `du` counts them). */
export async function diskUsageOf(dir: string): Promise<number> {
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p).catch(() => undefined);
    if (st === undefined) return;
    total += st.blocks * 512;
    if (st.isDirectory()) for (const n of await readdir(p).catch(() => [] as string[])) await walk(`${p}/${n}`);
  };
  await walk(dir);
  return total;
}
