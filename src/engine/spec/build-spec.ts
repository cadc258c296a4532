// docker create options + image config → the OCI runtime spec, as dockerd's createSpec builds it
// (moby daemon/oci_linux.go: WithCommonOptions, WithCgroups, WithResources, WithSysctls, WithDevices,
// WithRlimits, WithNamespaces, WithCapabilities, WithSeccomp, WithMounts, WithOOMScore, WithUser).

import { existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { hostname as osHostname, release } from 'node:os';
import { join } from 'node:path';
import { invalidArgument } from '../../base/index.js';
import { CAPABILITY_NAMES, OCI_VERSION } from '../../oci/index.js';
import type {
  ImageRuntimeConfig, LinuxDevice, LinuxDeviceCgroup, LinuxNamespace, LinuxResources, LinuxSeccomp, POSIXRlimit,
  Spec as RuntimeSpec,
} from '../../oci/index.js';
import { defaultSeccompProfile, loadSeccompProfile } from './default-seccomp.js';
import { entrypointAndArgs, mergeImageConfig } from './merge.js';
import { buildMounts } from './mounts.js';
import type { ContainerConfig, HostConfig } from './types.js';
import { resolveContainerUser } from './user.js';
import { validateHostConfig } from './validate.js';

export interface SpecInput {
  id: string;
  name: string;
  image: { id: string; config: ImageRuntimeConfig };
  /** The create body's Config; merged with image.config here (mergeImageConfig, idempotent). */
  config: ContainerConfig;
  hostConfig: HostConfig;
  rootfsPath: string;
  hostsPath: string;
  hostnamePath: string;
  resolvConfPath: string;
  shmPath?: string;
  initPath?: string;
  cgroupsPath: string;
  netnsPath?: string;
  /** For IpcMode / PidMode `container:<id>`: the other container's namespace paths (/proc/<pid>/ns/…). */
  ipcNsPath?: string;
  pidNsPath?: string;
  kernel?: { major: number; minor: number };
  /** destination → host path of volumes (named or anonymous) the engine resolved. */
  volumes?: Record<string, string>;
  /** --volumes-from: the mounts taken from other containers. */
  inherited?: readonly { source: string; destination: string; writable: boolean; propagation: string }[];
  /** volume name → host path, for `-v name:/dst` in Binds. */
  volumeNames?: Record<string, string>;
  /** The host's facts; defaults are read from /proc and /sys. */
  host?: { capLastCap?: number; cgroupV2?: boolean; sysctlExists?: (name: string) => boolean; cpus?: number };
}

export interface BuiltSpec {
  spec: RuntimeSpec;
  warnings: string[];
  user: { uid: number; gid: number; additionalGids: number[] };
}

/** Docker's 14 default capabilities (moby oci/caps DefaultCapabilities), in docker's order. */
export const DOCKER_DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const DOCKER_MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];

export const DOCKER_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Docker's default device cgroup rules (moby oci/defaults.go). */
export function dockerDefaultDeviceRules(): LinuxDeviceCgroup[] {
  const allow = (major: number, minor: number): LinuxDeviceCgroup => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    allow(1, 5), allow(1, 3), allow(1, 9), allow(1, 8), allow(5, 0), allow(5, 1),
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ];
}

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

function hostCapLastCap(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    return CAPABILITY_NAMES.length - 1;
  }
}

/** Every capability the host knows, lowest first (moby caps.GetAllCapabilities). */
export function allCapabilities(lastCap: number = hostCapLastCap()): string[] {
  return CAPABILITY_NAMES.slice(0, Math.min(lastCap, CAPABILITY_NAMES.length - 1) + 1);
}

/** moby caps.NormalizeLegacyCapabilities. */
function normalizeCaps(caps: readonly string[], all: readonly string[], field: string): string[] {
  return caps.map((c0) => {
    let c = c0.toUpperCase();
    if (c === 'ALL') return c;
    if (!c.startsWith('CAP_')) c = 'CAP_' + c;
    if (!all.includes(c)) throw invalidArgument(`unknown capability: "${c}"`, { field });
    return c;
  });
}

