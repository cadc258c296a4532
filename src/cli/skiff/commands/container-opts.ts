// `run` / `create` flags → the create body the docker CLI sends (cli/command/container/opts.go):
// the Config fields, HostConfig with docker's zero values, NetworkingConfig. Values are parsed with
// docker's units (RAMInBytes, Go durations, nano CPUs) and its normalisations (CAP_ prefixes,
// device permissions, port ranges).

import { readFileSync } from 'node:fs';
import { UsageError, bool, list, str, type FlagSpec, type ParsedArgs } from '../args.js';
import { canonicalIp, csvValues, parseGoIp, validateLink } from './network.js';

export const CREATE_FLAGS: FlagSpec[] = [
  { name: 'add-host', kind: 'list', valueName: 'list', help: 'Add a custom host-to-IP mapping (host:ip)' },
  { name: 'attach', short: 'a', kind: 'list', valueName: 'list', help: 'Attach to STDIN, STDOUT or STDERR' },
  { name: 'cap-add', kind: 'list', valueName: 'list', help: 'Add Linux capabilities' },
  { name: 'cap-drop', kind: 'list', valueName: 'list', help: 'Drop Linux capabilities' },
  { name: 'cidfile', kind: 'string', valueName: 'string', help: 'Write the container ID to the file' },
  { name: 'cpu-shares', short: 'c', kind: 'string', valueName: 'int', help: 'CPU shares (relative weight)' },
  { name: 'cpus', kind: 'string', valueName: 'decimal', help: 'Number of CPUs' },
  { name: 'device', kind: 'list', valueName: 'list', help: 'Add a host device to the container' },
  { name: 'dns', kind: 'list', valueName: 'list', help: 'Set custom DNS servers' },
  { name: 'dns-option', kind: 'list', valueName: 'list', help: 'Set DNS options' },
  { name: 'dns-search', kind: 'list', valueName: 'list', help: 'Set custom DNS search domains' },
  { name: 'entrypoint', kind: 'string', valueName: 'string', help: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'env', short: 'e', kind: 'list', valueName: 'list', help: 'Set environment variables' },
  { name: 'env-file', kind: 'list', valueName: 'list', help: 'Read in a file of environment variables' },
  { name: 'expose', kind: 'list', valueName: 'list', help: 'Expose a port or a range of ports' },
  { name: 'group-add', kind: 'list', valueName: 'list', help: 'Add additional groups to join' },
  { name: 'health-cmd', kind: 'string', valueName: 'string', help: 'Command to run to check health' },
  { name: 'health-interval', kind: 'string', valueName: 'duration', help: 'Time between running the check (ms|s|m|h) (default 0s)' },
  { name: 'health-retries', kind: 'string', valueName: 'int', help: 'Consecutive failures needed to report unhealthy' },
  { name: 'health-start-interval', kind: 'string', valueName: 'duration', help: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' },
  { name: 'health-start-period', kind: 'string', valueName: 'duration', help: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
  { name: 'health-timeout', kind: 'string', valueName: 'duration', help: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
  { name: 'hostname', short: 'h', kind: 'string', valueName: 'string', help: 'Container host name' },
  { name: 'init', kind: 'bool', help: 'Run an init inside the container that forwards signals and reaps processes' },
  { name: 'interactive', short: 'i', kind: 'bool', help: 'Keep STDIN open even if not attached' },
  { name: 'ip', kind: 'string', valueName: 'string', help: 'IPv4 address (e.g., 172.30.100.104)' },
  { name: 'ip6', kind: 'string', valueName: 'string', help: 'IPv6 address (e.g., 2001:db8::33)' },
  { name: 'label', short: 'l', kind: 'list', valueName: 'list', help: 'Set meta data on a container' },
  { name: 'link', kind: 'list', valueName: 'list', help: 'Add link to another container' },
  { name: 'link-local-ip', kind: 'list', valueName: 'list', help: 'Container IPv4/IPv6 link-local addresses' },
  { name: 'memory', short: 'm', kind: 'string', valueName: 'bytes', help: 'Memory limit' },
  { name: 'memory-swap', kind: 'string', valueName: 'bytes', help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  { name: 'mount', kind: 'list', valueName: 'mount', help: 'Attach a filesystem mount to the container' },
  { name: 'name', kind: 'string', valueName: 'string', help: 'Assign a name to the container' },
  { name: 'network', kind: 'list', valueName: 'network', help: 'Connect a container to a network' },
  { name: 'net', kind: 'list', valueName: 'network', help: 'Connect a container to a network' },
  { name: 'network-alias', kind: 'list', valueName: 'list', help: 'Add network-scoped alias for the container' },
  { name: 'no-healthcheck', kind: 'bool', help: 'Disable any container-specified HEALTHCHECK' },
  { name: 'pids-limit', kind: 'string', valueName: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'platform', kind: 'string', valueName: 'string', help: 'Set platform if server is multi-platform capable' },
  { name: 'privileged', kind: 'bool', help: 'Give extended privileges to this container' },
  { name: 'publish', short: 'p', kind: 'list', valueName: 'list', help: "Publish a container's port(s) to the host" },
  { name: 'publish-all', short: 'P', kind: 'bool', help: 'Publish all exposed ports to random ports' },
  { name: 'pull', kind: 'string', valueName: 'string', help: 'Pull image before creating ("always", "missing", "never") (default "missing")' },
  { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the pull output' },
  { name: 'read-only', kind: 'bool', help: "Mount the container's root filesystem as read only" },
  { name: 'restart', kind: 'string', valueName: 'string', help: 'Restart policy to apply when a container exits (default "no")' },
  { name: 'rm', kind: 'bool', help: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { name: 'security-opt', kind: 'list', valueName: 'list', help: 'Security Options' },
  { name: 'shm-size', kind: 'string', valueName: 'bytes', help: 'Size of /dev/shm' },
  { name: 'stop-signal', kind: 'string', valueName: 'string', help: 'Signal to stop the container' },
  { name: 'stop-timeout', kind: 'string', valueName: 'int', help: 'Timeout (in seconds) to stop a container' },
  { name: 'sysctl', kind: 'list', valueName: 'map', help: 'Sysctl options' },
  { name: 'tmpfs', kind: 'list', valueName: 'list', help: 'Mount a tmpfs directory' },
  { name: 'tty', short: 't', kind: 'bool', help: 'Allocate a pseudo-TTY' },
  { name: 'ulimit', kind: 'list', valueName: 'ulimit', help: 'Ulimit options' },
  { name: 'user', short: 'u', kind: 'string', valueName: 'string', help: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'volume', short: 'v', kind: 'list', valueName: 'list', help: 'Bind mount a volume' },
  { name: 'workdir', short: 'w', kind: 'string', valueName: 'string', help: 'Working directory inside the container' },
];

export const RUN_ONLY_FLAGS: FlagSpec[] = [
  { name: 'detach', short: 'd', kind: 'bool', help: 'Run container in background and print container ID' },
  { name: 'detach-keys', kind: 'string', valueName: 'string', help: 'Override the key sequence for detaching a container' },
  { name: 'sig-proxy', kind: 'bool', help: 'Proxy received signals to the process (default true)' },
];

/** The request `run`/`create` send: body and query. */
export interface CreateRequest {
  body: Record<string, unknown>;
  name: string | undefined;
  platform: string | undefined;
  image: string;
  pull: 'missing' | 'always' | 'never';
  autoRemove: boolean;
  tty: boolean;
  openStdin: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
}

const badValue = (value: string, flag: string, why: string): UsageError => new UsageError(`invalid argument "${value}" for "${flag}" flag: ${why}`);

/** docker/go-units RAMInBytes: `64m`, `1g`, `512k`, `100` (binary multiples). */
export function ramInBytes(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value.trim());
  if (m === null) throw badValue(value, flag, `invalid size: '${value}'`);
  const mult: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.trunc(Number(m[1]) * (m[2] === undefined ? 1 : mult[m[2].toLowerCase()]!));
}

/** Go's time.ParseDuration, in nanoseconds. */
export function goDurationNs(value: string, flag: string): number {
  if (value === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let pos = 0;
  let neg = false;
  let v = value;
  if (v.startsWith('-') || v.startsWith('+')) {
    neg = v.startsWith('-');
    v = v.slice(1);
  }
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== v.length || v === '') throw badValue(value, flag, `time: invalid duration "${value}"`);
  return Math.round(neg ? -total : total);
}

function intFlag(p: ParsedArgs, name: string, flag: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(v.trim())) throw badValue(v, flag, `strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** `KEY=VALUE` or `KEY` (taken from the environment when set there). */
function envEntries(values: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.includes('=')) {
      if (v.startsWith('=')) throw badValue(v, '-e, --env', `invalid environment variable: ${v}`);
      out.push(v);
    } else out.push(env[v] !== undefined ? `${v}=${env[v]}` : v);
  }
  return out;
}

/** docker 28 merges variables by name: a later value replaces an earlier one (its order is a Go map's). */
function dedupeEnv(values: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    byKey.set(eq < 0 ? v : v.slice(0, eq), v);
  }
  return [...byKey.values()];
}

function envFile(path: string, env: NodeJS.ProcessEnv): string[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: string[] = [];
  for (const raw of lines) {
    const line = raw.replace(/^\s+/, '').replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) continue;
    out.push(...envEntries([line], env));
  }
  return out;
}

function labelMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

function normalizeCap(c: string): string {
  const u = c.toUpperCase();
  return u === 'ALL' || u.startsWith('CAP_') ? u : `CAP_${u}`;
}

interface PortParse {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, { HostIp: string; HostPort: string }[]>;
}

/** nat.ParsePortRange: `80` or `8000-9000`; Go's strconv texts on failure. */
function parsePortRange(s: string): [number, number] {
  if (s === '') throw new Error('empty string specified for ports');
  const uint16 = (t: string): number => {
    if (!/^\d+$/.test(t)) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(t)}: invalid syntax`);
    if (Number(t) > 65535) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(t)}: value out of range`);
    return Number(t);
  };
  if (!s.includes('-')) return [uint16(s), uint16(s)];
  const parts = s.split('-');
  const [a, b] = [uint16(parts[0]!), uint16(parts[1]!)];
  if (b < a) throw new Error(`invalid range specified for port: ${s}`);
  return [a, b];
}

/** nat.SplitProtoPort: `80/udp` → ['udp', '80']; no proto is tcp. */
function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  return [parts[1] === '' ? 'tcp' : parts[1]!, parts[0]!];
}

/** docker's convertToStandardNotation: `target=80,published=8080,protocol=udp` → `8080:80/udp`. */
function standardPortNotation(spec: string): string {
  if (!spec.includes('=')) return spec;
  const params: Record<string, string> = { protocol: 'tcp' };
  for (const param of spec.split(',')) {
    const eq = param.indexOf('=');
    if (eq <= 0) throw new Error(`invalid publish opts format (should be name=value but got '${param}')`);
    params[param.slice(0, eq)] = param.slice(eq + 1);
  }
  return `${params['published'] ?? ''}:${params['target'] ?? ''}/${params['protocol']}`;
}

/** Go marshals maps with their keys sorted bytewise. */
function sortedKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => [k, o[k]!]));
}

/** `[ip:][hostPort:]containerPort[/proto]` with ranges (nat.ParsePortSpecs, go-connections 0.5), and --expose. */
export function parsePorts(specs: readonly string[], expose: readonly string[]): PortParse {
  const out: PortParse = { exposed: {}, bindings: {} };
  for (const spec of specs.map(standardPortNotation)) {
    const parts = spec.split(':');
    const n = parts.length;
    let ip = n >= 3 ? parts.slice(0, n - 2).join(':') : '';
    const hostPort = n >= 2 ? parts[n - 2]! : '';
    const [proto, containerPort] = splitProtoPort(parts[n - 1]!);
    if (ip.startsWith('[')) {
      const m = /^\[([^\]]*)\]$/.exec(ip);
      if (m === null) throw new Error(`invalid IP address ${ip}: address ${ip}:: missing ']' in address`);
      ip = m[1]!;
    }
    if (ip !== '' && parseGoIp(ip) === undefined) throw new Error(`invalid IP address: ${ip}`);
    if (containerPort === '') throw new Error(`no port specified: ${spec}<empty>`);
    let c0: number;
    let c1: number;
    try {
      [c0, c1] = parsePortRange(containerPort);
    } catch {
      throw new Error(`invalid containerPort: ${containerPort}`);
    }
    let h0 = 0;
    let h1 = 0;
    if (hostPort !== '') {
      try {
        [h0, h1] = parsePortRange(hostPort);
      } catch {
        throw new Error(`invalid hostPort: ${hostPort}`);
      }
      if (c1 - c0 !== h1 - h0 && c1 !== c0) throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
    if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new Error(`invalid proto: ${proto}`);
    for (let i = 0; i <= c1 - c0; i++) {
      const key = `${c0 + i}/${proto.toLowerCase()}`;
      let host = hostPort === '' ? '' : String(h0 + i);
      if (c0 === c1 && h0 !== h1) host = `${host}-${h1}`;
      out.exposed[key] = {};
      (out.bindings[key] ??= []).push({ HostIp: ip, HostPort: host });
    }
  }
  for (const e of expose) {
    if (e.includes(':')) throw new Error(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let a: number;
    let b: number;
    try {
      [a, b] = parsePortRange(port);
    } catch (err) {
      throw new Error(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`, { cause: err });
    }
    for (let port = a; port <= b; port++) out.exposed[`${port}/${proto}`] = {};
  }
  return { exposed: sortedKeys(out.exposed), bindings: sortedKeys(out.bindings) };
}

