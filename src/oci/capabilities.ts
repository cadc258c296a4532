// Linux capability names ↔ numbers (include/uapi/linux/capability.h) and 64-bit masks for capset and
// the bounding set. Pure.

import { invalidArgument } from '../base/index.js';

/** Index = capability number. CAP_LAST_CAP is CAP_CHECKPOINT_RESTORE (40) since Linux 5.9. */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

export const CAP_LAST_CAP = CAPABILITY_NAMES.length - 1;

const BY_NAME: ReadonlyMap<string, number> = new Map(CAPABILITY_NAMES.map((name, n) => [name, n]));

/** The number of `name` (exact, upper-case, with the CAP_ prefix, as the spec writes it), or undefined. */
export function capabilityNumber(name: string): number | undefined {
  return BY_NAME.get(name);
}

export function isCapabilityName(name: string): name is CapabilityName {
  return BY_NAME.has(name);
}

/** The name of capability `n`, or undefined past CAP_LAST_CAP. */
export function capabilityName(n: number): CapabilityName | undefined {
  return Number.isInteger(n) && n >= 0 ? CAPABILITY_NAMES[n] : undefined;
}

/**
 * The mask with one bit per named capability (bit n = capability n), as capset(2) takes it in two
 * 32-bit halves. Unknown names are an InvalidArgument naming `field` (e.g. process.capabilities.bounding).
 */
export function capabilityMask(names: readonly string[], field = 'capabilities'): bigint {
  let mask = 0n;
  names.forEach((name, i) => {
    const n = BY_NAME.get(name);
    if (n === undefined) throw invalidArgument(`${field}[${i}]: unknown capability "${name}"`, { field: `${field}[${i}]` });
    mask |= 1n << BigInt(n);
  });
  return mask;
}

/** The names in `mask`, lowest bit first; bits past CAP_LAST_CAP are dropped. */
export function capabilitiesFromMask(mask: bigint): CapabilityName[] {
  const out: CapabilityName[] = [];
  for (let n = 0; n <= CAP_LAST_CAP; n++) if ((mask >> BigInt(n)) & 1n) out.push(CAPABILITY_NAMES[n]!);
  return out;
}

/** Every capability up to `lastCap` (the host's /proc/sys/kernel/cap_last_cap, if older than ours). */
export function fullCapabilityMask(lastCap: number = CAP_LAST_CAP): bigint {
  return (1n << BigInt(Math.min(lastCap, CAP_LAST_CAP) + 1)) - 1n;
}

/** The low and high 32-bit words of a mask (struct __user_cap_data_struct[2]). */
export function capabilityWords(mask: bigint): [number, number] {
  return [Number(mask & 0xffffffffn), Number((mask >> 32n) & 0xffffffffn)];
}