/** moby caps.TweakCapabilities: defaults, −CapDrop, +CapAdd, ALL; privileged = every capability. */
export function tweakCapabilities(adds: readonly string[], drops: readonly string[], privileged: boolean, lastCap?: number): string[] {
  const all = allCapabilities(lastCap);
  if (privileged) return all;
  if (adds.length === 0 && drops.length === 0) return [...DOCKER_DEFAULT_CAPABILITIES];
  const capDrop = normalizeCaps(drops, all, 'HostConfig.CapDrop');
  const capAdd = normalizeCaps(adds, all, 'HostConfig.CapAdd');
  if (capAdd.includes('ALL')) return all.filter((c) => !capDrop.includes(c));
  if (capDrop.includes('ALL')) return capAdd;
  return [...DOCKER_DEFAULT_CAPABILITIES.filter((c) => !capDrop.includes(c)), ...capAdd];
}

/** moby ReplaceOrAppendEnvValues. */
export function replaceOrAppendEnv(defaults: string[], overrides: readonly string[]): string[] {
  const out = [...defaults];
  const cache = new Map<string, number>();
  out.forEach((e, i) => cache.set(e.slice(0, e.indexOf('=')), i));
  for (const v of overrides) {
    const idx = v.indexOf('=');
    if (idx < 0) {
      const i = cache.get(v);
      if (i !== undefined) out[i] = '';
      continue;
    }
    const i = cache.get(v.slice(0, idx));
    if (i !== undefined) out[i] = v;
    else out.push(v);
  }
  return out.filter((e) => e !== '');
}

function kernelVersion(): { major: number; minor: number } {
  const m = /^(\d+)\.(\d+)/.exec(release());
  return m === null ? { major: 0, minor: 0 } : { major: Number(m[1]), minor: Number(m[2]) };
}

/** docker's adaptContainerSettings: defaults the daemon fills into HostConfig at create. Returns a copy. */
export function adaptHostConfig(hc: HostConfig, host: { cgroupV2: boolean }): HostConfig {
  const out: HostConfig = structuredClone(hc);
  const shares = out.CpuShares ?? 0;
  if (shares > 0 && shares < 2) out.CpuShares = 2;
  else if (shares > 262144) out.CpuShares = 262144;
  if ((out.Memory ?? 0) > 0 && (out.MemorySwap ?? 0) === 0) out.MemorySwap = out.Memory! * 2;
  if ((out.ShmSize ?? 0) === 0) out.ShmSize = DEFAULT_SHM_SIZE;
  if ((out.IpcMode ?? '') === '') out.IpcMode = 'private';
  if ((out.CgroupnsMode ?? '') === '') out.CgroupnsMode = host.cgroupV2 ? 'private' : 'host';
  if (out.OomKillDisable === undefined || out.OomKillDisable === null) out.OomKillDisable = false;
  if ((out.NetworkMode ?? '') === '' || out.NetworkMode === 'default') out.NetworkMode = out.NetworkMode ?? 'default';
  return out;
}

interface SecurityOpts {
  seccomp?: string;
  noNewPrivileges: boolean;
  unconfinedPaths: boolean;
}

function parseSecurityOpts(opts: readonly string[]): SecurityOpts {
  const out: SecurityOpts = { noNewPrivileges: false, unconfinedPaths: false };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    const eq = opt.indexOf('=');
    const colon = opt.indexOf(':');
    const sep = eq >= 0 ? eq : colon;
    if (sep < 0) throw invalidArgument(`invalid --security-opt 1: "${opt}"`, { field: 'HostConfig.SecurityOpt' });
    const key = opt.slice(0, sep);
    const value = opt.slice(sep + 1);
    switch (key) {
      case 'seccomp':
        out.seccomp = value;
        break;
      case 'no-new-privileges':
        if (value !== 'true' && value !== 'false') throw invalidArgument(`invalid --security-opt 2: "${opt}"`, { field: 'HostConfig.SecurityOpt' });
        out.noNewPrivileges = value === 'true';
        break;
      case 'systempaths':
        if (value !== 'unconfined') throw invalidArgument(`invalid --security-opt 2: "${opt}"`, { field: 'HostConfig.SecurityOpt' });
        out.unconfinedPaths = true;
        break;
      case 'label':
      case 'apparmor':
        break; // no SELinux/AppArmor on Skiff hosts
      default:
        throw invalidArgument(`invalid --security-opt 2: "${opt}"`, { field: 'HostConfig.SecurityOpt' });
    }
  }
  return out;
}