function parseMount(spec: string): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  let type = 'volume';
  let readOnly = false;
  const bind: Record<string, unknown> = {};
  const vol: Record<string, unknown> = {};
  const tmpfs: Record<string, unknown> = {};
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : field.slice(eq + 1);
    switch (key) {
      case 'type': type = value; break;
      case 'source': case 'src': m['Source'] = value; break;
      case 'target': case 'dst': case 'destination': m['Target'] = value; break;
      case 'readonly': case 'ro': readOnly = eq < 0 || ['1', 'true'].includes(value.toLowerCase()); break;
      case 'consistency': m['Consistency'] = value; break;
      case 'bind-propagation': bind['Propagation'] = value; break;
      case 'volume-nocopy': vol['NoCopy'] = eq < 0 || value === 'true' || value === '1'; break;
      case 'volume-driver': vol['DriverConfig'] = { Name: value }; break;
      case 'tmpfs-size': tmpfs['SizeBytes'] = ramInBytes(value, '--mount'); break;
      case 'tmpfs-mode': tmpfs['Mode'] = parseInt(value, 8); break;
      default: throw badValue(spec, '--mount', `unexpected key '${key}' in '${field}'`);
    }
  }
  const out: Record<string, unknown> = { Type: type, ...m };
  if (readOnly) out['ReadOnly'] = true;
  if (Object.keys(bind).length > 0) out['BindOptions'] = bind;
  if (Object.keys(vol).length > 0) out['VolumeOptions'] = vol;
  if (Object.keys(tmpfs).length > 0) out['TmpfsOptions'] = tmpfs;
  if (out['Target'] === undefined) throw badValue(spec, '--mount', 'target is required');
  return out;
}

