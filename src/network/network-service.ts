// skiffd's networks: the built-in `bridge` (docker's docker0; here skiff0 or daemon.json `bridge`,
// its subnet picked once clear of host routes or from `bip`), `host` and `none`, and user-defined
// bridge networks, all rows of skiff.db. A container gets one pinned network namespace under the exec
// root (its loopback up) and, per network, an interface attached through the CNI plugins (bridge,
// host-local, and portmap when it publishes ports, as portmap's capability arguments). Each
// user-defined network has an embedded DNS server on its gateway address that answers the names of
// the containers attached to it, and of the client's other networks (the engine passes the names at
// attach). Each network has one set of packet-filter rules (bridge-rules.ts: isolation between
// bridges, FORWARD accepts, masquerade), installed with its first container.
// This layer knows networks and attachments, not containers: the engine says who is attached where.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { SkiffError, silentLogger, type Logger } from '../base/index.js';
import { NetworkRepo, type SqliteDb } from '../store/index.js';
import { createPinnedNetns, isPinnedNetns, removePinnedNetns } from '../sys/index.js';
import { bridgeConflist } from './cni/bridge-conflist.js';
import { CniRunner } from './cni/runner.js';
import type { CniResult, NetworkConfigList } from './cni/types.js';
import { ipFamily, ipInCidr } from './dns/addr.js';
import { EmbeddedDns } from './dns/server.js';
import { installBridgeRules, removeBridgeRules, type BridgeRuleSet } from './bridge-rules.js';
import { BRIDGE_NAME_OPTION, MTU_OPTION, firstHost, ipRangeBounds, pickSubnet, planNetwork, type NetworkCreateRequest, type NetworkRecord } from './networks.js';

export interface NetworkServiceOptions {
  db: SqliteDb;
  /** `<data-root>/network`: IPAM leases, CNI result cache. */
  root: string;
  /** `<exec-root>/netns`: the pinned namespaces (tmpfs in production). */
  netnsDir: string;
  /** Linux bridge of the default network (daemon.json `bridge`); default skiff0. */
  bridge?: string;
  /** daemon.json `bip`: the default network's subnet instead of picking one. */
  subnet?: string;
  pluginDirs?: readonly string[];
  logger?: Logger;
}

/** docker's PortBinding. */
export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** The addresses of one attachment (docker's EndpointSettings, the parts the network decides). */
export interface EndpointAddresses {
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
}

export interface AttachOptions {
  ifName: string;
  /** Static addresses (--ip, --ip6). */
  ipv4?: string | undefined;
  ipv6?: string | undefined;
  /** Published ports (only on the container's primary network). */
  portBindings?: Record<string, PortBinding[] | null | undefined> | undefined;
  /** Names the network's DNS answers with this endpoint's addresses: name, short id, aliases. */
  dnsNames?: readonly string[] | undefined;
  /** --link on a user network: alias → name of the target, for this container's lookups only. */
  links?: Readonly<Record<string, string>> | undefined;
  /** The container's --dns: its lookups of other names go there. */
  upstreams?: readonly string[] | undefined;
}

export interface AttachResult {
  endpoint: EndpointAddresses;
  /** docker's NetworkSettings.Ports with the host ports actually bound. */
  ports: Record<string, PortBinding[] | null>;
}

/** One live attachment, as the engine knows it after a restart. */
export interface LiveEndpoint extends AttachOptions {
  containerId: string;
  networkId: string;
}

interface DnsEntry {
  v4: string[];
  v6: string[];
  names: string[];
  links: Readonly<Record<string, string>>;
  upstreams: { host: string; port: number }[] | undefined;
}

interface PortMapping { hostPort: number; containerPort: number; protocol: string; hostIP: string }

const DEFAULT_NETWORK = 'bridge';

/** Destinations of the host's IPv4 routes (/proc/net/route), as CIDRs, the default route left out. */
function hostRoutes(): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  const hex = (h: string): string => [0, 1, 2, 3].map((i) => parseInt(h.slice(6 - 2 * i, 8 - 2 * i), 16)).join('.');
  return text.split('\n').slice(1).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/)).filter((f) => f[1] !== '00000000').map((f) => {
    let mask = parseInt(f[7]!, 16);
    let prefix = 0;
    while (mask !== 0) {
      prefix += mask & 1;
      mask >>>= 1;
    }
    return `${hex(f[1]!)}/${prefix}`;
  });
}

