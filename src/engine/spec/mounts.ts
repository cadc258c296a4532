// The container's mounts as dockerd's WithMounts builds them: docker's default mounts, minus those a
// user mount replaces, then the user mounts (Binds, Mounts, Tmpfs, volumes, /dev/shm, the network
// files) sorted by depth, tmpfs options merged as moby/sys/mount's MergeTmpfsOptions. Pure.

import { invalidArgument } from '../../base/index.js';
import type { Mount as OciMount } from '../../oci/index.js';
import type { HostConfig, Mount } from './types.js';

/** Docker's default mounts (moby oci/defaults.go, as written to config.json: "rw" dropped by containerd's spec). */
export function dockerDefaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
  ];
}

/** A mount the container asked for, before it becomes an OCI mount (moby container.Mount). */
export interface UserMount {
  source: string;
  destination: string;
  writable: boolean;
  propagation: string;
  nonRecursive?: boolean;
  /** tmpfs: the data string; source is "tmpfs". */
  tmpfsData?: string;
  tmpfs?: boolean;
}

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const DEFAULT_PROPAGATION = 'rprivate';

/** moby volume/mounts linuxParser: the mode part of `src:dst:mode`. */
function parseBindMode(mode: string, spec: string): { rw: boolean; propagation: string; nocopy: boolean } {
  let rw = true;
  let propagation = '';
  let nocopy = false;
  let rwSeen = 0;
  let labelSeen = 0;
  let propSeen = 0;
  let copySeen = 0;
  for (const o of mode.split(',')) {
    if (o === 'rw' || o === 'ro') {
      rw = o === 'rw';
      rwSeen++;
    } else if (o === 'z' || o === 'Z') labelSeen++;
    else if (PROPAGATIONS.includes(o)) {
      propagation = o;
      propSeen++;
    } else if (o === 'nocopy' || o === 'copy') {
      nocopy = o === 'nocopy';
      copySeen++;
    } else if (o === 'consistent' || o === 'cached' || o === 'delegated') {
      // macOS consistency hints: ignored on Linux
    } else throw invalidArgument(`invalid mode: ${mode}`, { field: 'HostConfig.Binds' });
  }
  if (rwSeen > 1 || labelSeen > 1 || propSeen > 1 || copySeen > 1) throw invalidArgument(`invalid mode: ${mode}`, { field: 'HostConfig.Binds' });
  void spec;
  return { rw, propagation, nocopy };
}

export interface ParsedBind {
  /** Absolute host path for a bind; the volume name (maybe '') for a volume. */
  source: string;
  destination: string;
  type: 'bind' | 'volume';
  rw: boolean;
  propagation: string;
}

/** One `-v` entry (moby linuxParser.ParseMountRaw). */
export function parseBind(raw: string): ParsedBind {
  const parts = raw.split(':');
  const bad = (): never => {
    throw invalidArgument(`invalid volume specification: '${raw}'`, { field: 'HostConfig.Binds' });
  };
  let src = '';
  let dst: string;
  let mode = '';
  if (parts.length === 1) dst = parts[0]!;
  else if (parts.length === 2) [src, dst] = parts as [string, string];
  else if (parts.length === 3) [src, dst, mode] = parts as [string, string, string];
  else return bad();
  if (dst === '' || (parts.length > 1 && src === '')) return bad();
  if (!dst.startsWith('/')) {
    throw invalidArgument(`invalid volume specification: '${raw}': invalid mount config for type "${src.startsWith('/') ? 'bind' : 'volume'}": invalid mount path: '${dst}' mount path must be absolute`, { field: 'HostConfig.Binds' });
  }
  const m = mode === '' ? { rw: true, propagation: '', nocopy: false } : parseBindMode(mode, raw);
  if (src.startsWith('/')) {
    return { source: cleanPath(src), destination: cleanPath(dst), type: 'bind', rw: m.rw, propagation: m.propagation === '' ? DEFAULT_PROPAGATION : m.propagation };
  }
  return { source: src, destination: cleanPath(dst), type: 'volume', rw: m.rw, propagation: m.propagation };
}

/** Go's path.Clean for absolute paths. */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** moby ConvertTmpfsOptions: a Mounts entry's TmpfsOptions as a data string. */
export function tmpfsOptionsData(m: Mount): string {
  const opts: string[] = [];
  if (m.ReadOnly === true) opts.push('ro');
  const t = m.TmpfsOptions ?? {};
  if ((t.Mode ?? 0) !== 0) opts.push(`mode=${t.Mode!.toString(8)}`);
  const size = t.SizeBytes ?? 0;
  if (size !== 0) {
    // the largest unit that divides the size exactly, as moby does
    let suffix = '';
    let n = size;
    for (const s of ['k', 'm', 'g']) {
      if (n % 1024 !== 0) break;
      n /= 1024;
      suffix = s;
    }
    opts.push(`size=${n}${suffix}`);
  }
  return opts.join(',');
}

