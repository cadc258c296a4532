// `ps` and `stats --no-stream`: docker's formatter/container.go and formatter/stats.go: truncated
// ids, quoted and ellipsized commands, "Up 3 seconds" from the daemon, ports as docker groups them,
// CPU % from the delta against precpu_stats, memory without the inactive file cache.

import type { ContainerStats, ContainerSummary, PortSummary } from '../../../client/index.js';
import { bool, list, parseFilters, str } from '../args.js';
import { write, type Command } from '../context.js';
import { renderList } from '../render/list-format.js';
import { bytesSize, goTimeString, humanDuration, humanSizeWithPrecision } from '../render/units.js';
import { shortId } from './container-util.js';

export const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Status: 'STATUS',
  Ports: 'PORTS', Names: 'NAMES', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS', LocalVolumes: 'LOCAL VOLUMES',
  State: 'STATE', Platform: 'PLATFORM',
};

const PS_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** formatter.Ellipsis: at most `max` characters, the last one "…" when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 1) return chars.slice(0, max).join('');
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** Go's strconv.Quote for the common characters. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u007f/g, '\\x7f');
}

/** DisplayablePorts: `0.0.0.0:8080->80/tcp, 53/udp`, consecutive ports folded into ranges. */
export function displayablePorts(ports: readonly PortSummary[]): string {
  interface Group { first: number; last: number; hostFirst: number; hostLast: number }
  const groups = new Map<string, Group[]>();
  const order: string[] = [];
  const sorted = [...ports].sort((a, b) => (a.PrivatePort - b.PrivatePort) || ((a.PublicPort ?? 0) - (b.PublicPort ?? 0)) || (a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0) || ((a.IP ?? '') < (b.IP ?? '') ? -1 : 1));
  for (const p of sorted) {
    const ip = p.IP ?? '';
    const hasPublic = p.PublicPort !== undefined && p.PublicPort !== 0;
    const host = ip.includes(':') ? `[${ip}]` : ip;
    const key = hasPublic ? `${host}:|${p.Type}` : `|${p.Type}`;
    if (!groups.has(key)) {
      groups.set(key, []);
      order.push(key);
    }
    const list = groups.get(key)!;
    const last = list[list.length - 1];
    const pub = p.PublicPort ?? 0;
    if (last !== undefined && last.last + 1 === p.PrivatePort && (!hasPublic || last.hostLast + 1 === pub)) {
      last.last = p.PrivatePort;
      last.hostLast = pub;
    } else {
      list.push({ first: p.PrivatePort, last: p.PrivatePort, hostFirst: pub, hostLast: pub });
    }
  }
  const out: string[] = [];
  for (const key of order) {
    const [prefix, type] = key.split('|') as [string, string];
    for (const g of groups.get(key)!) {
      const priv = g.first === g.last ? `${g.first}` : `${g.first}-${g.last}`;
      if (prefix === '') out.push(`${priv}/${type}`);
      else out.push(`${prefix}${g.hostFirst === g.hostLast ? g.hostFirst : `${g.hostFirst}-${g.hostLast}`}->${priv}/${type}`);
    }
  }
  return out.join(', ');
}

export interface ContainerRow {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  RunningFor: string;
  Ports: string;
  State: string;
  Status: string;
  Size: string;
  Names: string;
  Labels: string;
  Mounts: string;
  Networks: string;
  LocalVolumes: string;
}

export function containerRows(list: readonly ContainerSummary[], opts: { trunc: boolean; nowMs?: number }): ContainerRow[] {
  return list.map((c) => {
    let names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
    if (opts.trunc) names = names.filter((n) => !n.includes('/')).slice(0, 1);
    let image = c.Image === '' ? '<no image>' : c.Image;
    if (opts.trunc) {
      if (image.startsWith('sha256:') && image.slice(7).startsWith(c.ImageID.replace(/^sha256:/, '').slice(0, 12))) image = shortId(image);
      else if (/^[0-9a-f]{64}$/.test(image)) image = shortId(image);
      else image = image.replace(/@sha256:[0-9a-f]{64}$/, '');
    }
    const command = goQuote(opts.trunc ? ellipsis(c.Command, 20) : c.Command);
    const labels = Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const mounts = (c.Mounts ?? []).map((m) => {
      const name = m.Name !== undefined && m.Name !== '' ? m.Name : (m.Source ?? '');
      return opts.trunc ? ellipsis(name, 15) : name;
    }).join(',');
    const nowMs = opts.nowMs ?? Date.now();
    const size = c.SizeRw === undefined && c.SizeRootFs === undefined
      ? ''
      : `${humanSizeWithPrecision(c.SizeRw ?? 0, 3)} (virtual ${humanSizeWithPrecision(c.SizeRootFs ?? 0, 3)})`;
    return {
      ID: opts.trunc ? shortId(c.Id) : c.Id,
      Image: image,
      Command: command,
      CreatedAt: goTimeString(c.Created),
      RunningFor: `${humanDuration(nowMs - c.Created * 1000)} ago`,
      Ports: displayablePorts(c.Ports ?? []),
      State: c.State,
      Status: c.Status,
      Size: size,
      Names: names.join(','),
      Labels: labels,
      Mounts: mounts,
      Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
      LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Type === 'volume').length),
    };
  });
}