/** The host's resolvers for the embedded DNS (which runs on the host: loopback ones work). */
function hostUpstreams(): { host: string; port: number }[] {
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f[0] === 'nameserver' && f[1] !== undefined && ipFamily(f[1]) !== 0).map((f) => ({ host: f[1]!, port: 53 }));
}

/** Whether a host port can be bound now (something else on the host may hold it). */
async function portFree(hostIp: string, port: number, protocol: string): Promise<boolean> {
  const address = hostIp === '' ? '0.0.0.0' : hostIp;
  if (protocol === 'udp') {
    const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    return new Promise((resolve) => {
      sock.once('error', () => resolve(false));
      sock.bind(port, address, () => sock.close(() => resolve(true)));
    });
  }
  const srv = createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, address, () => srv.close(() => resolve(true)));
  });
}

async function randomFreePort(hostIp: string): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, hostIp === '' ? '0.0.0.0' : hostIp, resolve);
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function deleteLink(name: string): Promise<void> {
  return new Promise((resolve) => execFile('ip', ['link', 'del', name], () => resolve()));
}

function ruleSetOf(n: NetworkRecord): BridgeRuleSet {
  return { bridge: n.BridgeName!, subnets: n.IPAM.Config.map((c) => c.Subnet), internal: n.Internal };
}

function portKey(protocol: string, hostIP: string, port: number): string {
  return `${protocol}/${hostIP === '0.0.0.0' ? '' : hostIP}/${port}`;
}

export class NetworkService {
  private readonly repo: NetworkRepo<NetworkRecord>;
  private readonly cni: CniRunner;
  private readonly logger: Logger;
  /** Per network id: the DNS server (once its bridge has its gateway) and who answers to what. */
  private readonly dns = new Map<string, Promise<EmbeddedDns | undefined>>();
  private readonly dnsEntries = new Map<string, Map<string, DnsEntry>>();
  /** Host ports published by attached containers: "proto/hostIP/port" → container id. */
  private readonly ports = new Map<string, string>();
  /** Detaches running behind a container's exit (releaseInBackground). */
  private readonly detaching = new Map<string, Promise<void>>();
  /** Bridges whose rules are in place (bridge-rules.ts: installed with a network's first container). */
  private readonly isolated = new Set<string>();

  constructor(private readonly opts: NetworkServiceOptions) {
    this.repo = new NetworkRepo<NetworkRecord>(opts.db);
    this.cni = new CniRunner({ cacheDir: join(opts.root, 'cni-cache'), ...(opts.pluginDirs === undefined ? {} : { pluginDirs: opts.pluginDirs }) });
    this.logger = opts.logger ?? silentLogger;
  }

  get bridgeName(): string {
    return this.opts.bridge ?? 'skiff0';
  }