// moby/sys/mount flag table: option → collision key (the flag); all propagation options share one key.
const FLAG_KEYS: Readonly<Record<string, string>> = {
  ro: 'rdonly', rw: 'rdonly', suid: 'nosuid', nosuid: 'nosuid', dev: 'nodev', nodev: 'nodev', exec: 'noexec',
  noexec: 'noexec', sync: 'sync', async: 'sync', dirsync: 'dirsync', remount: 'remount', mand: 'mand', nomand: 'mand',
  atime: 'noatime', noatime: 'noatime', diratime: 'nodiratime', nodiratime: 'nodiratime', bind: 'bind', rbind: 'rbind',
  relatime: 'relatime', norelatime: 'relatime', strictatime: 'strictatime', nostrictatime: 'strictatime',
  unbindable: 'propagation', runbindable: 'propagation', private: 'propagation', rprivate: 'propagation',
  shared: 'propagation', rshared: 'propagation', slave: 'propagation', rslave: 'propagation',
};
const TMPFS_DATA_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/** moby/sys/mount MergeTmpfsOptions: later options win; one per flag, one propagation, one per data key. */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const flags = new Set<string>();
  const data = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const o = options[i]!;
    if (o === 'defaults') continue;
    const key = FLAG_KEYS[o];
    if (key !== undefined) {
      if (!flags.has(key)) {
        out.unshift(o);
        flags.add(key);
      }
      continue;
    }
    const eq = o.indexOf('=');
    const k = eq < 0 ? undefined : o.slice(0, eq);
    if (k === undefined || !TMPFS_DATA_KEYS.has(k)) {
      throw invalidArgument(`Invalid tmpfs option ${JSON.stringify(eq < 0 ? [o] : [o.slice(0, eq), o.slice(eq + 1)])}`, { field: 'HostConfig.Tmpfs' });
    }
    if (!data.has(k)) {
      out.unshift(o);
      data.add(k);
    }
  }
  return out;
}

function depth(dest: string): number {
  return cleanPath(dest).split('/').length;
}

export interface MountInputs {
  hc: HostConfig;
  readonlyRootfs: boolean;
  hostsPath: string;
  hostnamePath: string;
  resolvConfPath: string;
  shmPath?: string;
  initPath?: string;
  /** destination → host path of named/anonymous volumes the engine resolved. */
  volumes?: Record<string, string>;
  /** volume name → host path (for `-v name:/dst`). */
  volumeNames?: Record<string, string>;
  /** --volumes-from: another container's mounts (its binds, its volumes' paths), under this one's own. */
  inherited?: readonly { source: string; destination: string; writable: boolean; propagation: string }[];
  shmSize: number;
  ipcMode: string;
  privileged: boolean;
}

