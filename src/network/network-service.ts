// The default bridge network of skiffd (docker's "bridge" on docker0; here "bridge" on skiff0 by
// default): a subnet picked once among 172.17–31.0.0/16 and 192.168.x.0/20 that no host route
// overlaps, kept in <root>/bridge.json so addresses stay stable across restarts; each container gets
// a pinned network namespace under the exec root and is attached through the CNI plugins (bridge,
// host-local, portmap, firewall); published ports are portmap capability arguments.

import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SkiffError, silentLogger, type Logger } from '../base/index.js';
import { createPinnedNetns, isPinnedNetns, removePinnedNetns, writeFileAtomic } from '../sys/index.js';
import { bridgeConflist } from './cni/bridge-conflist.js';
import { CniRunner } from './cni/runner.js';
import type { CniResult, NetworkConfigList } from './cni/types.js';
import { ipInCidr } from './dns/addr.js';

export interface NetworkServiceOptions {
  /** `<data-root>/network`: IPAM leases, CNI result cache, the chosen subnet. */
  root: string;
  /** `<exec-root>/netns`: the pinned namespaces (tmpfs in production). */
  netnsDir: string;
  /** Linux bridge of the default network (daemon.json `bridge`); default skiff0. */
  bridge?: string;
  /** daemon.json `bip`-like: the default network's subnet instead of picking one. */
  subnet?: string;
  pluginDirs?: readonly string[];
  logger?: Logger;
}

/** docker's PortBinding. */
export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface EndpointSettings {
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
}

export interface Attached {
  netnsPath: string;
  endpoint: EndpointSettings;
  /** docker's NetworkSettings.Ports with the host ports actually bound. */
  ports: Record<string, PortBinding[] | null>;
}

const DEFAULT_NETWORK = 'bridge';
const IF_NAME = 'eth0';

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
}

/** Destinations of the host's IPv4 routes (/proc/net/route), as CIDRs. */
function hostRoutes(): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  const hex = (h: string): string => [0, 1, 2, 3].map((i) => parseInt(h.slice(6 - 2 * i, 8 - 2 * i), 16)).join('.');
  return text.split('\n').slice(1).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/)).filter((f) => f[1] !== '00000000').map((f) => {
    let mask = ipv4ToInt(hex(f[7]!));
    let prefix = 0;
    while (mask !== 0) {
      prefix += mask & 1;
      mask >>>= 1;
    }
    return `${hex(f[1]!)}/${prefix}`;
  });
}

function overlaps(a: string, b: string): boolean {
  const [aip, abits] = a.split('/') as [string, string];
  const [bip, bbits] = b.split('/') as [string, string];
  return ipInCidr(aip, b) || ipInCidr(bip, a) || (Number(abits) === Number(bbits) && aip === bip);
}