function parseDevice(spec: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const parts = spec.split(':');
  const src = parts[0]!;
  let dst = src;
  let perms = 'rwm';
  if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1]!)) perms = parts[1]!;
    else dst = parts[1]!;
  } else if (parts.length === 3) {
    dst = parts[1]!;
    perms = parts[2]!;
  } else if (parts.length > 3) throw badValue(spec, '--device', `invalid device specification: ${spec}`);
  return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: perms };
}

function parseUlimit(spec: string): { Name: string; Hard: number; Soft: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(spec);
  if (m === null) throw badValue(spec, '--ulimit', `invalid ulimit argument: ${spec}`);
  const soft = Number(m[2]);
  return { Name: m[1]!, Hard: m[3] === undefined ? soft : Number(m[3]), Soft: soft };
}

function parseRestart(value: string): { Name: string; MaximumRetryCount: number } {
  if (value === '') return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count] = value.split(':');
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name!)) {
    throw badValue(value, '--restart', `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  return { Name: name!, MaximumRetryCount: count === undefined ? 0 : Number(count) };
}

/** One `--network` value (opts.NetworkAttachmentOpts): a name, or docker's `name=…,alias=…` syntax. */
interface NetworkAttachment {
  target: string;
  aliases: string[];
  ipv4: string;
  ipv6: string;
  macAddress: string;
  linkLocalIps: string[];
  links: string[];
  driverOpts: Record<string, string> | undefined;
  gwPriority: number;
}

const attachment = (target: string): NetworkAttachment => ({
  target, aliases: [], ipv4: '', ipv6: '', macAddress: '', linkLocalIps: [], links: [], driverOpts: undefined, gwPriority: 0,
});

/** opts.NetworkOpt.Set: the long syntax is lower-cased and read as one CSV record. */
function parseNetworkOpt(value: string, flag: string): NetworkAttachment {
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) return attachment(value);
  const bad = (why: string): UsageError => badValue(value, flag, why);
  const n = attachment('');
  for (const field of csvValues([value])) {
    const lower = field.toLowerCase();
    const eq = lower.indexOf('=');
    if (eq <= 0) throw bad(`invalid field ${field}`);
    const key = lower.slice(0, eq).trim();
    const val = lower.slice(eq + 1).trim();
    switch (key) {
      case 'name': n.target = val; break;
      case 'alias': n.aliases.push(val); break;
      case 'ip': n.ipv4 = val; break;
      case 'ip6': n.ipv6 = val; break;
      case 'mac-address': n.macAddress = val; break;
      case 'link-local-ip': n.linkLocalIps.push(val); break;
      case 'driver-opt': {
        const i = val.indexOf('=');
        if (i <= 0) throw bad('invalid key value pair format in driver options');
        (n.driverOpts ??= {})[val.slice(0, i).trim()] = val.slice(i + 1).trim();
        break;
      }
      case 'gw-priority':
        if (!/^[+-]?\d+$/.test(val)) throw bad(`invalid gw-priority (${val}): invalid syntax`);
        n.gwPriority = Number(val);
        break;
      default: throw bad(`invalid field key ${key}`);
    }
  }
  if (n.target === '') throw bad('network name/id is not specified');
  return n;
}

/** container.NetworkMode(x).IsUserDefined(). */
function isUserDefined(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');
}

/** The legacy flags (--network-alias, --link, --ip, --ip6, --link-local-ip) go to the first network. */
function applyContainerOptions(n: NetworkAttachment, p: ParsedArgs): void {
  const aliases = list(p, 'network-alias');
  const links = list(p, 'link');
  const ipv4 = str(p, 'ip') ?? '';
  const ipv6 = str(p, 'ip6') ?? '';
  const linkLocal = list(p, 'link-local-ip');
  if (n.aliases.length > 0 && aliases.length > 0) throw new Error('conflicting options: cannot specify both --network-alias and per-network alias');
  if (n.links.length > 0 && links.length > 0) throw new Error('conflicting options: cannot specify both --link and per-network links');
  if (n.ipv4 !== '' && ipv4 !== '') throw new Error('conflicting options: cannot specify both --ip and per-network IPv4 address');
  if (n.ipv6 !== '' && ipv6 !== '') throw new Error('conflicting options: cannot specify both --ip6 and per-network IPv6 address');
  if (n.linkLocalIps.length > 0 && linkLocal.length > 0) {
    throw new Error('conflicting options: cannot specify both --link-local-ip and per-network link-local IP addresses');
  }
  if (aliases.length > 0) n.aliases = [...aliases];
  // on a user-defined network --link is an endpoint option (an alias); on the default bridge a legacy link
  if (isUserDefined(n.target) && links.length > 0) n.links = [...links];
  if (ipv4 !== '') n.ipv4 = ipv4;
  if (ipv6 !== '') n.ipv6 = ipv6;
  if (linkLocal.length > 0) n.linkLocalIps = [...linkLocal];
}

/** docker's EndpointSettings as the CLI sends it, or undefined when it is all zero values. */
function endpointSettings(n: NetworkAttachment): Record<string, unknown> | undefined {
  if (n.target.trim() === '') throw new Error('no name set for network');
  if (!isUserDefined(n.target)) {
    if (n.aliases.length > 0) throw new Error('network-scoped aliases are only supported for user-defined networks');
    if (n.links.length > 0) throw new Error('links are only supported for user-defined networks');
  }
  if (n.macAddress !== '' && !/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(n.macAddress.trim())) throw new Error(`${n.macAddress} is not a valid mac address`);
  const hasIpam = n.ipv4 !== '' || n.ipv6 !== '' || n.linkLocalIps.length > 0;
  const isZero = !hasIpam && n.aliases.length === 0 && n.links.length === 0 && n.driverOpts === undefined && n.macAddress === '' && n.gwPriority === 0;
  if (isZero) return undefined;
  return endpoint({
    IPAMConfig: hasIpam ? {
      ...(n.ipv4 === '' ? {} : { IPv4Address: n.ipv4 }),
      ...(n.ipv6 === '' ? {} : { IPv6Address: n.ipv6 }),
      ...(n.linkLocalIps.length === 0 ? {} : { LinkLocalIPs: n.linkLocalIps }),
    } : null,
    Links: n.links.length === 0 ? null : n.links,
    Aliases: n.aliases.length === 0 ? null : n.aliases,
    MacAddress: n.macAddress,
    DriverOpts: n.driverOpts ?? null,
    GwPriority: n.gwPriority,
  });
}

/** The endpoint record with docker's zero values for what is not given. */
function endpoint(fields: { IPAMConfig?: unknown; Links?: unknown; Aliases?: unknown; MacAddress?: string; DriverOpts?: unknown; GwPriority?: number } = {}): Record<string, unknown> {
  return {
    IPAMConfig: fields.IPAMConfig ?? null, Links: fields.Links ?? null, Aliases: fields.Aliases ?? null, MacAddress: fields.MacAddress ?? '',
    DriverOpts: fields.DriverOpts ?? null, GwPriority: fields.GwPriority ?? 0, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '',
    IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

/** docker's parseNetworkOpts: NetworkMode and NetworkingConfig.EndpointsConfig keyed by network name. */
export function networkingConfig(p: ParsedArgs): { mode: string; endpoints: Record<string, Record<string, unknown>> } {
  const nets = [...list(p, 'network').map((v) => parseNetworkOpt(v, '--network')), ...list(p, 'net').map((v) => parseNetworkOpt(v, '--net'))];
  const endpoints: Record<string, Record<string, unknown>> = {};
  if (nets.length === 0) {
    const n = attachment('default');
    applyContainerOptions(n, p);
    endpoints['default'] = endpointSettings(n) ?? endpoint();
    return { mode: 'default', endpoints };
  }
  let userDefined = false;
  let builtin = false;
  for (const [i, n] of nets.entries()) {
    if (isUserDefined(n.target)) userDefined = true;
    else builtin = true;
    if (i === 0) applyContainerOptions(n, p);
    const ep = endpointSettings(n);
    if (endpoints[n.target] !== undefined) throw new Error(`network ${JSON.stringify(n.target)} is specified multiple times`);
    // one network without options: no endpoint record (the daemon makes it)
    if (i === 0 && nets.length === 1 && ep === undefined) continue;
    endpoints[n.target] = ep ?? endpoint();
  }
  if (userDefined && builtin) throw new Error('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return { mode: nets[0]!.target, endpoints };
}

/** opts.ValidateExtraHost: `host:ip` or `host=ip` (brackets around the ip allowed) → `host:ip`. */
function extraHost(value: string): string {
  let i = value.indexOf('=');
  if (i < 0) i = value.indexOf(':');
  const host = i < 0 ? '' : value.slice(0, i);
  let ip = i < 0 ? '' : value.slice(i + 1);
  if (i < 0 || host === '' || host.includes(':')) throw badValue(value, '--add-host', `bad format for add-host: ${JSON.stringify(value)}`);
  if (ip !== 'host-gateway') {
    if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (parseGoIp(ip.trim()) === undefined) throw badValue(value, '--add-host', `invalid IP address in add-host: ${JSON.stringify(ip)}`);
  }
  return `${host}:${ip}`;
}

/** opts.ValidateIPAddress (the canonical form is what docker sends). */
function dnsServer(value: string): string {
  if (parseGoIp(value.trim()) === undefined) throw badValue(value, '--dns', `IP address is not correctly formatted: ${value}`);
  return canonicalIp(value.trim());
}

/** opts.ValidateDNSSearch. */
function dnsSearch(value: string): string {
  const v = value.replace(/^ +| +$/g, '');
  if (v === '.') return v;
  const label = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
  const m = new RegExp(`^(${label}(?:\\.${label})*)\\.?\\s*$`).exec(v);
  if (!/[a-zA-Z]/.test(v) || m === null || m[1]!.length >= 255) throw badValue(value, '--dns-search', `${value} is not a valid domain`);
  return m[1]!;
}

/**
 * Builds the create request from parsed `run`/`create` flags. `args` is IMAGE [COMMAND] [ARG...].
 * `consoleSize` is the terminal's [height, width] when -t is on a terminal.
 */
export function buildCreateRequest(p: ParsedArgs, opts: { detach: boolean; env: NodeJS.ProcessEnv; consoleSize?: [number, number] }): CreateRequest {
  const [image, ...cmd] = p.args;
  if (image === undefined) throw new UsageError('requires at least 1 argument', 'args-min');
  const tty = bool(p, 'tty');
  const interactive = bool(p, 'interactive');
  const autoRemove = bool(p, 'rm');
  const restart = str(p, 'restart') ?? '';
  if (autoRemove && restart !== '' && restart !== 'no') throw new UsageError('conflicting options: cannot specify both --restart and --rm');

  let attachStdin = false;
  let attachStdout = false;
  let attachStderr = false;
  const attach = list(p, 'attach').map((a) => a.toLowerCase());
  if (attach.length > 0) {
    if (opts.detach) throw new UsageError('conflicting options: cannot specify both --attach and --detach');
    for (const a of attach) {
      if (a === 'stdin') attachStdin = true;
      else if (a === 'stdout') attachStdout = true;
      else if (a === 'stderr') attachStderr = true;
      else throw badValue(a, '-a, --attach', 'valid streams are STDIN, STDOUT and STDERR');
    }
  } else if (!opts.detach) {
    attachStdout = true;
    attachStderr = true;
    attachStdin = interactive;
  }

  const env = dedupeEnv([...list(p, 'env-file').flatMap((f) => envFile(f, opts.env)), ...envEntries(list(p, 'env'), opts.env)]);
  const ports = parsePorts(list(p, 'publish'), list(p, 'expose'));
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const v of list(p, 'volume')) {
    const parts = v.split(':');
    if (parts.length === 1 || (parts.length === 2 && !parts[1]!.startsWith('/') && parts[0]!.startsWith('/'))) volumes[parts[0]!] = {};
    else binds.push(v);
  }
  const tmpfs: Record<string, string> = {};
  for (const t of list(p, 'tmpfs')) {
    const c = t.indexOf(':');
    if (c < 0) tmpfs[t] = '';
    else tmpfs[t.slice(0, c)] = t.slice(c + 1);
  }
  const sysctls: Record<string, string> = {};
  for (const s of list(p, 'sysctl')) {
    const eq = s.indexOf('=');
    if (eq < 0) throw badValue(s, '--sysctl', `${s} is not a whitelisted sysctl`);
    sysctls[s.slice(0, eq)] = s.slice(eq + 1);
  }

  const config: Record<string, unknown> = {
    Hostname: str(p, 'hostname') ?? '',
    Domainname: '',
    User: str(p, 'user') ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
  };
  if (Object.keys(ports.exposed).length > 0) config['ExposedPorts'] = ports.exposed;
  config['Tty'] = tty;
  config['OpenStdin'] = interactive;
  config['StdinOnce'] = interactive && attachStdin;
  config['Env'] = env.length === 0 ? null : env;
  config['Cmd'] = cmd.length === 0 ? null : cmd;

  const health: Record<string, unknown> = {};
  const healthCmd = str(p, 'health-cmd');
  if (bool(p, 'no-healthcheck')) {
    if (healthCmd !== undefined || str(p, 'health-interval') !== undefined) throw new UsageError('--no-healthcheck conflicts with --health-* options');
    health['Test'] = ['NONE'];
  } else if (healthCmd !== undefined && healthCmd !== '') health['Test'] = ['CMD-SHELL', healthCmd];
  const dur = (name: string, field: string): void => {
    const v = str(p, name);
    if (v === undefined) return;
    const ns = goDurationNs(v, `--${name}`);
    if (ns < 0) throw new UsageError(`--${name} cannot be negative`);
    if (ns !== 0) health[field] = ns;
  };
  dur('health-interval', 'Interval');
  dur('health-timeout', 'Timeout');
  dur('health-start-period', 'StartPeriod');
  dur('health-start-interval', 'StartInterval');
  const retries = intFlag(p, 'health-retries', '--health-retries');
  if (retries !== undefined && retries !== 0) health['Retries'] = retries;
  if (Object.keys(health).length > 0) config['Healthcheck'] = health;

  config['Image'] = image;
  config['Volumes'] = volumes;
  config['WorkingDir'] = str(p, 'workdir') ?? '';
  const entrypoint = str(p, 'entrypoint');
  config['Entrypoint'] = entrypoint === undefined ? null : entrypoint === '' ? [''] : [entrypoint];
  config['OnBuild'] = null;
  config['Labels'] = labelMap(list(p, 'label'));
  const stopSignal = str(p, 'stop-signal');
  if (stopSignal !== undefined && stopSignal !== '') config['StopSignal'] = stopSignal;
  const stopTimeout = intFlag(p, 'stop-timeout', '--stop-timeout');
  if (stopTimeout !== undefined) config['StopTimeout'] = stopTimeout;

  const links = list(p, 'link').map((l) => validateLink(l));
  const extraHosts = list(p, 'add-host').map(extraHost);
  const dns = list(p, 'dns').map(dnsServer);
  const dnsSearches = list(p, 'dns-search').map(dnsSearch);
  const networking = networkingConfig(p);
  const memory = str(p, 'memory');
  const memorySwap = str(p, 'memory-swap');
  const cpus = str(p, 'cpus');
  let nanoCpus = 0;
  if (cpus !== undefined) {
    const n = Number(cpus);
    if (!Number.isFinite(n) || cpus.trim() === '') throw badValue(cpus, '--cpus', `failed to parse ${cpus} as a rational number`);
    nanoCpus = Math.round(n * 1e9);
  }
  const mounts = list(p, 'mount').map(parseMount);
  const hostConfig: Record<string, unknown> = {
    Binds: binds.length === 0 ? null : binds,
    ContainerIDFile: str(p, 'cidfile') ?? '',
    LogConfig: { Type: '', Config: {} },
    NetworkMode: networking.mode,
    PortBindings: ports.bindings,
    RestartPolicy: parseRestart(restart),
    AutoRemove: autoRemove,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: opts.consoleSize ?? [0, 0],
    CapAdd: list(p, 'cap-add').length === 0 ? null : list(p, 'cap-add').map(normalizeCap),
    CapDrop: list(p, 'cap-drop').length === 0 ? null : list(p, 'cap-drop').map(normalizeCap),
    CgroupnsMode: '',
    Dns: dns,
    DnsOptions: list(p, 'dns-option'),
    DnsSearch: dnsSearches,
    ExtraHosts: extraHosts.length === 0 ? null : extraHosts,
    GroupAdd: list(p, 'group-add').length === 0 ? null : list(p, 'group-add'),
    IpcMode: '',
    Cgroup: '',
    Links: links.length === 0 ? null : links,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: bool(p, 'privileged'),
    PublishAllPorts: bool(p, 'publish-all'),
    ReadonlyRootfs: bool(p, 'read-only'),
    SecurityOpt: list(p, 'security-opt').length === 0 ? null : list(p, 'security-opt'),
  };
  if (Object.keys(tmpfs).length > 0) hostConfig['Tmpfs'] = tmpfs;
  Object.assign(hostConfig, {
    UTSMode: '',
    UsernsMode: '',
    ShmSize: str(p, 'shm-size') === undefined ? 0 : ramInBytes(str(p, 'shm-size')!, '--shm-size'),
  });
  if (Object.keys(sysctls).length > 0) hostConfig['Sysctls'] = sysctls;
  Object.assign(hostConfig, {
    Isolation: '',
    CpuShares: intFlag(p, 'cpu-shares', '-c, --cpu-shares') ?? 0,
    Memory: memory === undefined ? 0 : ramInBytes(memory, '-m, --memory'),
    NanoCpus: nanoCpus,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: list(p, 'device').map(parseDevice),
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: memorySwap === undefined ? 0 : memorySwap === '-1' ? -1 : ramInBytes(memorySwap, '--memory-swap'),
    MemorySwappiness: -1,
    OomKillDisable: false,
    PidsLimit: intFlag(p, 'pids-limit', '--pids-limit') ?? 0,
    Ulimits: list(p, 'ulimit').map(parseUlimit),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
  });
  if (mounts.length > 0) hostConfig['Mounts'] = mounts;
  hostConfig['MaskedPaths'] = null;
  hostConfig['ReadonlyPaths'] = null;
  if (bool(p, 'init')) hostConfig['Init'] = true;

  const body: Record<string, unknown> = {
    ...config,
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: networking.endpoints },
  };
  const pull = str(p, 'pull') ?? 'missing';
  if (pull !== 'missing' && pull !== 'always' && pull !== 'never') {
    throw new UsageError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }
  return {
    body,
    name: str(p, 'name'),
    platform: str(p, 'platform'),
    image,
    pull,
    autoRemove,
    tty,
    openStdin: interactive,
    attachStdin,
    attachStdout,
    attachStderr,
  };
}
