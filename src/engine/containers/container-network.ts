// A container's networks: which networks it is on (docker's NetworkSettings.Networks, decided at
// create from NetworkMode and NetworkingConfig, changed by connect/disconnect), attaching them when
// its task is made (one interface per network, eth0 on the NetworkMode's network, which also carries
// the published ports), detaching them when the run ends, and the files that follow from them:
// /etc/hosts (own address, --link, --add-host), /etc/hostname, /etc/resolv.conf (the embedded DNS
// of user-defined networks, else the host's resolvers minus loopback ones, or --dns).

import { randomBytes } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { SkiffError } from '../../base/index.js';
import type { EndpointAddresses, NetworkRecord } from '../../network/index.js';
import { findContainer, saveRecord, type EngineContext } from './context.js';
import type { ContainerRecord, EndpointRecord } from './types.js';

export const DEFAULT_BRIDGE = 'bridge';

/** docker's EndpointSettings as the API sends it (NetworkingConfig.EndpointsConfig.<net>, connect). */
export interface EndpointConfig {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
}

/** The network a NetworkMode means: `bridge` for default, a user network, none for none/host/container:. */
export function modeNetwork(mode: string | undefined): string | undefined {
  if (mode === undefined || mode === '' || mode === 'default' || mode === DEFAULT_BRIDGE) return DEFAULT_BRIDGE;
  if (mode === 'none' || mode === 'host' || mode.startsWith('container:')) return undefined;
  return mode;
}

const NO_ADDRESSES: EndpointAddresses = { IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0 };

function endpointRecord(network: NetworkRecord, cfg: EndpointConfig | undefined): EndpointRecord {
  const ipam = cfg?.IPAMConfig ?? null;
  return {
    IPAMConfig: ipam === null || Object.values(ipam).every((v) => v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) ? null : ipam,
    Links: cfg?.Links ?? null,
    Aliases: cfg?.Aliases ?? null,
    DriverOpts: cfg?.DriverOpts ?? null,
    NetworkID: network.Id,
    EndpointID: '',
    ...NO_ADDRESSES,
    MacAddress: cfg?.MacAddress ?? '',
    DNSNames: null,
  };
}

function checkEndpointConfig(network: NetworkRecord, cfg: EndpointConfig | undefined, field: string): void {
  if (cfg === undefined) return;
  if (typeof cfg !== 'object' || cfg === null) throw new SkiffError('InvalidArgument', `${field}: must be an object`, { field });
  const user = network.Name !== DEFAULT_BRIDGE;
  if (!user && (cfg.Aliases ?? []).length > 0) throw new SkiffError('InvalidArgument', 'network-scoped alias is supported only for containers in user defined networks', { field: `${field}.Aliases` });
  const ipam = cfg.IPAMConfig ?? {};
  if (!user && ((ipam.IPv4Address ?? '') !== '' || (ipam.IPv6Address ?? '') !== '')) {
    throw new SkiffError('InvalidArgument', 'user specified IP address is supported on user defined networks only', { field: `${field}.IPAMConfig` });
  }
  if ((ipam.IPv6Address ?? '') !== '' && !network.EnableIPv6) {
    throw new SkiffError('InvalidArgument', `network ${network.Name} has no IPv6: cannot assign ${ipam.IPv6Address}`, { field: `${field}.IPAMConfig.IPv6Address` });
  }
}

/** NetworkSettings.Networks of a new container (docker's create): NetworkMode's network first. */
export function initialEndpoints(ctx: EngineContext, mode: string | undefined, endpointsConfig: Record<string, EndpointConfig> | undefined): Record<string, EndpointRecord> {
  const configs = endpointsConfig ?? {};
  const primary = modeNetwork(mode);
  const m = mode ?? 'default';
  if (primary === undefined) {
    if (Object.keys(configs).some((k) => k !== m)) {
      throw new SkiffError('InvalidArgument', 'container sharing network namespace with another container or host cannot be connected to any other network', { field: 'NetworkingConfig' });
    }
    if (m.startsWith('container:') || ctx.networks === undefined) return {};
    const n = ctx.networks.get(m);
    return { [n.Name]: endpointRecord(n, configs[m]) };
  }
  if (ctx.networks === undefined) return {}; // an engine without networking: start says so
  const out: Record<string, EndpointRecord> = {};
  const add = (key: string, cfg: EndpointConfig | undefined): void => {
    const n = ctx.networks!.find(key);
    if (n === undefined) {
      // docker creates it anyway; the start says "network x not found" (a 404 here would make the
      // docker CLI try to pull the image)
      out[key] = { ...endpointRecord({ Id: '', Name: key } as NetworkRecord, cfg) };
      return;
    }
    if (n.Driver !== 'bridge') throw new SkiffError('InvalidArgument', 'container cannot be disconnected from host network or connected to host network', { field: 'NetworkingConfig' });
    checkEndpointConfig(n, cfg, `NetworkingConfig.EndpointsConfig.${key}`);
    out[n.Name] = endpointRecord(n, cfg);
  };
  add(primary, configs[primary] ?? (primary === DEFAULT_BRIDGE ? configs['default'] : undefined));
  for (const [key, cfg] of Object.entries(configs)) {
    if (key === primary || (primary === DEFAULT_BRIDGE && key === 'default')) continue;
    add(key, cfg);
  }
  return out;
}

