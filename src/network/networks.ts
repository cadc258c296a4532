// docker's networks as data: the record kept per network (docker's network inspect without
// `Containers`, plus the Linux bridge), and the validation of a create request into one — subnets
// given or picked from docker's default pools clear of other networks and host routes, gateway and
// --ip-range inside their subnet, IPv6 when asked (a ULA /64 when no subnet is given). [pure]

import { SkiffError } from '../base/index.js';
import { bigIntToIp, cidrsOverlap, ipFamily, parseCidr } from './dns/addr.js';

export interface IpamPool {
  Subnet: string;
  Gateway?: string;
  IPRange?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamPool[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** The Linux bridge of a bridge network (not part of docker's inspect). */
  BridgeName?: string;
}

/** docker's NetworkCreateRequest (the fields Skiff reads). */
export interface NetworkCreateRequest {
  Name?: unknown;
  CheckDuplicate?: unknown;
  Driver?: unknown;
  Scope?: unknown;
  Internal?: unknown;
  Attachable?: unknown;
  Ingress?: unknown;
  ConfigOnly?: unknown;
  IPAM?: unknown;
  EnableIPv4?: unknown;
  EnableIPv6?: unknown;
  Options?: unknown;
  Labels?: unknown;
}

export const BUILTIN_NETWORKS = ['bridge', 'host', 'none'] as const;
export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
export const MTU_OPTION = 'com.docker.network.driver.mtu';
const VALID_NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** docker's default address pools: 172.17–31.0.0/16, then 192.168.0.0/16 cut in /20s. */
export const DEFAULT_POOLS: readonly string[] = [
  ...Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`),
  ...Array.from({ length: 16 }, (_, i) => `192.168.${i * 16}.0/20`),
];

/** The first free pool, clear of every CIDR in `taken` (other networks' subnets, host routes). */
export function pickSubnet(taken: readonly string[], pools: readonly string[] = DEFAULT_POOLS): string {
  const free = pools.find((c) => !taken.some((r) => cidrsOverlap(c, r)));
  if (free === undefined) throw new SkiffError('ResourceExhausted', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  return free;
}

/** The first host address of a subnet (docker's default gateway). */
export function firstHost(subnet: string): string {
  const c = parseCidr(subnet)!;
  return bigIntToIp(c.first + 1n, c.family);
}

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new SkiffError('InvalidArgument', `${field}: must be an object of strings`, { field });
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new SkiffError('InvalidArgument', `${field}.${k}: must be a string`, { field: `${field}.${k}` });
  }
  return v as Record<string, string>;
}

function bool(v: unknown, field: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new SkiffError('InvalidArgument', `${field}: must be a boolean`, { field });
  return v;
}

/** A subnet must be written as its network address (docker: "it should be 10.5.0.0/24"). */
function checkSubnet(subnet: string): void {
  const c = parseCidr(subnet);
  if (c === undefined) throw new SkiffError('InvalidArgument', `invalid subnet ${subnet}: not a CIDR`, { field: 'IPAM.Config.Subnet' });
  if (c.address !== c.first) throw new SkiffError('InvalidArgument', `invalid subnet ${subnet}: it should be ${bigIntToIp(c.first, c.family)}/${c.bits}`, { field: 'IPAM.Config.Subnet' });
  if ((c.family === 4 && c.bits > 30) || (c.family === 6 && c.bits > 126)) {
    throw new SkiffError('InvalidArgument', `invalid subnet ${subnet}: too small for a network`, { field: 'IPAM.Config.Subnet' });
  }
}

function inSubnet(ip: string, subnet: string): boolean {
  const c = parseCidr(subnet)!;
  const a = parseCidr(`${ip}/${c.family === 4 ? 32 : 128}`);
  return a !== undefined && a.family === c.family && a.first >= c.first && a.first <= c.last;
}

/** host-local's rangeStart/rangeEnd of a docker --ip-range (its usable addresses). */
export function ipRangeBounds(range: string): { start: string; end: string } {
  const c = parseCidr(range)!;
  const start = c.bits >= (c.family === 4 ? 31 : 127) ? c.first : c.first + 1n;
  const end = c.bits >= (c.family === 4 ? 31 : 127) ? c.last : c.family === 4 ? c.last - 1n : c.last;
  return { start: bigIntToIp(start, c.family), end: bigIntToIp(end, c.family) };
}

export interface CreatePlanContext {
  id: string;
  created: string;
  /** Subnets of the existing networks. */
  taken: readonly string[];
  /** Destinations of the host's routes (auto-picked subnets avoid them). */
  hostRoutes: readonly string[];
  /** A random /64 in fd00::/8 for IPv6 without a subnet. */
  randomUla: () => string;
}

/** Validates a create request and fills in docker's defaults; throws naming the field. */
export function planNetwork(req: NetworkCreateRequest, c: CreatePlanContext): NetworkRecord {
  const name = req.Name;
  if (typeof name !== 'string' || name === '') throw new SkiffError('InvalidArgument', 'network name is required', { field: 'Name' });
  if (!VALID_NETWORK_NAME.test(name)) throw new SkiffError('InvalidArgument', `invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { field: 'Name' });
  if ((BUILTIN_NETWORKS as readonly string[]).includes(name)) {
    throw new SkiffError('PermissionDenied', `${name} is a pre-defined network and cannot be created`, { field: 'Name' });
  }
  // null is Go's zero value, as an absent field (docker-py sends every IPAMPool key, unset ones null)
  const driver = req.Driver === undefined || req.Driver === null || req.Driver === '' ? 'bridge' : req.Driver;
  if (driver !== 'bridge') {
    if (driver === 'host' || driver === 'null') throw new SkiffError('PermissionDenied', `only one instance of "${driver}" network is allowed`, { field: 'Driver' });
    throw new SkiffError('NotFound', `plugin "${String(driver)}" not found`, { field: 'Driver' });
  }
  if (req.Scope !== undefined && req.Scope !== null && req.Scope !== '' && req.Scope !== 'local') throw new SkiffError('InvalidArgument', `scope "${String(req.Scope)}" is not supported: only local`, { field: 'Scope' });
  if (bool(req.Ingress, 'Ingress', false)) throw new SkiffError('InvalidArgument', 'ingress networks need swarm mode, which Skiff does not have', { field: 'Ingress' });
  if (bool(req.ConfigOnly, 'ConfigOnly', false)) throw new SkiffError('NotImplemented', 'config-only networks are not supported', { field: 'ConfigOnly' });
  const options = stringMap(req.Options, 'Options');
  const labels = stringMap(req.Labels, 'Labels');
  const enableIPv6 = bool(req.EnableIPv6, 'EnableIPv6', false);
  if (!bool(req.EnableIPv4, 'EnableIPv4', true)) throw new SkiffError('NotImplemented', 'IPv6-only networks are not supported', { field: 'EnableIPv4' });

  const ipam = (req.IPAM ?? {}) as { Driver?: unknown; Config?: unknown; Options?: unknown };
  if (typeof ipam !== 'object') throw new SkiffError('InvalidArgument', 'IPAM: must be an object', { field: 'IPAM' });
  if (ipam.Driver !== undefined && ipam.Driver !== null && ipam.Driver !== '' && ipam.Driver !== 'default') {
    throw new SkiffError('NotFound', `plugin "${String(ipam.Driver)}" not found`, { field: 'IPAM.Driver' });
  }
  const configs = ipam.Config ?? [];
  if (!Array.isArray(configs)) throw new SkiffError('InvalidArgument', 'IPAM.Config: must be an array', { field: 'IPAM.Config' });
  const pools: IpamPool[] = [];
  const taken = [...c.taken];
  for (const [i, raw] of (configs as unknown[]).entries()) {
    const p = (raw ?? {}) as Record<string, unknown>;
    const field = `IPAM.Config[${i}]`;
    for (const k of ['Subnet', 'Gateway', 'IPRange'] as const) {
      if (p[k] !== undefined && p[k] !== null && typeof p[k] !== 'string') throw new SkiffError('InvalidArgument', `${field}.${k}: must be a string`, { field: `${field}.${k}` });
    }
    const subnet = (p['Subnet'] as string | null | undefined) ?? '';
    const gateway = (p['Gateway'] as string | null | undefined) ?? undefined;
    const ipRange = (p['IPRange'] as string | null | undefined) ?? undefined;
    if (subnet === '') {
      if ((gateway ?? '') !== '' || (ipRange ?? '') !== '') throw new SkiffError('InvalidArgument', `${field}: a gateway or an ip range needs a subnet`, { field: `${field}.Subnet` });
      continue;
    }
    checkSubnet(subnet);
    const overlapping = taken.find((t) => cidrsOverlap(t, subnet));
    if (overlapping !== undefined) throw new SkiffError('Conflict', `invalid pool request: Pool overlaps with other one on this address space (${subnet} and ${overlapping})`, { field: `${field}.Subnet` });
    taken.push(subnet);
    const pool: IpamPool = { Subnet: subnet };
    if (gateway !== undefined && gateway !== '') {
      if (ipFamily(gateway) === 0 || !inSubnet(gateway, subnet)) throw new SkiffError('InvalidArgument', `no matching subnet for gateway ${gateway}: it must lie in ${subnet}`, { field: `${field}.Gateway` });
      pool.Gateway = gateway;
    }
    if (ipRange !== undefined && ipRange !== '') {
      const r = parseCidr(ipRange);
      const s = parseCidr(subnet)!;
      if (r === undefined || r.family !== s.family || r.first < s.first || r.last > s.last) {
        throw new SkiffError('InvalidArgument', `invalid ip range ${ipRange}: it must be a CIDR inside ${subnet}`, { field: `${field}.IPRange` });
      }
      pool.IPRange = ipRange;
    }
    const aux = stringMap(p['AuxiliaryAddresses'], `${field}.AuxiliaryAddresses`);
    if (Object.keys(aux).length > 0) pool.AuxiliaryAddresses = aux;
    pools.push(pool);
  }
  const v4 = pools.filter((p) => ipFamily(p.Subnet.split('/')[0]!) === 4);
  const v6 = pools.filter((p) => ipFamily(p.Subnet.split('/')[0]!) === 6);
  if (v4.length > 1 || v6.length > 1) throw new SkiffError('NotImplemented', 'at most one IPv4 and one IPv6 subnet per network', { field: 'IPAM.Config' });
  if (v6.length > 0 && !enableIPv6) throw new SkiffError('InvalidArgument', 'an IPv6 subnet needs EnableIPv6 (--ipv6)', { field: 'EnableIPv6' });
  if (v4.length === 0) pools.unshift({ Subnet: pickSubnet([...taken, ...c.hostRoutes]) });
  if (enableIPv6 && v6.length === 0) pools.push({ Subnet: c.randomUla() });
  for (const p of pools) p.Gateway ??= firstHost(p.Subnet);

  let bridgeName = options[BRIDGE_NAME_OPTION] ?? `sk-${c.id.slice(0, 12)}`;
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridgeName)) throw new SkiffError('InvalidArgument', `Options.${BRIDGE_NAME_OPTION}: "${bridgeName}" is not a Linux interface name of at most 15 characters`, { field: `Options.${BRIDGE_NAME_OPTION}` });
  bridgeName = bridgeName.trim();
  const mtu = options[MTU_OPTION];
  if (mtu !== undefined && !(/^\d+$/.test(mtu) && Number(mtu) >= 68 && Number(mtu) <= 65535)) {
    throw new SkiffError('InvalidArgument', `Options.${MTU_OPTION}: invalid MTU "${mtu}"`, { field: `Options.${MTU_OPTION}` });
  }
  return {
    Name: name, Id: c.id, Created: c.created, Scope: 'local', Driver: 'bridge', EnableIPv4: true, EnableIPv6: enableIPv6,
    IPAM: { Driver: 'default', Options: stringMap(ipam.Options, 'IPAM.Options'), Config: pools },
    Internal: bool(req.Internal, 'Internal', false), Attachable: bool(req.Attachable, 'Attachable', false), Ingress: false,
    ConfigFrom: { Network: '' }, ConfigOnly: false, Options: options, Labels: labels, BridgeName: bridgeName,
  };
}

/** docker's inspect of a network record (without the Skiff-only fields). */
export function publicNetwork(r: NetworkRecord): Omit<NetworkRecord, 'BridgeName'> {
  const { BridgeName: _bridge, ...rest } = r;
  return rest;
}
