// `run` / `create` flags → the create body the docker CLI sends (cli/command/container/opts.go):
// the Config fields, HostConfig with docker's zero values, NetworkingConfig. Values are parsed with
// docker's units (RAMInBytes, Go durations, nano CPUs) and its normalisations (CAP_ prefixes,
// device permissions, port ranges).

import { readFileSync } from 'node:fs';
import { UsageError, bool, list, str, type FlagSpec, type ParsedArgs } from '../args.js';

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
  { name: 'label', short: 'l', kind: 'list', valueName: 'list', help: 'Set meta data on a container' },
  { name: 'memory', short: 'm', kind: 'string', valueName: 'bytes', help: 'Memory limit' },
  { name: 'memory-swap', kind: 'string', valueName: 'bytes', help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  { name: 'mount', kind: 'list', valueName: 'mount', help: 'Attach a filesystem mount to the container' },
  { name: 'name', kind: 'string', valueName: 'string', help: 'Assign a name to the container' },
  { name: 'network', kind: 'string', valueName: 'network', help: 'Connect a container to a network' },
  { name: 'net', kind: 'string', valueName: 'network', help: 'Connect a container to a network' },
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

function parseRange(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (m === null) throw new UsageError(`invalid ${what}: ${s}`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  return [a, b];
}

/** `[ip:][hostPort:]containerPort[/proto]` with ranges (nat.ParsePortSpecs). */
export function parsePorts(specs: readonly string[], expose: readonly string[]): PortParse {
  const out: PortParse = { exposed: {}, bindings: {} };
  for (const spec of specs) {
    let rest = spec;
    let proto = 'tcp';
    const slash = rest.lastIndexOf('/');
    if (slash >= 0) {
      proto = rest.slice(slash + 1).toLowerCase();
      rest = rest.slice(0, slash);
    }
    let ip = '';
    let hostPart = '';
    let containerPart: string;
    const bracket = /^\[([^\]]+)\]:(.*)$/.exec(rest);
    if (bracket !== null) {
      ip = bracket[1]!;
      const parts = bracket[2]!.split(':');
      containerPart = parts.pop()!;
      hostPart = parts.join(':');
    } else {
      const parts = rest.split(':');
      containerPart = parts.pop()!;
      if (parts.length === 1) hostPart = parts[0]!;
      else if (parts.length >= 2) {
        hostPart = parts.pop()!;
        ip = parts.join(':');
      }
    }
    if (containerPart === '') throw badValue(spec, '-p, --publish', `no port specified: ${spec}<empty>`);
    const [c0, c1] = parseRange(containerPart, 'containerPort');
    let h0 = 0;
    let h1 = 0;
    if (hostPart !== '') [h0, h1] = parseRange(hostPart, 'hostPort');
    if (hostPart !== '' && h1 - h0 !== c1 - c0 && h0 !== h1) {
      throw badValue(spec, '-p, --publish', `invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
    }
    for (let i = 0; i <= c1 - c0; i++) {
      const key = `${c0 + i}/${proto}`;
      out.exposed[key] = {};
      let hostPort = '';
      if (hostPart !== '') hostPort = h0 === h1 && c1 !== c0 ? String(h0) : String(h0 + i);
      (out.bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
    }
  }
  for (const e of expose) {
    const [range, proto = "tcp"] = e.split('/');
    const [a, b] = parseRange(range!, 'range format for --expose');
    for (let port = a; port <= b; port++) out.exposed[`${port}/${proto}`] = {};
  }
  return out;
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

/** The endpoint record docker sends for the default network (all zero values). */
const EMPTY_ENDPOINT = {
  IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '', EndpointID: '',
  Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
};

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

  const network = str(p, 'network') ?? str(p, 'net');
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
    NetworkMode: network === undefined || network === '' ? 'default' : network,
    PortBindings: ports.bindings,
    RestartPolicy: parseRestart(restart),
    AutoRemove: autoRemove,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: opts.consoleSize ?? [0, 0],
    CapAdd: list(p, 'cap-add').length === 0 ? null : list(p, 'cap-add').map(normalizeCap),
    CapDrop: list(p, 'cap-drop').length === 0 ? null : list(p, 'cap-drop').map(normalizeCap),
    CgroupnsMode: '',
    Dns: list(p, 'dns'),
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: list(p, 'add-host').length === 0 ? null : list(p, 'add-host').map((h) => h.replace(/=/, ':')),
    GroupAdd: list(p, 'group-add').length === 0 ? null : list(p, 'group-add'),
    IpcMode: '',
    Cgroup: '',
    Links: null,
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
    NetworkingConfig: { EndpointsConfig: network === undefined || network === '' ? { default: EMPTY_ENDPOINT } : {} },
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