/** docker's --link values: `name:alias` (CLI) or `/name:/container/alias` (API). */
function parseLinks(links: readonly string[] | null | undefined): { target: string; alias: string }[] {
  return (links ?? []).map((l) => {
    const i = l.indexOf(':');
    const target = (i < 0 ? l : l.slice(0, i)).replace(/^\//, '');
    const alias = (i < 0 ? target : l.slice(i + 1)).split('/').pop()!;
    return { target, alias };
  });
}

/** Legacy links of the default bridge: the targets must run; they give hosts lines and env. */
function legacyLinks(ctx: EngineContext, record: ContainerRecord): { hosts: string[]; env: string[] } {
  const hosts: string[] = [];
  const env: string[] = [];
  for (const { target, alias } of parseLinks(record.HostConfig.Links)) {
    const t = findContainer(ctx, target).record;
    const ep = t.Networks?.[DEFAULT_BRIDGE];
    if (!t.State.Running || ep === undefined || ep.IPAddress === '') {
      throw new SkiffError('InvalidArgument', `Cannot link to a non running container: ${t.Name} AS ${record.Name}/${alias}`, { field: 'HostConfig.Links' });
    }
    const names = [alias, t.Id.slice(0, 12), t.Name.slice(1)].filter((v, i, a) => a.indexOf(v) === i);
    hosts.push(`${ep.IPAddress}\t${names.join(' ')}`);
    // docker's link environment: <ALIAS>_NAME, _PORT, _PORT_<port>_<PROTO>[_ADDR|_PORT|_PROTO]
    const prefix = alias.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    env.push(`${prefix}_NAME=${record.Name}/${alias}`);
    const ports = Object.keys(t.Config.ExposedPorts ?? {}).map((p) => { const [n, proto] = p.split('/'); return { n: Number(n), proto: proto ?? 'tcp' }; }).sort((a, b) => a.n - b.n);
    if (ports[0] !== undefined) env.push(`${prefix}_PORT=${ports[0].proto}://${ep.IPAddress}:${ports[0].n}`);
    for (const p of ports) {
      const key = `${prefix}_PORT_${p.n}_${p.proto.toUpperCase()}`;
      env.push(`${key}=${p.proto}://${ep.IPAddress}:${p.n}`, `${key}_ADDR=${ep.IPAddress}`, `${key}_PORT=${p.n}`, `${key}_PROTO=${p.proto}`);
    }
  }
  return { hosts, env };
}

/** Published ports with -P: every exposed port not bound already gets a random host port. */
function portBindingsOf(record: ContainerRecord): Record<string, { HostIp?: string; HostPort?: string }[] | null | undefined> {
  const bindings = { ...(record.HostConfig.PortBindings ?? {}) } as Record<string, { HostIp?: string; HostPort?: string }[] | null | undefined>;
  if (record.HostConfig.PublishAllPorts === true) {
    for (const p of Object.keys(record.Config.ExposedPorts ?? {})) {
      const key = p.includes('/') ? p : `${p}/tcp`;
      if ((bindings[key] ?? bindings[p] ?? []).length === 0) bindings[key] = [{ HostIp: '', HostPort: '' }];
    }
  }
  return bindings;
}

/** docker's DNSNames: the name, the aliases, the short id and the hostname. */
function dnsNamesOf(record: ContainerRecord, ep: EndpointRecord): string[] {
  return [record.Name.slice(1), ...(ep.Aliases ?? []), record.Id.slice(0, 12), record.Config.Hostname ?? ''].filter((v, i, a) => v !== '' && a.indexOf(v) === i);
}

function linksFor(record: ContainerRecord): Record<string, string> {
  return Object.fromEntries(parseLinks(record.HostConfig.Links).map((l) => [l.alias.toLowerCase(), l.target]));
}

/** The interface names in use, and the next free one. */
function nextIfName(record: ContainerRecord): string {
  const used = new Set(Object.values(record.Networks ?? {}).map((e) => e.IfName).filter((x) => x !== undefined));
  for (let i = 0; ; i++) if (!used.has(`eth${i}`)) return `eth${i}`;
}

async function attachOne(ctx: EngineContext, record: ContainerRecord, name: string, ifName: string, primary: boolean): Promise<void> {
  const ep = record.Networks![name]!;
  const n = ctx.networks!.find(ep.NetworkID) ?? ctx.networks!.get(name);
  const user = n.Name !== DEFAULT_BRIDGE;
  const result = await ctx.networks!.attach(record.Id, n.Id, {
    ifName,
    ipv4: ep.IPAMConfig?.IPv4Address,
    ipv6: ep.IPAMConfig?.IPv6Address,
    portBindings: primary ? portBindingsOf(record) : undefined,
    dnsNames: user ? dnsNamesOf(record, ep) : undefined,
    links: user ? linksFor(record) : undefined,
    upstreams: record.HostConfig.Dns ?? undefined,
  });
  Object.assign(ep, result.endpoint, { NetworkID: n.Id, EndpointID: randomBytes(32).toString('hex'), IfName: ifName, DNSNames: user ? dnsNamesOf(record, ep) : null });
  if (primary) record.Sandbox = { Key: ctx.networks!.netnsPath(record.Id), Ports: result.ports };
}

/**
 * Attaches the container's networks (a new task): returns the namespace path, or undefined when
 * the container has no network namespace of Skiff's (none keeps a private empty one, host none).
 */
export async function attachNetworks(ctx: EngineContext, record: ContainerRecord): Promise<string | undefined> {
  const primary = modeNetwork(record.HostConfig.NetworkMode);
  if (primary === undefined) return undefined;
  if (ctx.networks === undefined) throw new SkiffError('FailedPrecondition', 'networking is not available in this daemon', { field: 'HostConfig.NetworkMode' });
  record.Networks ??= initialEndpoints(ctx, record.HostConfig.NetworkMode, undefined);
  const primaryName = ctx.networks.get(primary).Name;
  if (record.Networks[primaryName] === undefined) throw new SkiffError('NotFound', `network ${primary} not found`);
  for (const ep of Object.values(record.Networks)) delete ep.IfName;
  await ctx.networks.ensureNetns(record.Id);
  try {
    const names = [primaryName, ...Object.keys(record.Networks).filter((k) => k !== primaryName)];
    for (const [i, name] of names.entries()) await attachOne(ctx, record, name, `eth${i}`, i === 0);
  } catch (err) {
    await detachNetworks(ctx, record);
    throw err;
  }
  saveRecord(ctx, record);
  return ctx.networks.netnsPath(record.Id);
}

/**
 * Detaches every network and removes the namespace; the endpoints' configuration stays. In the
 * background (a run that ended) the record is cleared now and the CNI DELs run behind (the network
 * service makes the next attach wait for them; `rm` waits too).
 */
export async function detachNetworks(ctx: EngineContext, record: ContainerRecord, opts: { background?: boolean } = {}): Promise<void> {
  if (ctx.networks === undefined) return;
  if (opts.background === true) ctx.networks.releaseInBackground(record.Id);
  else await ctx.networks.detachAll(record.Id);
  let changed = record.Sandbox !== undefined;
  record.Sandbox = undefined;
  for (const ep of Object.values(record.Networks ?? {})) {
    if (ep.IfName !== undefined || ep.IPAddress !== '') changed = true;
    Object.assign(ep, NO_ADDRESSES, { EndpointID: '', DNSNames: null });
    delete ep.IfName;
  }
  if (changed) saveRecord(ctx, record);
}

/** docker network connect: now if the container runs, at its next start otherwise. */
export async function connectContainer(ctx: EngineContext, networkIdOrName: string, containerIdOrName: string, cfg: EndpointConfig | undefined): Promise<void> {
  if (ctx.networks === undefined) throw new SkiffError('FailedPrecondition', 'networking is not available in this daemon');
  const n = ctx.networks.get(networkIdOrName);
  const record = findContainer(ctx, containerIdOrName).record;
  const mode = record.HostConfig.NetworkMode ?? 'default';
  // moby's runconfig conflicts (validation errors: 400)
  if (n.Driver === 'host' && mode !== 'host') throw new SkiffError('InvalidArgument', 'container cannot be disconnected from host network or connected to host network');
  if (mode === 'host' || mode.startsWith('container:')) throw new SkiffError('InvalidArgument', 'container sharing network namespace with another container or host cannot be connected to any other network');
  if (mode === 'none' || n.Driver !== 'bridge') throw new SkiffError('InvalidArgument', 'container cannot be connected to multiple networks with one of the networks in private (none) mode');
  record.Networks ??= initialEndpoints(ctx, mode, undefined);
  if (record.Networks[n.Name] !== undefined) throw new SkiffError('PermissionDenied', `endpoint with name ${record.Name.slice(1)} already exists in network ${n.Name}`);
  checkEndpointConfig(n, cfg, 'EndpointConfig');
  record.Networks[n.Name] = endpointRecord(n, cfg);
  if (record.State.Running && record.Sandbox !== undefined) {
    try {
      await attachOne(ctx, record, n.Name, nextIfName(record), false);
    } catch (err) {
      delete record.Networks[n.Name];
      throw err;
    }
    await writeResolvConf(record);
  }
  saveRecord(ctx, record);
  ctx.emit({ type: 'network', action: 'connect', id: n.Id, attributes: { container: record.Id, name: n.Name, type: n.Driver } });
}

/** docker network disconnect. */
export async function disconnectContainer(ctx: EngineContext, networkIdOrName: string, containerIdOrName: string, force: boolean): Promise<void> {
  if (ctx.networks === undefined) throw new SkiffError('FailedPrecondition', 'networking is not available in this daemon');
  const n = ctx.networks.get(networkIdOrName);
  let record: ContainerRecord;
  try {
    record = findContainer(ctx, containerIdOrName).record;
  } catch (err) {
    if (!force) throw err;
    return; // docker: --force of a container that is gone is done
  }
  const ep = record.Networks?.[n.Name];
  if (ep === undefined) throw new SkiffError('PermissionDenied', `container ${record.Id} is not connected to network ${n.Name}`);
  if (n.Driver !== 'bridge') throw new SkiffError('InvalidArgument', 'container cannot be disconnected from host network or connected to host network');
  if (ep.IfName !== undefined) await ctx.networks.detach(record.Id, n.Id, ep.IfName);
  delete record.Networks![n.Name];
  if (ep.IfName !== undefined && record.State.Running) await writeResolvConf(record);
  if (modeNetwork(record.HostConfig.NetworkMode) === n.Name || (n.Name === DEFAULT_BRIDGE && modeNetwork(record.HostConfig.NetworkMode) === DEFAULT_BRIDGE)) {
    if (record.Sandbox !== undefined) record.Sandbox = { ...record.Sandbox, Ports: {} };
  }
  saveRecord(ctx, record);
  ctx.emit({ type: 'network', action: 'disconnect', id: n.Id, attributes: { container: record.Id, name: n.Name, type: n.Driver } });
}

/** Writes /etc/hostname, /etc/hosts and /etc/resolv.conf of a container about to start; returns link env. */
export async function writeNetworkFiles(ctx: EngineContext, record: ContainerRecord): Promise<{ env: string[] }> {
  const joined = record.HostConfig.NetworkMode ?? '';
  if (joined.startsWith('container:')) {
    // docker: in another container's network namespace, its hostname, /etc/hosts and /etc/resolv.conf
    const t = findContainer(ctx, joined.slice('container:'.length)).record;
    record.Config.Hostname = t.Config.Hostname ?? t.Id.slice(0, 12);
    record.Config.Domainname = t.Config.Domainname ?? '';
    await writeFile(record.HostnamePath, `${record.Config.Hostname}\n`);
    await copyFile(t.HostsPath, record.HostsPath);
    await copyFile(t.ResolvConfPath, record.ResolvConfPath);
    return { env: [] };
  }
  const hostname = record.Config.Hostname ?? record.Id.slice(0, 12);
  const domain = record.Config.Domainname ?? '';
  const fqdn = domain === '' ? hostname : `${hostname}.${domain}`;
  await writeFile(record.HostnamePath, `${hostname}\n`);
  const mode = record.HostConfig.NetworkMode ?? 'default';
  const primary = modeNetwork(mode);
  const eps = Object.values(record.Networks ?? {});
  const own = eps.map((e) => e.IPAddress).filter((ip) => ip !== '');
  const own6 = eps.map((e) => e.GlobalIPv6Address).filter((ip) => ip !== '');
  const links = primary === DEFAULT_BRIDGE ? legacyLinks(ctx, record) : { hosts: [], env: [] };
  const hosts = [
    '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters',
    ...(record.HostConfig.ExtraHosts ?? []).map((h: string) => { const i = h.indexOf(':'); return `${h.slice(i + 1)}\t${h.slice(0, i)}`; }),
    ...links.hosts,
    ...[...own, ...own6].map((ip) => `${ip}\t${fqdn === hostname ? hostname : `${fqdn} ${hostname}`}`),
  ];
  await writeFile(record.HostsPath, `${hosts.join('\n')}\n`);
  await writeResolvConf(record);
  return { env: links.env };
}

/**
 * /etc/resolv.conf: the embedded DNS of the user-defined networks the container is on, else --dns,
 * else the host's resolvers. Rewritten in place (the container sees the same file) on connect and
 * disconnect, as docker's sandbox starts its resolver when a user network is connected.
 */
async function writeResolvConf(record: ContainerRecord): Promise<void> {
  const mode = record.HostConfig.NetworkMode ?? 'default';
  let host = '';
  try {
    host = await readFile('/etc/resolv.conf', 'utf8');
  } catch {
    // no host resolv.conf: only what the container asks for
  }
  const lines = host.split('\n').map((l) => l.trim());
  const hostServers = lines.filter((l) => /^nameserver\s/.test(l)).map((l) => l.split(/\s+/)[1]!);
  const hostSearch = lines.filter((l) => /^(search|domain)\s/.test(l)).flatMap((l) => l.split(/\s+/).slice(1));
  const hostOptions = lines.filter((l) => /^options\s/.test(l)).flatMap((l) => l.split(/\s+/).slice(1));
  const userGateways = Object.entries(record.Networks ?? {}).filter(([name, e]) => name !== DEFAULT_BRIDGE && e.Gateway !== '').map(([, e]) => e.Gateway);
  let servers: string[];
  if (userGateways.length > 0) servers = userGateways.slice(0, 3); // the embedded DNS; it forwards to --dns or the host's
  else if ((record.HostConfig.Dns ?? []).length > 0) servers = record.HostConfig.Dns!;
  else if (mode === 'host') servers = hostServers;
  // docker drops loopback nameservers: they mean nothing inside the container's own network namespace
  else servers = hostServers.filter((s) => !/^127\./.test(s) && s !== '::1');
  const search = (record.HostConfig.DnsSearch ?? []).length > 0 ? record.HostConfig.DnsSearch! : hostSearch;
  const options = (record.HostConfig.DnsOptions ?? []).length > 0 ? record.HostConfig.DnsOptions! : hostOptions;
  const resolv = [...servers.map((s) => `nameserver ${s}`), ...(search.length > 0 ? [`search ${search.join(' ')}`] : []), ...(options.length > 0 ? [`options ${options.join(' ')}`] : [])];
  await writeFile(record.ResolvConfPath, `${resolv.join('\n')}\n`);
}

/** The containers attached to a network now (docker's network inspect Containers). */
export function networkContainers(ctx: EngineContext, n: NetworkRecord): Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }> {
  const out: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }> = {};
  for (const { record } of ctx.repo.all()) {
    const ep = record.Networks?.[n.Name];
    if (ep === undefined || ep.NetworkID !== n.Id || !record.State.Running) continue;
    if (n.Driver === 'bridge' && ep.IfName === undefined) continue;
    out[record.Id] = {
      Name: record.Name.slice(1), EndpointID: ep.EndpointID, MacAddress: ep.MacAddress,
      IPv4Address: ep.IPAddress === '' ? '' : `${ep.IPAddress}/${ep.IPPrefixLen}`,
      IPv6Address: ep.GlobalIPv6Address === '' ? '' : `${ep.GlobalIPv6Address}/${ep.GlobalIPv6PrefixLen}`,
    };
  }
  return out;
}

/** The live attachments, for the network service's reconcile after a daemon restart. */
export function liveEndpoints(ctx: EngineContext): import('../../network/index.js').LiveEndpoint[] {
  const out: import('../../network/index.js').LiveEndpoint[] = [];
  for (const { record } of ctx.repo.all()) {
    if (!record.State.Running) continue;
    for (const ep of Object.values(record.Networks ?? {})) {
      if (ep.IfName === undefined) continue;
      out.push({
        containerId: record.Id, networkId: ep.NetworkID, ifName: ep.IfName, dnsNames: ep.DNSNames ?? [], links: linksFor(record),
        upstreams: record.HostConfig.Dns ?? undefined,
      });
    }
  }
  return out;
}