  /** Creates the built-in networks on first start (the default bridge's subnet picked once). */
  async init(): Promise<void> {
    await mkdir(this.opts.root, { recursive: true, mode: 0o700 });
    await mkdir(this.opts.netnsDir, { recursive: true, mode: 0o755 });
    const created = new Date().toISOString();
    const builtin = (name: string, driver: NetworkRecord['Driver']): NetworkRecord => ({
      Name: name, Id: randomBytes(32).toString('hex'), Created: created, Scope: 'local', Driver: driver, EnableIPv4: true, EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' },
      ConfigOnly: false, Options: {}, Labels: {},
    });
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (this.repo.byName(name) === undefined) this.repo.insert({ id: (builtin(name, driver)).Id, name, createdMs: Date.now(), record: builtin(name, driver) });
    }
    const existing = this.repo.byName(DEFAULT_NETWORK)?.record;
    let legacy: string | undefined; // the subnet an earlier version kept in bridge.json
    try {
      legacy = (JSON.parse(await readFile(join(this.opts.root, 'bridge.json'), 'utf8')) as { subnet?: string }).subnet;
    } catch {
      legacy = undefined;
    }
    const others = this.repo.all().filter((r) => r.name !== DEFAULT_NETWORK).flatMap((r) => r.record.IPAM.Config.map((c) => c.Subnet));
    const subnet = this.opts.subnet ?? existing?.IPAM.Config[0]?.Subnet ?? legacy ?? pickSubnet([...others, ...hostRoutes()]);
    const record: NetworkRecord = {
      ...(existing ?? builtin(DEFAULT_NETWORK, 'bridge')),
      IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: subnet, Gateway: firstHost(subnet) }] },
      Options: {
        'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.enable_icc': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': 'true', 'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        [BRIDGE_NAME_OPTION]: this.bridgeName, [MTU_OPTION]: '1500',
      },
      BridgeName: this.bridgeName,
    };
    if (existing === undefined) this.repo.insert({ id: record.Id, name: DEFAULT_NETWORK, createdMs: Date.now(), record });
    else if (JSON.stringify(existing) !== JSON.stringify(record)) this.repo.update(record.Id, record);
    this.logger.info({ network: DEFAULT_NETWORK, bridge: this.bridgeName, subnet }, 'default bridge network');
  }

  get defaultNetwork(): { name: string; subnet: string; gateway: string; bridge: string } {
    const n = this.get(DEFAULT_NETWORK);
    return { name: DEFAULT_NETWORK, subnet: n.IPAM.Config[0]!.Subnet, gateway: n.IPAM.Config[0]!.Gateway!, bridge: this.bridgeName };
  }

  list(): NetworkRecord[] {
    return this.repo.all().map((r) => r.record);
  }

  /** By full id, name, or unique id prefix; docker's "network x not found". */
  get(idOrName: string): NetworkRecord {
    const found = this.find(idOrName);
    if (found === undefined) throw new SkiffError('NotFound', `network ${idOrName} not found`);
    return found;
  }

  find(idOrName: string): NetworkRecord | undefined {
    if (idOrName === '') return undefined;
    const byId = this.repo.get(idOrName) ?? this.repo.byName(idOrName);
    if (byId !== undefined) return byId.record;
    if (/^[0-9a-f]+$/.test(idOrName)) {
      const ids = this.repo.byIdPrefix(idOrName);
      if (ids.length > 1) throw new SkiffError('InvalidArgument', `network ${idOrName} is ambiguous (${ids.length} matches found based on ID prefix)`);
      if (ids.length === 1) return this.repo.get(ids[0]!)!.record;
    }
    return undefined;
  }

  /** docker network create. */
  async create(req: NetworkCreateRequest): Promise<NetworkRecord> {
    if (typeof req.Name === 'string' && this.repo.byName(req.Name) !== undefined) {
      throw new SkiffError('Conflict', `network with name ${req.Name} already exists`, { field: 'Name' });
    }
    const record = planNetwork(req, {
      id: randomBytes(32).toString('hex'),
      created: new Date().toISOString(),
      taken: this.repo.all().flatMap((r) => r.record.IPAM.Config.map((c) => c.Subnet)),
      hostRoutes: hostRoutes(),
      randomUla: () => `fd${randomBytes(5).toString('hex').replace(/^(..)(....)(....)$/, '$1:$2:$3')}::/64`,
    });
    if (this.list().some((n) => n.BridgeName === record.BridgeName)) {
      throw new SkiffError('Conflict', `bridge ${record.BridgeName} is already used by another network`, { field: `Options.${BRIDGE_NAME_OPTION}` });
    }
    this.repo.insert({ id: record.Id, name: record.Name, createdMs: Date.now(), record });
    this.logger.info({ network: record.Name, bridge: record.BridgeName, subnets: record.IPAM.Config.map((c) => c.Subnet) }, 'network created');
    return record;
  }

  /** docker network rm; the caller has checked that no container is attached. */
  async remove(idOrName: string): Promise<NetworkRecord> {
    await this.settled();
    const n = this.get(idOrName);
    if (n.Name === DEFAULT_NETWORK || n.Driver !== 'bridge') {
      throw new SkiffError('PermissionDenied', `${n.Name} is a pre-defined network and cannot be removed`);
    }
    const dns = await this.dns.get(n.Id);
    dns?.close();
    this.dns.delete(n.Id);
    this.dnsEntries.delete(n.Id);
    await removeBridgeRules(ruleSetOf(n));
    this.isolated.delete(n.BridgeName!);
    await deleteLink(n.BridgeName!);
    await rm(join(this.opts.root, 'ipam', n.Name), { recursive: true, force: true });
    this.repo.delete(n.Id);
    this.logger.info({ network: n.Name, bridge: n.BridgeName }, 'network removed');
    return n;
  }

  netnsPath(containerId: string): string {
    return join(this.opts.netnsDir, containerId);
  }

  /**
   * The container's network namespace, created and pinned on first use, its loopback up (as
   * docker's sandboxes and runc's new namespaces have it: 127.0.0.1, and the container's own
   * addresses, which the kernel routes through lo).
   */
  async ensureNetns(containerId: string): Promise<string> {
    await this.settled(containerId); // a detach still running would remove it under us
    const netns = this.netnsPath(containerId);
    // the common case (a first start) checks for the file only, not the whole mountinfo
    if (existsSync(netns)) {
      if (isPinnedNetns(netns)) return netns;
      await rm(netns, { force: true }); // a pin cut short: only the empty mount point is left
    }
    await createPinnedNetns(netns);
    return netns;
  }

  /** Unpins and removes the container's namespace (its interfaces go with it). */
  async removeNetns(containerId: string): Promise<void> {
    // unmounts (a file that is no mount, or none, is fine) and removes the file
    removePinnedNetns(this.netnsPath(containerId));
  }

  /** The network's conflist; portmap only for an attachment that publishes ports (one plugin run less). */
  private conflist(n: NetworkRecord, opts: { portmap?: boolean } = {}): NetworkConfigList {
    const [v4, ...rest] = n.IPAM.Config;
    const range = (c: typeof v4) => ({ subnet: c!.Subnet, gateway: c!.Gateway, ipRange: c!.IPRange === undefined ? undefined : ipRangeBounds(c!.IPRange) });
    const mtu = n.Options[MTU_OPTION];
    return bridgeConflist({
      name: n.Name, bridge: n.BridgeName!, ...range(v4), extraRanges: rest.map(range), internal: n.Internal,
      ipamDataDir: join(this.opts.root, 'ipam'), ...(mtu === undefined ? {} : { mtu: Number(mtu) }), portmap: opts.portmap ?? true, perContainerRules: false,
    });
  }

  /** Resolves the published ports: random host ports picked, conflicts refused with docker's text. */
  private async portMappings(containerId: string, bindings: Record<string, PortBinding[] | null | undefined>): Promise<{ mappings: PortMapping[]; ports: Record<string, PortBinding[] | null> }> {
    const ports: Record<string, PortBinding[] | null> = {};
    const mappings: PortMapping[] = [];
    for (const [key, list] of Object.entries(bindings)) {
      const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
      if (m === null || Number(m[1]) < 1 || Number(m[1]) > 65535) throw new SkiffError('InvalidArgument', `invalid port specification: "${key}"`, { field: 'HostConfig.PortBindings' });
      const containerPort = Number(m[1]);
      const protocol = m[2] ?? 'tcp';
      const bound: PortBinding[] = [];
      for (const b of list ?? []) {
        const hostIP = b.HostIp ?? '';
        if (hostIP !== '' && ipFamily(hostIP) === 0) throw new SkiffError('InvalidArgument', `invalid host IP: "${hostIP}"`, { field: 'HostConfig.PortBindings' });
        let hostPort: number;
        const spec = b.HostPort ?? '';
        const range = /^(\d+)-(\d+)$/.exec(spec);
        if (spec === '' || spec === '0') {
          hostPort = await randomFreePort(hostIP);
        } else if (range !== null) {
          // docker's -p 8000-8010:80: the first free port of the range
          const [lo, hi] = [Number(range[1]), Number(range[2])];
          let picked: number | undefined;
          for (let p = lo; p <= hi && picked === undefined; p++) {
            if (!this.portTaken(protocol, hostIP, p) && !mappings.some((x) => x.hostPort === p && x.protocol === protocol) && await portFree(hostIP, p, protocol)) picked = p;
          }
          if (picked === undefined) throw new SkiffError('Conflict', `driver failed programming external connectivity on endpoint ${containerId.slice(0, 12)}: Bind for ${hostIP || '0.0.0.0'}:${spec} failed: port is already allocated`);
          hostPort = picked;
        } else {
          hostPort = Number(spec);
          if (!/^\d+$/.test(spec) || hostPort < 1 || hostPort > 65535) throw new SkiffError('InvalidArgument', `invalid host port: "${spec}"`, { field: 'HostConfig.PortBindings' });
          if (this.portTaken(protocol, hostIP, hostPort) || mappings.some((x) => x.hostPort === hostPort && x.protocol === protocol) || !(await portFree(hostIP, hostPort, protocol))) {
            throw new SkiffError('Conflict', `driver failed programming external connectivity on endpoint ${containerId.slice(0, 12)}: Bind for ${hostIP || '0.0.0.0'}:${hostPort} failed: port is already allocated`);
          }
        }
        mappings.push({ hostPort, containerPort, protocol, hostIP });
        bound.push({ HostIp: hostIP === '' ? '0.0.0.0' : hostIP, HostPort: String(hostPort) });
      }
      ports[`${containerPort}/${protocol}`] = bound.length === 0 ? null : bound;
    }
    return { mappings, ports };
  }

  /** A wildcard binding conflicts with every address of the same port, and the reverse. */
  private portTaken(protocol: string, hostIP: string, port: number): boolean {
    const ip = hostIP === '0.0.0.0' ? '' : hostIP;
    for (const key of this.ports.keys()) {
      const [p, h, n] = key.split('/') as [string, string, string];
      if (p === protocol && Number(n) === port && (h === '' || ip === '' || h === ip)) return true;
    }
    return false;
  }

  /** Attaches the container's namespace to a network (creating the namespace if needed). */
  async attach(containerId: string, networkIdOrName: string, opts: AttachOptions): Promise<AttachResult> {
    await this.settled(containerId);
    const n = this.get(networkIdOrName);
    if (n.Driver !== 'bridge') throw new SkiffError('InvalidArgument', `network ${n.Name} has no interfaces to attach`);
    const { mappings, ports } = await this.portMappings(containerId, opts.portBindings ?? {});
    const ips: string[] = [];
    for (const [ip, family] of [[opts.ipv4, 4], [opts.ipv6, 6]] as const) {
      if (ip === undefined || ip === '') continue;
      const pool = n.IPAM.Config.find((c) => ipFamily(c.Subnet.split('/')[0]!) === family);
      if (ipFamily(ip) !== family || pool === undefined || !ipInCidr(ip, pool.Subnet)) {
        throw new SkiffError('InvalidArgument', `Invalid address ${ip}: It does not belong to any of this network's subnets`, { field: family === 4 ? 'IPAMConfig.IPv4Address' : 'IPAMConfig.IPv6Address' });
      }
      if (ip === pool.Gateway) throw new SkiffError('Conflict', `Address already in use: ${ip} is the gateway of network ${n.Name}`);
      ips.push(ip);
    }
    if (!this.isolated.has(n.BridgeName!)) {
      // with its first container: a daemon that never attaches one leaves the host's rules alone
      await installBridgeRules(ruleSetOf(n));
      this.isolated.add(n.BridgeName!);
    }
    const netns = await this.ensureNetns(containerId);
    const capabilityArgs: Record<string, unknown> = {};
    if (mappings.length > 0) capabilityArgs['portMappings'] = mappings;
    if (ips.length > 0) capabilityArgs['ips'] = ips;
    let result: CniResult;
    try {
      result = await this.cni.add(this.conflist(n, { portmap: mappings.length > 0 }), { containerId, netns, ifName: opts.ifName, ...(Object.keys(capabilityArgs).length === 0 ? {} : { capabilityArgs }) });
    } catch (err) {
      const msg = (err as Error).message;
      if (/requested IP address .* is not available|already allocated|is already in use/.test(msg)) throw new SkiffError('Conflict', `Address already in use: ${ips.join(', ')} on network ${n.Name}`, { cause: err });
      throw err;
    }
    for (const m of mappings) this.ports.set(portKey(m.protocol, m.hostIP, m.hostPort), containerId);
    const endpoint = this.endpointOf(result, opts.ifName);
    if (n.Name !== DEFAULT_NETWORK) {
      this.register(n, containerId, opts, endpoint);
      await this.startDns(n);
    }
    return { endpoint, ports };
  }

  private endpointOf(result: CniResult, ifName: string): EndpointAddresses {
    const ifIndex = result.interfaces?.findIndex((i) => i.sandbox !== undefined && i.name === ifName) ?? -1;
    const mine = (result.ips ?? []).filter((ip) => ip.interface === undefined || ip.interface === ifIndex);
    const v4 = mine.find((ip) => ipFamily(ip.address.split('/')[0]!) === 4);
    const v6 = mine.find((ip) => ipFamily(ip.address.split('/')[0]!) === 6);
    return {
      IPAddress: v4?.address.split('/')[0] ?? '', IPPrefixLen: v4 === undefined ? 0 : Number(v4.address.split('/')[1]), Gateway: v4?.gateway ?? '',
      MacAddress: ifIndex >= 0 ? result.interfaces![ifIndex]!.mac ?? '' : '',
      GlobalIPv6Address: v6?.address.split('/')[0] ?? '', GlobalIPv6PrefixLen: v6 === undefined ? 0 : Number(v6.address.split('/')[1]), IPv6Gateway: v6?.gateway ?? '',
    };
  }

  /** Detaches one interface (with the cached ADD result); idempotent. */
  async detach(containerId: string, networkIdOrName: string, ifName: string): Promise<void> {
    const n = this.find(networkIdOrName);
    const name = n?.Name ?? networkIdOrName;
    const cached = await this.cni.cached(name, containerId, ifName);
    const list = cached?.config ?? (n === undefined || n.Driver !== 'bridge' ? undefined : this.conflist(n));
    if (list !== undefined) {
      await this.cni.del(list, { containerId, netns: this.netnsPath(containerId), ifName })
        .catch((err: unknown) => this.logger.warn({ container: containerId, network: name, err: String(err) }, 'CNI DEL failed'));
    }
    for (const m of (cached?.capabilityArgs['portMappings'] as PortMapping[] | undefined) ?? []) {
      const key = portKey(m.protocol, m.hostIP, m.hostPort);
      if (this.ports.get(key) === containerId) this.ports.delete(key);
    }
    if (n !== undefined) this.dnsEntries.get(n.Id)?.delete(containerId);
  }

  /** Detaches every interface of the container and removes its namespace. */
  /**
   * Detaches every interface and removes the namespace without making the caller wait: the names
   * and published ports are released now, the CNI DELs (veth, lease, portmap rules) run behind. The
   * container's next attach, a network's removal and close() wait for it; after a crash, reconcile
   * finishes what was left.
   */
  releaseInBackground(containerId: string): void {
    for (const [key, owner] of [...this.ports]) if (owner === containerId) this.ports.delete(key);
    for (const entries of this.dnsEntries.values()) entries.delete(containerId);
    const previous = this.detaching.get(containerId) ?? Promise.resolve();
    const p: Promise<void> = previous.then(() => this.detachAll(containerId)).catch((err: unknown) => {
      this.logger.warn({ container: containerId, err: String(err) }, 'detaching the networks failed');
    }).finally(() => {
      if (this.detaching.get(containerId) === p) this.detaching.delete(containerId);
    });
    this.detaching.set(containerId, p);
  }

  /** Waits for the background detach of one container, or of all. */
  async settled(containerId?: string): Promise<void> {
    if (containerId !== undefined) await this.detaching.get(containerId);
    else await Promise.all([...this.detaching.values()]);
  }

  async detachAll(containerId: string): Promise<void> {
    for (const a of await this.cni.cachedAttachments(containerId)) {
      await this.detach(containerId, a.networkName, a.ifName);
    }
    for (const [key, owner] of [...this.ports]) if (owner === containerId) this.ports.delete(key);
    for (const entries of this.dnsEntries.values()) entries.delete(containerId);
    await this.removeNetns(containerId);
  }

  private register(n: NetworkRecord, containerId: string, opts: AttachOptions, e: EndpointAddresses): void {
    let entries = this.dnsEntries.get(n.Id);
    if (entries === undefined) this.dnsEntries.set(n.Id, entries = new Map());
    entries.set(containerId, {
      v4: e.IPAddress === '' ? [] : [e.IPAddress], v6: e.GlobalIPv6Address === '' ? [] : [e.GlobalIPv6Address],
      names: (opts.dnsNames ?? []).map((x) => x.toLowerCase()), links: opts.links ?? {},
      upstreams: opts.upstreams === undefined || opts.upstreams.length === 0 ? undefined : opts.upstreams.map((host) => ({ host, port: 53 })),
    });
  }

  /** The network's DNS server on its gateway (the bridge has the address once a container is attached). */
  private startDns(n: NetworkRecord): Promise<EmbeddedDns | undefined> {
    let p = this.dns.get(n.Id);
    if (p !== undefined) return p;
    const gateway = n.IPAM.Config.find((c) => ipFamily(c.Subnet.split('/')[0]!) === 4)?.Gateway;
    const entries = (): Map<string, DnsEntry> => this.dnsEntries.get(n.Id) ?? new Map();
    const clientOf = (client: string): [string, DnsEntry] | undefined => [...entries()].find(([, e]) => e.v4.includes(client) || e.v6.includes(client));
    const byClient = (client: string): DnsEntry | undefined => clientOf(client)?.[1];
    const lookupIn = (networkId: string, name: string): { a: string[]; aaaa: string[] } | undefined => {
      const found = [...(this.dnsEntries.get(networkId)?.values() ?? [])].filter((e) => e.names.includes(name));
      return found.length === 0 ? undefined : { a: found.flatMap((e) => e.v4), aaaa: found.flatMap((e) => e.v6) };
    };
    /** This network's names, then those of the client's other networks (docker's resolver answers for all of them). */
    const lookup = (name: string, client: string): { a: string[]; aaaa: string[] } | undefined => {
      const me = clientOf(client);
      const link = me?.[1].links[name];
      const wanted = link === undefined ? name : link.toLowerCase();
      const others = me === undefined ? [] : [...this.dnsEntries].filter(([id, e]) => id !== n.Id && e.has(me[0])).map(([id]) => id);
      for (const id of [n.Id, ...others]) {
        const suffix = `.${this.find(id)?.Name.toLowerCase() ?? ''}`;
        const found = lookupIn(id, wanted) ?? (suffix !== '.' && name.endsWith(suffix) ? lookupIn(id, name.slice(0, -suffix.length)) : undefined);
        if (found !== undefined) return found;
      }
      return undefined;
    };
    const dns = new EmbeddedDns({
      listen: gateway === undefined ? [] : [gateway],
      allowedSubnets: n.IPAM.Config.map((c) => c.Subnet),
      upstreams: hostUpstreams(),
      upstreamsFor: (client) => byClient(client)?.upstreams,
      lookup,
      reverse: (ip) => {
        const e = [...entries().values()].find((x) => x.v4.includes(ip) || x.v6.includes(ip));
        return e?.names[0] === undefined ? undefined : `${e.names[0]}.${n.Name}`;
      },
    });
    p = dns.start().then(() => {
      this.logger.info({ network: n.Name, listen: gateway }, 'embedded DNS listening');
      return dns;
    }, (err: unknown) => {
      this.logger.warn({ network: n.Name, err: String(err) }, 'the network\'s embedded DNS could not start: its containers cannot resolve names');
      this.dns.delete(n.Id);
      return undefined;
    });
    this.dns.set(n.Id, p);
    return p;
  }

  /**
   * After a daemon restart: re-registers the live endpoints' names and starts their networks' DNS,
   * re-reserves their published ports, and removes what belongs to no live container — cached CNI
   * attachments (DEL with the cached config: veth, portmap rules, IPAM lease), IPAM leases without
   * one, and pinned namespaces.
   */
  async reconcile(live: readonly LiveEndpoint[]): Promise<{ detached: string[]; namespaces: string[] }> {
    await this.settled(); // the containers' reconcile detaches the runs that ended meanwhile
    const liveIds = new Set(live.map((e) => e.containerId));
    const detached: string[] = [];
    const cachedAll = await this.cni.cachedAttachments();
    for (const a of cachedAll) {
      const n = this.find(a.networkName);
      const isLive = live.some((e) => e.containerId === a.containerId && e.ifName === a.ifName && (n === undefined || e.networkId === n.Id));
      if (isLive) {
        for (const m of (a.capabilityArgs['portMappings'] as PortMapping[] | undefined) ?? []) this.ports.set(portKey(m.protocol, m.hostIP, m.hostPort), a.containerId);
        continue;
      }
      await this.detach(a.containerId, a.networkName, a.ifName);
      detached.push(`${a.containerId.slice(0, 12)}/${a.networkName}/${a.ifName}`);
    }
    // leases host-local kept for containers that are gone (a DEL that never ran)
    const ipamRoot = join(this.opts.root, 'ipam');
    for (const net of await readdir(ipamRoot).catch(() => [] as string[])) {
      for (const file of await readdir(join(ipamRoot, net)).catch(() => [] as string[])) {
        if (ipFamily(file) === 0) continue; // last_reserved_ip.0, lock
        const owner = (await readFile(join(ipamRoot, net, file), 'utf8').catch(() => '')).split(/\s/)[0] ?? '';
        if (owner !== '' && !liveIds.has(owner)) await rm(join(ipamRoot, net, file), { force: true });
      }
    }
    const namespaces: string[] = [];
    for (const file of await readdir(this.opts.netnsDir).catch(() => [] as string[])) {
      if (liveIds.has(file)) continue;
      await this.removeNetns(file).catch((err: unknown) => this.logger.warn({ netns: file, err: String(err) }, 'removing an orphan namespace failed'));
      namespaces.push(file);
    }
    for (const e of live) {
      const n = this.find(e.networkId);
      if (n === undefined || n.Name === DEFAULT_NETWORK || n.Driver !== 'bridge') continue;
      const cached = cachedAll.find((a) => a.containerId === e.containerId && a.ifName === e.ifName && a.networkName === n.Name);
      if (cached === undefined) continue;
      this.register(n, e.containerId, e, this.endpointOf(cached.result, e.ifName));
      await this.startDns(n);
    }
    if (detached.length + namespaces.length > 0) this.logger.info({ detached, namespaces }, 'network orphans removed');
    return { detached, namespaces };
  }

  /** The addresses of a live attachment, from the cached CNI result. */
  async endpoint(containerId: string, networkName: string, ifName: string): Promise<EndpointAddresses | undefined> {
    const cached = await this.cni.cached(networkName, containerId, ifName);
    return cached === undefined ? undefined : this.endpointOf(cached.result, ifName);
  }

  /** Updates the names a live endpoint answers to (connect with new aliases, rename). */
  rename(containerId: string, from: string, to: string): void {
    for (const entries of this.dnsEntries.values()) {
      const e = entries.get(containerId);
      if (e !== undefined) e.names = e.names.map((x) => (x === from.toLowerCase() ? to.toLowerCase() : x));
    }
  }

  async close(): Promise<void> {
    await this.settled();
    for (const p of this.dns.values()) (await p)?.close();
    this.dns.clear();
  }
}
