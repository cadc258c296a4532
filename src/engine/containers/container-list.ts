// GET /containers/json and /containers/{id}/json: docker's summaries and inspect document.

import { SkiffError } from '../../base/index.js';
import type { ContainerRow } from '../../store/index.js';
import { findContainer, type EngineContext } from './context.js';
import type { ContainerRecord, ContainerSummary, EndpointRecord } from './types.js';

/** go-units HumanDuration, as `docker ps` prints "Up 3 seconds" / "Exited (0) 2 minutes ago". */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(ms / 60000);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(ms / 3600000);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.round(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.round(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.round(h / 24 / 30)} months`;
  return `${Math.round(h / 24 / 365)} years`;
}

export function statusText(r: ContainerRecord, now = Date.now()): string {
  const s = r.State;
  if (s.Running) {
    const up = `Up ${humanDuration(now - Date.parse(s.StartedAt))}`;
    if (s.Paused) return `${up} (Paused)`;
    const health = (s as { Health?: { Status: string } }).Health?.Status;
    if (health === 'starting') return `${up} (health: starting)`;
    return health === undefined ? up : `${up} (${health})`;
  }
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Status === 'created' || Date.parse(s.FinishedAt) <= 0 || s.FinishedAt.startsWith('0001')) return 'Created';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

function quoteArg(a: string): string {
  return /[\s"'\\]/.test(a) || a === '' ? JSON.stringify(a) : a;
}

/** docker's NetworkSettings.Ports: the published ports, and the exposed ones unbound, while running. */
function portsOf(r: ContainerRecord): Record<string, { HostIp?: string; HostPort?: string }[] | null> {
  if (r.Sandbox === undefined) return {};
  const out: Record<string, { HostIp?: string; HostPort?: string }[] | null> = {};
  for (const p of Object.keys(r.Config.ExposedPorts ?? {})) out[p.includes('/') ? p : `${p}/tcp`] = null;
  return { ...out, ...r.Sandbox.Ports };
}

function publicEndpoint(ep: EndpointRecord): Record<string, unknown> {
  const { IfName: _if, ...rest } = ep;
  return { GwPriority: 0, ...rest }; // docker's EndpointSettings (API 1.48+) has it; Skiff has one gateway per container
}

export function summaryOf(row: ContainerRow<ContainerRecord>): ContainerSummary {
  const r = row.record;
  return {
    Id: r.Id,
    Names: [r.Name],
    Image: r.ImageName,
    ImageID: r.Image,
    Command: [r.Path, ...r.Args].map(quoteArg).join(' '),
    Created: Math.floor(Date.parse(r.Created) / 1000),
    Ports: Object.entries(portsOf(r)).flatMap(([key, bindings]) => {
      const [port, type] = key.split('/') as [string, string];
      if (bindings === null || bindings.length === 0) return [{ PrivatePort: Number(port), Type: type }];
      return bindings.map((b) => ({ IP: b.HostIp ?? '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type }));
    }),
    Labels: r.Config.Labels ?? {},
    State: r.State.Status,
    Status: statusText(r),
    HostConfig: { NetworkMode: r.HostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: Object.fromEntries(Object.entries(r.Networks ?? {}).map(([name, ep]) => [name, publicEndpoint(ep)])) },
    Mounts: (r.MountPoints ?? []).map((m) => ({ ...m })),
  };
}

const FILTERS = new Set(['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'network', 'volume', 'health', 'isolation', 'is-task', 'publish', 'expose']);

/** docker's publish/expose filter values: `80`, `80/udp`, `8000-8080/tcp`, as a matcher of `port/proto` keys. */
function portFilter(value: string, name: string): (key: string) => boolean {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(value);
  if (m === null) throw new SkiffError('InvalidArgument', `invalid filter '${name}=${value}'`, { field: `filters.${name}` });
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  const proto = m[3] ?? 'tcp';
  return (key) => {
    const [port, p = 'tcp'] = key.split('/');
    return p === proto && Number(port) >= lo && Number(port) <= hi;
  };
}

export function listContainers(ctx: EngineContext, opts: { all?: boolean; limit?: number; filters?: Record<string, string[]> } = {}): ContainerSummary[] {
  const f = opts.filters ?? {};
  for (const k of Object.keys(f)) if (!FILTERS.has(k)) throw new SkiffError('InvalidArgument', `invalid filter '${k}'`, { field: `filters.${k}` });
  for (const s of f.status ?? []) {
    if (!['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'].includes(s)) {
      throw new SkiffError('InvalidArgument', `invalid filter 'status=${s}'`, { field: 'filters.status' });
    }
  }
  for (const h of f.health ?? []) {
    if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw new SkiffError('InvalidArgument', `Unrecognised filter value for health: ${h}`, { field: 'filters.health' });
  }
  const createdOf = (ref: string): number => Date.parse(findContainer(ctx, ref).record.Created);
  const before = f.before?.[0] === undefined ? undefined : createdOf(f.before[0]);
  const since = f.since?.[0] === undefined ? undefined : createdOf(f.since[0]);
  const publish = (f.publish ?? []).map((v) => portFilter(v, 'publish'));
  const expose = (f.expose ?? []).map((v) => portFilter(v, 'expose'));
  let rows = ctx.repo.all();
  const all = opts.all === true || (opts.limit !== undefined && opts.limit > 0) || f.status !== undefined || f.exited !== undefined;
  if (!all) rows = rows.filter((r) => r.record.State.Running);
  rows = rows.filter(({ record: r }) => {
    if (f.id !== undefined && !f.id.some((p) => r.Id.startsWith(p))) return false;
    if (f.name !== undefined && !f.name.some((p) => new RegExp(p).test(r.Name.slice(1)))) return false;
    if (f.status !== undefined && !f.status.includes(r.State.Status)) return false;
    if (f.exited !== undefined && (r.State.Running || r.State.Status === 'created' || !f.exited.includes(String(r.State.ExitCode)))) return false;
    if (f.network !== undefined && !f.network.some((n) => Object.entries(r.Networks ?? {}).some(([name, ep]) => name === n || (n.length >= 1 && ep.NetworkID.startsWith(n))))) return false;
    if (f.volume !== undefined && !f.volume.some((v) => (r.MountPoints ?? []).some((m) => m.Name === v || m.Destination === v))) return false;
    if (f.ancestor !== undefined && !f.ancestor.some((a) => a === r.ImageName || r.Image.startsWith(a) || r.Image === `sha256:${a}`)) return false;
    if (before !== undefined && !(Date.parse(r.Created) < before)) return false;
    if (since !== undefined && !(Date.parse(r.Created) > since)) return false;
    if (f.health !== undefined && !f.health.includes((r.State as { Health?: { Status: string } }).Health?.Status ?? 'none')) return false;
    if (f.isolation !== undefined && !f.isolation.includes('default')) return false; // Linux has one
    if (f['is-task'] !== undefined && f['is-task'].includes('true')) return false; // no swarm tasks
    if (publish.length > 0) {
      const published = Object.entries(portsOf(r)).filter(([, b]) => (b ?? []).length > 0).map(([k]) => k);
      if (!publish.some((m) => published.some(m))) return false;
    }
    if (expose.length > 0) {
      const exposed = [...Object.keys(r.Config.ExposedPorts ?? {}), ...Object.keys(portsOf(r))].map((k) => (k.includes('/') ? k : `${k}/tcp`));
      if (!expose.some((m) => exposed.some(m))) return false;
    }
    if (f.label !== undefined) {
      const labels = r.Config.Labels ?? {};
      if (!f.label.every((l) => { const i = l.indexOf('='); return i < 0 ? l in labels : labels[l.slice(0, i)] === l.slice(i + 1); })) return false;
    }
    return true;
  });
  if (opts.limit !== undefined && opts.limit > 0) rows = rows.slice(0, opts.limit);
  return rows.map(summaryOf);
}

export function inspectContainer(ctx: EngineContext, idOrName: string): Record<string, unknown> {
  const { record: r } = findContainer(ctx, idOrName);
  return {
    Id: r.Id,
    Created: r.Created,
    Path: r.Path,
    Args: r.Args,
    State: r.State,
    Image: r.Image,
    ResolvConfPath: r.ResolvConfPath,
    HostnamePath: r.HostnamePath,
    HostsPath: r.HostsPath,
    LogPath: r.LogPath,
    Name: r.Name,
    RestartCount: r.RestartCount,
    Driver: 'overlayfs',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: r.ExecIDs.length === 0 ? null : r.ExecIDs,
    HostConfig: hostConfigWithDefaults(r),
    GraphDriver: { Name: 'overlayfs', Data: null },
    Mounts: r.MountPoints ?? [],
    Config: r.Config,
    NetworkSettings: networkSettings(r),
  };
}

/** docker's NetworkSettings: the top-level fields mirror the default bridge's endpoint. */
function networkSettings(r: ContainerRecord): Record<string, unknown> {
  const bridge = r.Networks?.['bridge'];
  const attached = r.Sandbox !== undefined;
  return {
    Bridge: '', SandboxID: attached ? r.Id : '', SandboxKey: r.Sandbox?.Key ?? '', Ports: portsOf(r), HairpinMode: false,
    LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
    EndpointID: bridge?.EndpointID ?? '', Gateway: bridge?.Gateway ?? '', GlobalIPv6Address: bridge?.GlobalIPv6Address ?? '',
    GlobalIPv6PrefixLen: bridge?.GlobalIPv6PrefixLen ?? 0, IPAddress: bridge?.IPAddress ?? '', IPPrefixLen: bridge?.IPPrefixLen ?? 0,
    IPv6Gateway: bridge?.IPv6Gateway ?? '', MacAddress: bridge?.MacAddress ?? '',
    Networks: Object.fromEntries(Object.entries(r.Networks ?? {}).map(([name, ep]) => [name, publicEndpoint(ep)])),
  };
}

/** docker fills these at create; clients (docker-py's run) read them without checking. */
function hostConfigWithDefaults(r: ContainerRecord): Record<string, unknown> {
  const hc = r.HostConfig as Record<string, unknown>;
  return {
    Binds: null, ContainerIDFile: '', NetworkMode: 'default', PortBindings: {}, AutoRemove: false, VolumeDriver: '', VolumesFrom: null,
    CapAdd: null, CapDrop: null, CgroupnsMode: 'host', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null,
    IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false,
    ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 67108864, Runtime: 'skiff', Isolation: '',
    CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null, DeviceRequests: null,
    MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: null, PidsLimit: null, Ulimits: null,
    CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
    ...hc,
    LogConfig: { Type: 'json-file', Config: {}, ...((hc.LogConfig as object | undefined) ?? {}) },
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0, ...((hc.RestartPolicy as object | undefined) ?? {}) },
    ConsoleSize: hc.ConsoleSize ?? [0, 0],
  };
}