/** The user mounts in dockerd's order before the depth sort: volumes/binds, network files, IPC, tmpfs. */
export function collectUserMounts(inp: MountInputs): UserMount[] {
  const { hc } = inp;
  const tmpfs: UserMount[] = [];
  for (const [dest, data] of Object.entries(hc.Tmpfs ?? {})) {
    tmpfs.push({ source: 'tmpfs', destination: cleanPath(dest), writable: true, propagation: '', tmpfs: true, tmpfsData: data });
  }
  for (const m of hc.Mounts ?? []) {
    if (m.Type === 'tmpfs') tmpfs.push({ source: 'tmpfs', destination: cleanPath(m.Target!), writable: true, propagation: '', tmpfs: true, tmpfsData: tmpfsOptionsData(m) });
  }
  const tmpfsDests = new Set(tmpfs.map((t) => t.destination));
  const points = new Map<string, UserMount>();
  const add = (um: UserMount): void => {
    if (points.has(um.destination)) {
      throw invalidArgument(`Duplicate mount point: ${um.destination}`, { field: 'HostConfig.Binds' });
    }
    points.set(um.destination, um);
  };
  const volumePath = (name: string, dest: string): string => {
    const p = inp.volumes?.[dest] ?? (name !== '' ? inp.volumeNames?.[name] : undefined);
    if (p === undefined) throw invalidArgument(`volume for ${dest} was not resolved by the engine`, { field: 'HostConfig.Binds' });
    return p;
  };
  for (const raw of hc.Binds ?? []) {
    const b = parseBind(raw);
    if (b.type === 'bind') add({ source: b.source, destination: b.destination, writable: b.rw, propagation: b.propagation });
    else add({ source: volumePath(b.source, b.destination), destination: b.destination, writable: b.rw, propagation: b.propagation });
  }
  for (const m of hc.Mounts ?? []) {
    const dest = cleanPath(m.Target!);
    if (m.Type === 'bind') {
      const prop = m.BindOptions?.Propagation ?? '';
      add({ source: cleanPath(m.Source ?? ''), destination: dest, writable: m.ReadOnly !== true, propagation: prop === '' ? DEFAULT_PROPAGATION : prop, nonRecursive: m.BindOptions?.NonRecursive === true });
    } else if (m.Type === 'volume' || m.Type === undefined) {
      const src = m.VolumeHostPath ?? volumePath(m.Source ?? '', dest);
      add({ source: src, destination: dest, writable: m.ReadOnly !== true, propagation: '' });
    } else if (m.Type !== 'tmpfs') {
      throw invalidArgument(`mount type "${m.Type}" is not supported`, { field: 'HostConfig.Mounts' });
    }
  }
  // --volumes-from (docker applies them first and lets the container's own binds win)
  for (const m of inp.inherited ?? []) {
    const d = cleanPath(m.destination);
    if (!points.has(d)) points.set(d, { ...m, destination: d });
  }
  // anonymous volumes (image VOLUMEs and Config.Volumes) the engine created and resolved
  for (const [dest, path] of Object.entries(inp.volumes ?? {})) {
    const d = cleanPath(dest);
    if (!points.has(d)) points.set(d, { source: path, destination: d, writable: true, propagation: '' });
  }
  // setupMounts: mount points not shadowed by a tmpfs, sorted by depth, then the network files
  const ms = [...points.values()].filter((m) => !tmpfsDests.has(m.destination));
  const sorted = stableSortByDepth(ms);
  const netWritable = !inp.readonlyRootfs;
  const net: UserMount[] = [];
  const userDest = new Set(ms.map((m) => m.destination));
  for (const [dest, src] of [['/etc/resolv.conf', inp.resolvConfPath], ['/etc/hostname', inp.hostnamePath], ['/etc/hosts', inp.hostsPath]] as const) {
    if (!userDest.has(dest)) net.push({ source: src, destination: dest, writable: netWritable, propagation: DEFAULT_PROPAGATION });
  }
  const out = [...sorted, ...net];
  // IpcMounts: the host's /dev/shm with --ipc host, else the engine's per-container shm when it gives one
  const shm = inp.ipcMode === 'host' ? '/dev/shm' : inp.ipcMode === 'none' ? undefined : inp.shmPath;
  if (shm !== undefined && !userDest.has('/dev/shm')) {
    out.push({ source: shm, destination: '/dev/shm', writable: true, propagation: DEFAULT_PROPAGATION });
  }
  out.push(...tmpfs);
  return out;
}

function stableSortByDepth<T extends { destination: string }>(ms: readonly T[]): T[] {
  return ms.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i).map((x) => x.m);
}

/** dockerd's WithMounts over the default mounts (with the --init bind already appended). */
export function buildMounts(inp: MountInputs): OciMount[] {
  const user = stableSortByDepth(collectUserMounts(inp));
  const userDests = new Set(user.map((m) => m.destination));
  const mountDev = userDests.has('/dev');
  const mounts: OciMount[] = [];
  const defaults = dockerDefaultMounts();
  if (inp.initPath !== undefined) defaults.push({ destination: '/sbin/docker-init', type: 'bind', source: inp.initPath, options: ['bind', 'ro'] });
  for (const m of defaults) {
    if (userDests.has(m.destination)) continue;
    if (mountDev && m.destination.startsWith('/dev/')) continue;
    if (m.destination === '/dev/shm') {
      if (inp.ipcMode === 'none') continue;
      m.options = [...m.options!, `size=${inp.shmSize}`];
    }
    mounts.push(m);
  }
  for (const m of user) {
    if (m.tmpfs === true) {
      const opts = ['noexec', 'nosuid', 'nodev', DEFAULT_PROPAGATION];
      if ((m.tmpfsData ?? '') !== '') opts.push(...m.tmpfsData!.split(','));
      mounts.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions(opts) });
      continue;
    }
    const opts = [m.nonRecursive === true ? 'bind' : 'rbind'];
    if (!m.writable) opts.push('ro');
    if (m.propagation !== '') opts.push(m.propagation);
    mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: opts });
  }
  if (inp.readonlyRootfs) {
    for (const m of mounts) {
      if (['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'].includes(m.destination)) continue;
      if (!userDests.has(m.destination) && !(m.options ?? []).includes('ro')) m.options = [...(m.options ?? []), 'ro'];
    }
  }
  if (inp.privileged) {
    for (const m of mounts) {
      if (m.destination === '/sys' || m.type === 'cgroup') m.options = (m.options ?? []).filter((o) => o !== 'ro');
    }
  }
  return mounts;
}
