// Linux constants the planner needs (x86_64). Pure data.

export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  NEWTIME: 0x00000080,
} as const;

export { MS, MS_PROPAGATION as PROPAGATION_FLAGS, MNT_DETACH } from '../../oci/index.js';


export const PR = {
  SET_PDEATHSIG: 1,
  SET_KEEPCAPS: 8,
  SET_NO_NEW_PRIVS: 38,
} as const;


/** The namespace types of the spec, the clone flag of each, and the /proc/<pid>/ns name. */
export const NAMESPACES = {
  user: { flag: CLONE.NEWUSER, proc: 'user' },
  ipc: { flag: CLONE.NEWIPC, proc: 'ipc' },
  uts: { flag: CLONE.NEWUTS, proc: 'uts' },
  network: { flag: CLONE.NEWNET, proc: 'net' },
  pid: { flag: CLONE.NEWPID, proc: 'pid' },
  mount: { flag: CLONE.NEWNS, proc: 'mnt' },
  cgroup: { flag: CLONE.NEWCGROUP, proc: 'cgroup' },
} as const;

export type SupportedNamespace = keyof typeof NAMESPACES;

/** setns order: the user namespace first (it owns the others), the mount namespace last. */
export const JOIN_ORDER: readonly SupportedNamespace[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'mount'];

/** Sync points where the shim waits for TypeScript. */
export const SYNC_POINT = {
  /** C1 exists: write id maps, join cgroups, set oom_score_adj. */
  PREPARE: 1,
  /** C2 exists, namespaces made, rootfs not yet pivoted: prestart and createRuntime hooks. */
  CREATE_RUNTIME: 2,
} as const;

export const P_MODE = { CREATE: 0, FOREGROUND: 1, SHIM: 2 } as const;

/** Devices runc creates in every container's /dev (libcontainer/specconv AllowedDevices). */
export const DEFAULT_DEVICES = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/urandom', major: 1, minor: 9 },
  { path: '/dev/tty', major: 5, minor: 0 },
] as const;

export const DEV_SYMLINKS = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
] as const;

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}