export function pickSubnet(routes: readonly string[]): string {
  const candidates = [
    ...Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`),
    ...Array.from({ length: 16 }, (_, i) => `192.168.${i * 16}.0/20`),
  ];
  const free = candidates.find((c) => !routes.some((r) => overlaps(c, r)));
  if (free === undefined) throw new SkiffError('ResourceExhausted', 'no free subnet for the default bridge network: every candidate overlaps a host route');
  return free;
}

async function freePort(hostIp: string): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, hostIp === '' ? '0.0.0.0' : hostIp, resolve);
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export class NetworkService {
  private readonly cni: CniRunner;
  private readonly logger: Logger;
  private list: NetworkConfigList | undefined;
  private subnet = '';
  private gateway = '';

  constructor(private readonly opts: NetworkServiceOptions) {
    this.cni = new CniRunner({ cacheDir: join(opts.root, 'cni-cache'), ...(opts.pluginDirs === undefined ? {} : { pluginDirs: opts.pluginDirs }) });
    this.logger = opts.logger ?? silentLogger;
  }

  get bridgeName(): string {
    return this.opts.bridge ?? 'skiff0';
  }

  /** Picks (once) and loads the default network's subnet. */
  async init(): Promise<void> {
    await mkdir(this.opts.root, { recursive: true, mode: 0o700 });
    await mkdir(this.opts.netnsDir, { recursive: true, mode: 0o755 });
    const statePath = join(this.opts.root, 'bridge.json');
    let state: { subnet: string } | undefined;
    try {
      state = JSON.parse(await readFile(statePath, 'utf8')) as { subnet: string };
    } catch {
      state = undefined;
    }
    const subnet = this.opts.subnet ?? state?.subnet ?? pickSubnet(hostRoutes().filter((r) => !r.startsWith('0.0.0.0')));
    if (state?.subnet !== subnet) await writeFileAtomic(statePath, JSON.stringify({ subnet }), 0o600);
    this.subnet = subnet;
    const base = ipv4ToInt(subnet.split('/')[0]!);
    this.gateway = [24, 16, 8, 0].map((s) => ((base + 1) >>> s) & 255).join('.');
    this.list = bridgeConflist({ name: DEFAULT_NETWORK, bridge: this.bridgeName, subnet, gateway: this.gateway, ipamDataDir: join(this.opts.root, 'ipam') });
    this.logger.info({ network: DEFAULT_NETWORK, bridge: this.bridgeName, subnet }, 'default bridge network');
  }

  netnsPath(containerId: string): string {
    return join(this.opts.netnsDir, containerId);
  }

  /** Creates the container's namespace and attaches it to the default bridge, publishing ports. */
  async attach(containerId: string, portBindings: Record<string, PortBinding[] | null | undefined> = {}): Promise<Attached> {
    if (this.list === undefined) throw new SkiffError('FailedPrecondition', 'network service not initialised');
    const ports: Record<string, PortBinding[] | null> = {};
    const mappings: { hostPort: number; containerPort: number; protocol: string; hostIP: string }[] = [];
    for (const [key, bindings] of Object.entries(portBindings)) {
      const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
      if (m === null) throw new SkiffError('InvalidArgument', `invalid port specification: "${key}"`, { field: 'HostConfig.PortBindings' });
      const containerPort = Number(m[1]);
      const protocol = m[2] ?? 'tcp';
      const bound: PortBinding[] = [];
      for (const b of bindings ?? []) {
        const hostIP = b.HostIp ?? '';
        const hostPort = b.HostPort === undefined || b.HostPort === '' || b.HostPort === '0' ? await freePort(hostIP) : Number(b.HostPort);
        if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) throw new SkiffError('InvalidArgument', `invalid host port: "${b.HostPort}"`, { field: 'HostConfig.PortBindings' });
        mappings.push({ hostPort, containerPort, protocol, hostIP });
        bound.push({ HostIp: hostIP === '' ? '0.0.0.0' : hostIP, HostPort: String(hostPort) });
      }
      ports[`${containerPort}/${protocol}`] = bound.length === 0 ? null : bound;
    }
    const netns = this.netnsPath(containerId);
    if (!isPinnedNetns(netns)) await createPinnedNetns(netns);
    let result: CniResult;
    try {
      result = await this.cni.add(this.list, { containerId, netns, ifName: IF_NAME, ...(mappings.length === 0 ? {} : { capabilityArgs: { portMappings: mappings } }) });
    } catch (err) {
      removePinnedNetns(netns);
      throw err;
    }
    const ip = result.ips?.[0];
    const [address, prefix] = (ip?.address ?? '/').split('/') as [string, string];
    const iface = result.interfaces?.find((i) => i.sandbox !== undefined && i.name === IF_NAME);
    return {
      netnsPath: netns,
      ports,
      endpoint: {
        NetworkID: DEFAULT_NETWORK, EndpointID: containerId.slice(0, 12), Gateway: ip?.gateway ?? this.gateway, IPAddress: address,
        IPPrefixLen: Number(prefix), MacAddress: iface?.mac ?? '', IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
      },
    };
  }

  /** Detaches (with the cached ADD result) and removes the namespace. Idempotent. */
  async detach(containerId: string): Promise<void> {
    const netns = this.netnsPath(containerId);
    if (this.list !== undefined) {
      const cached = await this.cni.cached(DEFAULT_NETWORK, containerId, IF_NAME);
      if (cached !== undefined || isPinnedNetns(netns)) {
        await this.cni.del(this.list, { containerId, netns, ifName: IF_NAME })
          .catch((err: unknown) => this.logger.warn({ container: containerId, err: String(err) }, 'CNI DEL failed'));
      }
    }
    if (isPinnedNetns(netns)) removePinnedNetns(netns);
    await rm(netns, { force: true });
  }

  get defaultNetwork(): { name: string; subnet: string; gateway: string; bridge: string } {
    return { name: DEFAULT_NETWORK, subnet: this.subnet, gateway: this.gateway, bridge: this.bridgeName };
  }
}