/** NewContainerFormat: the table (plus SIZE with -s), `{{.ID}}` with -q unless a format is given. */
export function psFormat(format: string | undefined, quiet: boolean, size: boolean): string {
  const f = format === undefined || format === '' ? 'table' : format;
  if (f === 'table') return quiet ? '{{.ID}}' : size ? `${PS_TABLE}\t{{.Size}}` : PS_TABLE;
  if (f === 'raw') return quiet ? 'container_id: {{.ID}}' : 'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';
  return f;
}

export const containerList: Command = {
  path: ['container', 'ls'],
  aliases: [['ps'], ['container', 'list'], ['container', 'ps']],
  usage: '[OPTIONS]',
  short: 'List containers',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Show all containers (default shows just running)' },
    { name: 'filter', short: 'f', kind: 'list', valueName: 'filter', help: 'Filter output based on conditions provided' },
    { name: 'format', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'last', short: 'n', kind: 'string', valueName: 'int', help: 'Show n last created containers (includes all states) (default -1)' },
    { name: 'latest', short: 'l', kind: 'bool', help: 'Show the latest created container (includes all states)' },
    { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display container IDs' },
    { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes' },
  ],
  args: { exact: 0 },
  async run(ctx, p) {
    const filters = parseFilters(list(p, 'filter'));
    let limit = str(p, 'last') === undefined ? -1 : Number(str(p, 'last'));
    if (bool(p, 'latest')) limit = 1;
    const format = str(p, 'format');
    const quiet = bool(p, 'quiet');
    // docker asks for sizes with -s, or when a custom format uses .Size.
    const size = bool(p, 'size') || (format !== undefined && format.includes('.Size'));
    const all = bool(p, 'all') || limit > 0;
    const containers = await ctx.client().listContainers({ all, limit, size, filters });
    const rows = containerRows(containers, { trunc: !bool(p, 'no-trunc') });
    await write(ctx.io.stdout, renderList(psFormat(format, quiet, bool(p, 'size') && !quiet), rows, PS_HEADERS));
    return 0;
  },
};

// ---------------------------------------------------------------------------------------------
// stats

export const STATS_HEADERS: Record<string, string> = {
  Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
  NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

const STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

export interface StatsRow {
  Container: string;
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

/** calculateCPUPercentUnix: the container's share of the host's CPU time since the previous read. */
export function cpuPercent(s: ContainerStats): number {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - (s.precpu_stats.cpu_usage?.total_usage ?? 0);
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  let online = s.cpu_stats.online_cpus ?? 0;
  if (online === 0) online = s.cpu_stats.cpu_usage.percpu_usage?.length ?? 0;
  if (systemDelta > 0 && cpuDelta > 0) return (cpuDelta / systemDelta) * online * 100;
  return 0;
}

/** calculateMemUsageUnixNoCache: usage minus the inactive file cache (v1 total_inactive_file, v2 inactive_file). */
export function memUsageNoCache(s: ContainerStats): number {
  const usage = s.memory_stats.usage ?? 0;
  const st = s.memory_stats.stats ?? {};
  const v1 = st['total_inactive_file'];
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = st['inactive_file'];
  if (v2 !== undefined && v2 < usage) return usage - v2;
  return usage;
}

export function statsRow(s: ContainerStats, idOrName: string, trunc = true): StatsRow {
  const mem = memUsageNoCache(s);
  const limit = s.memory_stats.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let written = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') read += e.value;
    else if (op === 'write') written += e.value;
  }
  const id = s.id ?? '';
  const pct = (x: number): string => `${x.toFixed(2)}%`;
  return {
    Container: idOrName,
    ID: trunc ? shortId(id) : id,
    Name: (s.name ?? '').replace(/^\//, '') || '--',
    CPUPerc: pct(cpuPercent(s)),
    MemUsage: `${bytesSize(mem)} / ${bytesSize(limit)}`,
    MemPerc: pct(limit === 0 ? 0 : (mem / limit) * 100),
    NetIO: `${humanSizeWithPrecision(rx, 3)} / ${humanSizeWithPrecision(tx, 3)}`,
    BlockIO: `${humanSizeWithPrecision(read, 3)} / ${humanSizeWithPrecision(written, 3)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

export const containerStats: Command = {
  path: ['container', 'stats'],
  aliases: [['stats']],
  usage: '[OPTIONS] [CONTAINER...]',
  short: 'Display a live stream of container(s) resource usage statistics',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Show all containers (default shows just running)' },
    { name: 'format', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'no-stream', kind: 'bool', help: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
  ],
  args: {},
  async run(ctx, p) {
    if (!bool(p, 'no-stream')) {
      await write(ctx.io.stderr, 'skiff stats: only --no-stream is supported\n');
      return 1;
    }
    const client = ctx.client();
    const names = p.args.length > 0 ? p.args : (await client.listContainers({ all: bool(p, 'all') })).map((c) => c.Id);
    const rows: StatsRow[] = [];
    for (const name of names) rows.push(statsRow(await client.containerStats(name, { stream: false }), name, !bool(p, 'no-trunc')));
    const format = str(p, 'format');
    await write(ctx.io.stdout, renderList(format === undefined || format === '' || format === 'table' ? STATS_TABLE : format, rows, STATS_HEADERS));
    return 0;
  },
};
