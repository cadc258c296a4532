// Stand-ins for src/oci's capability, rlimit and mount-option tables until those land; pure.
// TODO(swap): replace with the src/oci exports and delete this file.

import { invalidArgument } from '../../base/index.js';

const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const name of names) {
    const n = CAPABILITIES.indexOf(name);
    if (n < 0) throw invalidArgument(`unknown capability "${name}"`);
    mask |= 1n << BigInt(n);
  }
  return mask;
}

const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5, RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10, RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

export function rlimitResource(name: string): number {
  const n = RLIMITS[name];
  if (n === undefined) throw invalidArgument(`unknown rlimit "${name}"`);
  return n;
}

const SET: Record<string, number> = {
  ro: 0x1, nosuid: 0x2, nodev: 0x4, noexec: 0x8, sync: 0x10, remount: 0x20, mand: 0x40, dirsync: 0x80,
  noatime: 0x400, nodiratime: 0x800, bind: 0x1000, rbind: 0x1000 | 0x4000, relatime: 0x200000, strictatime: 0x1000000,
};
const CLEAR: Record<string, number> = {
  rw: 0x1, suid: 0x2, dev: 0x4, exec: 0x8, async: 0x10, nomand: 0x40, atime: 0x400, diratime: 0x800,
  norelatime: 0x200000, nostrictatime: 0x1000000,
};
const PROPAGATION: Record<string, number> = {
  private: 0x40000, rprivate: 0x40000 | 0x4000, slave: 0x80000, rslave: 0x80000 | 0x4000, shared: 0x100000,
  rshared: 0x100000 | 0x4000, unbindable: 0x20000, runbindable: 0x20000 | 0x4000,
};
const EXTENSIONS = new Set(['tmpcopyup', 'idmap', 'ridmap', 'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec',
  'rnodiratime', 'rdiratime', 'rrelatime', 'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow', 'rsymfollow']);

export interface ParsedMountOptions {
  flags: number;
  propagation: number[];
  data: string;
  extensions: string[];
}

export function parseMountOptions(options: readonly string[]): ParsedMountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  const extensions: string[] = [];
  for (const o of options) {
    if (SET[o] !== undefined) flags |= SET[o];
    else if (CLEAR[o] !== undefined) flags &= ~CLEAR[o];
    else if (PROPAGATION[o] !== undefined) propagation.push(PROPAGATION[o]);
    else if (EXTENSIONS.has(o)) extensions.push(o);
    else data.push(o);
  }
  return { flags, propagation, data: data.join(','), extensions };
}
