// docker's /networks verbs where containers matter: inspect lists the attached containers, rm
// refuses a network with active endpoints, prune removes the unused user-defined networks, and
// create/destroy are events. The networks themselves are the network service's.

import { SkiffError } from '../../base/index.js';
import { publicNetwork, type NetworkCreateRequest, type NetworkRecord } from '../../network/index.js';
import { networkContainers } from './container-network.js';
import type { EngineContext } from './context.js';

const LIST_FILTERS = new Set(['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling']);

function service(ctx: EngineContext): NonNullable<EngineContext['networks']> {
  if (ctx.networks === undefined) throw new SkiffError('FailedPrecondition', 'networking is not available in this daemon');
  return ctx.networks;
}

/** Containers (running or not) whose configuration names the network. */
function configuredOn(ctx: EngineContext, n: NetworkRecord): string[] {
  return ctx.repo.all().filter(({ record }) => record.Networks?.[n.Name]?.NetworkID === n.Id).map(({ record }) => record.Id);
}

function labelsMatch(labels: Record<string, string>, wanted: readonly string[]): boolean {
  return wanted.every((l) => {
    const i = l.indexOf('=');
    return i < 0 ? l in labels : labels[l.slice(0, i)] === l.slice(i + 1);
  });
}

export function inspectNetwork(ctx: EngineContext, idOrName: string): Record<string, unknown> {
  const n = service(ctx).get(idOrName);
  return { ...publicNetwork(n), Containers: networkContainers(ctx, n) };
}

/** GET /networks with docker's filters. */
export function listNetworks(ctx: EngineContext, filters: Record<string, string[]> = {}): Record<string, unknown>[] {
  for (const k of Object.keys(filters)) if (!LIST_FILTERS.has(k)) throw new SkiffError('InvalidArgument', `invalid filter '${k}'`, { field: `filters.${k}` });
  for (const t of filters['type'] ?? []) if (t !== 'custom' && t !== 'builtin') throw new SkiffError('InvalidArgument', `invalid filter: 'type'='${t}'`, { field: 'filters.type' });
  for (const d of filters['dangling'] ?? []) if (!['true', 'false', '1', '0'].includes(d)) throw new SkiffError('InvalidArgument', `invalid filter 'dangling=${d}'`, { field: 'filters.dangling' });
  const builtin = (n: NetworkRecord): boolean => ['bridge', 'host', 'none'].includes(n.Name);
  return service(ctx).list().filter((n) => {
    const f = filters;
    if (f['driver'] !== undefined && !f['driver'].includes(n.Driver)) return false;
    if (f['id'] !== undefined && !f['id'].some((p) => n.Id.startsWith(p))) return false;
    if (f['name'] !== undefined && !f['name'].some((p) => n.Name.includes(p))) return false;
    if (f['scope'] !== undefined && !f['scope'].includes(n.Scope)) return false;
    if (f['type'] !== undefined && !f['type'].includes(builtin(n) ? 'builtin' : 'custom')) return false;
    if (f['label'] !== undefined && !labelsMatch(n.Labels, f['label'])) return false;
    if (f['dangling'] !== undefined) {
      const dangling = !builtin(n) && configuredOn(ctx, n).length === 0;
      if (f['dangling'].some((d) => (d === 'true' || d === '1') !== dangling)) return false;
    }
    return true;
  }).map((n) => ({ ...publicNetwork(n), Containers: {} }));
}

export async function createNetwork(ctx: EngineContext, req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
  const n = await service(ctx).create(req);
  ctx.emit({ type: 'network', action: 'create', id: n.Id, attributes: { name: n.Name, type: n.Driver } });
  return { Id: n.Id, Warning: '' };
}

/** docker network rm: refused while a running container is attached. */
export async function removeNetwork(ctx: EngineContext, idOrName: string): Promise<void> {
  const networks = service(ctx);
  const n = networks.get(idOrName);
  const active = Object.entries(networkContainers(ctx, n));
  if (active.length > 0 && n.Driver === 'bridge' && n.Name !== 'bridge') {
    const list = active.map(([id, c]) => `name:"${c.Name}" id:"${id.slice(0, 12)}"`).join(', ');
    throw new SkiffError('PermissionDenied', `error while removing network: network ${n.Name} has active endpoints (${list})`);
  }
  await networks.remove(n.Id);
  ctx.emit({ type: 'network', action: 'destroy', id: n.Id, attributes: { name: n.Name, type: n.Driver } });
}

/** docker network prune: user-defined networks no container uses (filters: until, label, label!). */
export async function pruneNetworks(ctx: EngineContext, filters: Record<string, string[]> = {}): Promise<{ NetworksDeleted: string[] | null }> {
  for (const k of Object.keys(filters)) if (!['until', 'label', 'label!'].includes(k)) throw new SkiffError('InvalidArgument', `invalid filter '${k}'`, { field: `filters.${k}` });
  const until = filters['until']?.[0];
  const cutoff = until === undefined ? Infinity : /^\d+(\.\d+)?$/.test(until) ? Number(until) * 1000 : Date.now() - durationMs(until);
  const deleted: string[] = [];
  for (const n of service(ctx).list()) {
    if (['bridge', 'host', 'none'].includes(n.Name) || n.Driver !== 'bridge') continue;
    if (Date.parse(n.Created) > cutoff) continue;
    if (filters['label'] !== undefined && !labelsMatch(n.Labels, filters['label'])) continue;
    if (filters['label!'] !== undefined && filters['label!'].some((l) => labelsMatch(n.Labels, [l]))) continue;
    if (configuredOn(ctx, n).length > 0) continue;
    await removeNetwork(ctx, n.Id);
    deleted.push(n.Name);
  }
  return { NetworksDeleted: deleted.length === 0 ? null : deleted };
}

/** Go durations as docker's until= takes them: 10m, 1h30m, 24h. */
function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let matched = '';
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched += m[0];
  }
  if (matched !== text || text === '') throw new SkiffError('InvalidArgument', `invalid filter 'until=${text}': not a timestamp or a duration`, { field: 'filters.until' });
  return total;
}