function splitDevNumber(rdev: number): { major: number; minor: number } {
  const big = BigInt(rdev);
  const major = Number(((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn));
  const minor = Number((big & 0xffn) | ((big >> 12n) & ~0xffn));
  return { major, minor };
}

function deviceFromPath(path: string): LinuxDevice | undefined {
  const st = lstatSync(path);
  const { major, minor } = splitDevNumber(st.rdev);
  if (major === 0) return undefined;
  const type = st.isBlockDevice() ? 'b' : st.isCharacterDevice() ? 'c' : undefined;
  if (type === undefined) return undefined;
  return { path, type, major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/** containerd's HostDevices: every device under /dev (privileged). */
export function hostDevices(dir = '/dev', containerPath?: string): LinuxDevice[] {
  const out: LinuxDevice[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return out;
  }
  for (const e of entries) {
    const full = join(dir, e.name);
    const cp = containerPath === undefined ? undefined : join(containerPath, e.name);
    if (e.isDirectory()) {
      if (['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev'].includes(e.name)) continue;
      out.push(...hostDevices(full, cp));
      continue;
    }
    if (e.name === 'console') continue;
    let d: LinuxDevice | undefined;
    try {
      d = deviceFromPath(full);
    } catch {
      continue;
    }
    if (d === undefined) continue;
    if (cp !== undefined) d.path = cp;
    out.push(d);
  }
  return out;
}

/** moby oci.DevicesFromPath for `--device host[:container[:perms]]`. */
function devicesFromPath(onHost: string, inContainer: string, perms: string): { devs: LinuxDevice[]; rules: LinuxDeviceCgroup[] } {
  const toRule = (d: LinuxDevice): LinuxDeviceCgroup => ({ allow: true, type: d.type as 'c' | 'b', major: d.major!, minor: d.minor!, access: perms });
  let st;
  try {
    st = statSync(onHost);
  } catch (err) {
    throw invalidArgument(`error gathering device information while adding custom device "${onHost}": no such file or directory`, { field: 'HostConfig.Devices', cause: err });
  }
  if (st.isDirectory()) {
    const devs = hostDevices(onHost, inContainer);
    return { devs, rules: devs.map(toRule) };
  }
  const d = deviceFromPath(onHost) ?? (() => {
    // a symlink to a device: docker resolves it
    const { major, minor } = splitDevNumber(st.rdev);
    const type = st.isBlockDevice() ? 'b' : st.isCharacterDevice() ? 'c' : undefined;
    if (type === undefined || major === 0) return undefined;
    return { path: onHost, type, major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid } as LinuxDevice;
  })();
  if (d === undefined) throw invalidArgument(`error gathering device information while adding custom device "${onHost}": not a device node`, { field: 'HostConfig.Devices' });
  d.path = inContainer;
  return { devs: [d], rules: [toRule(d)] };
}

/** moby oci.AppendDevicePermissionsFromCgroupRules: `c 1:3 rwm`, `b *:* m`. */
function cgroupRule(rule: string): LinuxDeviceCgroup {
  const m = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(rule);
  if (m === null) throw invalidArgument(`invalid device cgroup rule format: '${rule}'`, { field: 'HostConfig.DeviceCgroupRules' });
  const r: LinuxDeviceCgroup = { allow: true, type: m[1] as 'a' | 'b' | 'c' };
  r.major = m[2] === '*' ? -1 : Number(m[2]);
  r.minor = m[3] === '*' ? -1 : Number(m[3]);
  r.access = m[4]!;
  return r;
}

function blkioDevice(path: string): { major: number; minor: number } {
  try {
    return splitDevNumber(statSync(path).rdev);
  } catch (err) {
    throw invalidArgument(`stat ${path}: no such file or directory`, { field: 'HostConfig.BlkioWeightDevice', cause: err });
  }
}

/** HostConfig resources → OCI linux.resources (also used alone by `docker update`). */
export function buildResources(hc: HostConfig, deviceRules: LinuxDeviceCgroup[]): LinuxResources {
  const memory: NonNullable<LinuxResources['memory']> = {};
  if ((hc.Memory ?? 0) > 0) memory.limit = hc.Memory!;
  if ((hc.MemoryReservation ?? 0) > 0) memory.reservation = hc.MemoryReservation!;
  if ((hc.MemorySwap ?? 0) > 0) memory.swap = hc.MemorySwap!;
  if (hc.MemorySwappiness !== undefined && hc.MemorySwappiness !== null && hc.MemorySwappiness >= 0) memory.swappiness = hc.MemorySwappiness;
  if (hc.OomKillDisable !== undefined && hc.OomKillDisable !== null) memory.disableOOMKiller = hc.OomKillDisable;
  if ((hc.KernelMemory ?? 0) !== 0) memory.kernel = hc.KernelMemory!;
  if ((hc.KernelMemoryTCP ?? 0) !== 0) memory.kernelTCP = hc.KernelMemoryTCP!;
  const cpu: NonNullable<LinuxResources['cpu']> = { shares: hc.CpuShares ?? 0 };
  if ((hc.NanoCpus ?? 0) > 0) {
    const period = 100000;
    cpu.quota = Math.trunc((hc.NanoCpus! * period) / 1e9);
    cpu.period = period;
  }
  if ((hc.CpuPeriod ?? 0) !== 0) cpu.period = hc.CpuPeriod!;
  if ((hc.CpuQuota ?? 0) !== 0) cpu.quota = hc.CpuQuota!;
  if ((hc.CpuRealtimeRuntime ?? 0) !== 0) cpu.realtimeRuntime = hc.CpuRealtimeRuntime!;
  if ((hc.CpuRealtimePeriod ?? 0) !== 0) cpu.realtimePeriod = hc.CpuRealtimePeriod!;
  if ((hc.CpusetCpus ?? '') !== '') cpu.cpus = hc.CpusetCpus!;
  if ((hc.CpusetMems ?? '') !== '') cpu.mems = hc.CpusetMems!;
  const blockIO: NonNullable<LinuxResources['blockIO']> = { weight: hc.BlkioWeight ?? 0 };
  const weights = (hc.BlkioWeightDevice ?? []).map((w) => ({ ...blkioDevice(w.Path), weight: w.Weight }));
  if (weights.length > 0) blockIO.weightDevice = weights;
  const throttle = (list: HostConfig['BlkioDeviceReadBps']): { major: number; minor: number; rate: number }[] =>
    (list ?? []).map((t) => ({ ...blkioDevice(t.Path), rate: t.Rate }));
  const rb = throttle(hc.BlkioDeviceReadBps);
  const wb = throttle(hc.BlkioDeviceWriteBps);
  const ri = throttle(hc.BlkioDeviceReadIOps);
  const wi = throttle(hc.BlkioDeviceWriteIOps);
  if (rb.length > 0) blockIO.throttleReadBpsDevice = rb;
  if (wb.length > 0) blockIO.throttleWriteBpsDevice = wb;
  if (ri.length > 0) blockIO.throttleReadIOPSDevice = ri;
  if (wi.length > 0) blockIO.throttleWriteIOPSDevice = wi;
  const res: LinuxResources = {};
  if (deviceRules.length > 0) res.devices = deviceRules;
  res.memory = memory;
  res.cpu = cpu;
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null) res.pids = { limit: hc.PidsLimit <= 0 ? -1 : hc.PidsLimit };
  res.blockIO = blockIO;
  return res;
}

function defaultSysctlExists(name: string): boolean {
  return existsSync(join('/proc/sys', name.replaceAll('.', '/')));
}

function setNamespace(list: LinuxNamespace[], ns: LinuxNamespace): void {
  const i = list.findIndex((n) => n.type === ns.type);
  if (i >= 0) list[i] = ns;
  else list.push(ns);
}

function namespaceFromMode(mode: string, type: LinuxNamespace['type'], field: string, path: string | undefined): LinuxNamespace | 'host' {
  if (mode === 'host') return 'host';
  if (mode.startsWith('container:')) {
    if (path === undefined) throw invalidArgument(`${field}: ${mode} needs the other container's namespace path from the engine`, { field });
    return { type, path };
  }
  return { type };
}

/** dockerd's createSpec for one container. */
export async function buildContainerSpec(input: SpecInput): Promise<BuiltSpec> {
  // idempotent when the engine already merged
  const config = mergeImageConfig(input.config, input.image.config);
  const cgroupV2 = input.host?.cgroupV2 ?? existsSync('/sys/fs/cgroup/cgroup.controllers');
  const warnings = validateHostConfig(input.hostConfig, config, input.host?.cpus === undefined ? {} : { cpus: input.host.cpus });
  const hc = adaptHostConfig(input.hostConfig, { cgroupV2 });
  const sec = parseSecurityOpts(hc.SecurityOpt ?? []);
  const privileged = hc.Privileged === true;
  const networkMode = hc.NetworkMode ?? 'default';
  const netHost = networkMode === 'host';
  const netJoined = networkMode.startsWith('container:');
  const pidHost = (hc.PidMode ?? '') === 'host';
  const pidPrivate = !pidHost && !(hc.PidMode ?? '').startsWith('container:');

  // process.args (WithCommonOptions)
  let args = entrypointAndArgs(config);
  if (args.length === 0) throw invalidArgument('No command specified', { field: 'Config.Cmd' });
  let initPath: string | undefined;
  if (pidPrivate && hc.Init === true) {
    if (input.initPath === undefined) throw invalidArgument('--init needs the init binary, the engine gave none', { field: 'HostConfig.Init' });
    initPath = input.initPath;
    args = ['/sbin/docker-init', '--', ...args];
  }
  const hostname = netHost && (config.Hostname ?? '') === '' ? osHostname() : config.Hostname ?? input.id.slice(0, 12);
  const tty = config.Tty === true;
  const envDefaults = [DEFAULT_PATH_ENV, `HOSTNAME=${hostname}`];
  if (tty) envDefaults.push('TERM=xterm');
  const env = replaceOrAppendEnv(envDefaults, config.Env ?? []);

  // user (WithUser) and capabilities (WithCapabilities; non-root gets the bounding set only)
  const resolved = resolveContainerUser(input.rootfsPath, config.User ?? '', hc.GroupAdd ?? []);
  const caps = tweakCapabilities(hc.CapAdd ?? [], hc.CapDrop ?? [], privileged, input.host?.capLastCap);
  const capabilities = resolved.uid === 0 ? { bounding: [...caps], effective: [...caps], permitted: [...caps] } : { bounding: [...caps] };

  // key order as dockerd writes config.json: terminal and consoleSize first
  const proc: NonNullable<RuntimeSpec['process']> = tty ? { terminal: true } as NonNullable<RuntimeSpec['process']> : ({} as NonNullable<RuntimeSpec['process']>);
  const cs = hc.ConsoleSize ?? [0, 0];
  if (tty && ((cs[0] ?? 0) > 0 || (cs[1] ?? 0) > 0)) proc.consoleSize = { height: cs[0] ?? 0, width: cs[1] ?? 0 };
  proc.user = { uid: resolved.uid, gid: resolved.gid, additionalGids: resolved.additionalGids };
  proc.args = args;
  proc.env = env;
  proc.cwd = (config.WorkingDir ?? '') === '' ? '/' : config.WorkingDir!;
  proc.capabilities = capabilities;
  const ulimits = hc.Ulimits ?? [];
  if (ulimits.length > 0) {
    proc.rlimits = ulimits.map((u): POSIXRlimit => ({ type: `RLIMIT_${u.Name.toUpperCase()}`, hard: u.Hard, soft: u.Soft }));
  }
  if (sec.noNewPrivileges) proc.noNewPrivileges = true;
  proc.oomScoreAdj = hc.OomScoreAdj ?? 0;

  // namespaces (WithNamespaces) over docker's default list
  const namespaces: LinuxNamespace[] = [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }];
  if (config.NetworkDisabled !== true) {
    if (netHost) namespaces.splice(namespaces.findIndex((n) => n.type === 'network'), 1);
    else setNamespace(namespaces, input.netnsPath === undefined ? { type: 'network' } : { type: 'network', path: input.netnsPath });
  }
  const ipc = hc.IpcMode ?? 'private';
  const ipcNs = namespaceFromMode(ipc, 'ipc', 'HostConfig.IpcMode', input.ipcNsPath);
  if (ipcNs === 'host') namespaces.splice(namespaces.findIndex((n) => n.type === 'ipc'), 1);
  else setNamespace(namespaces, ipcNs);
  const pidNs = namespaceFromMode(hc.PidMode ?? '', 'pid', 'HostConfig.PidMode', input.pidNsPath);
  if (pidNs === 'host') namespaces.splice(namespaces.findIndex((n) => n.type === 'pid'), 1);
  else setNamespace(namespaces, pidNs);
  const utsHost = (hc.UTSMode ?? '') === 'host';
  if (utsHost) namespaces.splice(namespaces.findIndex((n) => n.type === 'uts'), 1);
  if (hc.CgroupnsMode === 'private') setNamespace(namespaces, { type: 'cgroup' });

  // sysctls (WithCommonOptions, WithSysctls)
  const sysctl: Record<string, string> = {};
  if ((config.Domainname ?? '') !== '') sysctl['kernel.domainname'] = config.Domainname!;
  if (!netHost && !netJoined) {
    const exists = input.host?.sysctlExists ?? defaultSysctlExists;
    if (exists('net.ipv4.ping_group_range')) sysctl['net.ipv4.ping_group_range'] = '0 2147483647';
    if (exists('net.ipv4.ip_unprivileged_port_start')) sysctl['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  for (const [k, v] of Object.entries(hc.Sysctls ?? {})) sysctl[k] = v;

  // devices (WithDevices)
  let devices: LinuxDevice[] = [];
  let deviceRules = dockerDefaultDeviceRules();
  if (privileged) {
    devices = hostDevices();
    for (const d of hc.Devices ?? []) {
      const inC = d.PathInContainer ?? d.PathOnHost;
      if (d.PathOnHost === inC) continue;
      devices.push(...devicesFromPath(d.PathOnHost, inC, 'rwm').devs);
    }
    deviceRules = [{ allow: true, access: 'rwm' }];
  } else {
    for (const d of hc.Devices ?? []) {
      const r = devicesFromPath(d.PathOnHost, (d.PathInContainer ?? '') === '' ? d.PathOnHost : d.PathInContainer!, (d.CgroupPermissions ?? '') === '' ? 'rwm' : d.CgroupPermissions!);
      devices.push(...r.devs);
      deviceRules.push(...r.rules);
    }
    for (const rule of hc.DeviceCgroupRules ?? []) deviceRules.push(cgroupRule(rule));
  }

  // seccomp (WithSeccomp)
  const kernel = input.kernel ?? kernelVersion();
  let seccomp: LinuxSeccomp | undefined;
  if (sec.seccomp === 'unconfined') seccomp = undefined;
  else if (sec.seccomp !== undefined && sec.seccomp !== '' && sec.seccomp !== 'builtin') {
    seccomp = loadSeccompProfile(sec.seccomp, { bounding: caps, kernel });
  } else if (!privileged) seccomp = defaultSeccompProfile({ bounding: caps, kernel });

  const mounts = buildMounts({
    hc,
    readonlyRootfs: hc.ReadonlyRootfs === true,
    hostsPath: input.hostsPath,
    hostnamePath: input.hostnamePath,
    resolvConfPath: input.resolvConfPath,
    ...(input.shmPath === undefined ? {} : { shmPath: input.shmPath }),
    ...(initPath === undefined ? {} : { initPath }),
    ...(input.volumes === undefined ? {} : { volumes: input.volumes }),
    ...(input.volumeNames === undefined ? {} : { volumeNames: input.volumeNames }),
    ...(input.inherited === undefined ? {} : { inherited: input.inherited }),
    shmSize: hc.ShmSize ?? DEFAULT_SHM_SIZE,
    ipcMode: ipc,
    privileged,
  });

  const linux: NonNullable<RuntimeSpec['linux']> = {};
  if (Object.keys(sysctl).length > 0) linux.sysctl = sysctl;
  linux.resources = buildResources(hc, deviceRules);
  linux.cgroupsPath = input.cgroupsPath;
  linux.namespaces = namespaces;
  if (devices.length > 0) linux.devices = devices;
  if (seccomp !== undefined) linux.seccomp = seccomp;
  if (!privileged && !sec.unconfinedPaths) {
    linux.maskedPaths = hc.MaskedPaths !== undefined && hc.MaskedPaths !== null ? [...hc.MaskedPaths] : [...DOCKER_MASKED_PATHS];
    linux.readonlyPaths = hc.ReadonlyPaths !== undefined && hc.ReadonlyPaths !== null ? [...hc.ReadonlyPaths] : [...DOCKER_READONLY_PATHS];
  }

  const spec: RuntimeSpec = {
    ociVersion: OCI_VERSION,
    process: proc,
    root: hc.ReadonlyRootfs === true ? { path: input.rootfsPath, readonly: true } : { path: input.rootfsPath },
  };
  if (!utsHost) spec.hostname = hostname;
  if ((config.Domainname ?? '') !== '') spec.domainname = config.Domainname!;
  spec.mounts = mounts;
  if (Object.keys(hc.Annotations ?? {}).length > 0) spec.annotations = { ...hc.Annotations };
  spec.linux = linux;
  return { spec, warnings, user: { uid: resolved.uid, gid: resolved.gid, additionalGids: [...resolved.additionalGids] } };
}
