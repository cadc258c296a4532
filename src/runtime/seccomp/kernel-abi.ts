// The kernel's seccomp ABI (include/uapi/linux/seccomp.h, audit.h): filter return values, the
// layout of struct seccomp_data, audit arch tokens and seccomp(2) filter flags. Pure data.

/** SECCOMP_RET_* actions; the low 16 bits (SECCOMP_RET_DATA) carry the errno or the tracer's msg. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export const SECCOMP_RET_DATA = 0x0000ffff;

/** struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; } (little-endian). */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  argLow: (index: number): number => 16 + 8 * index,
  argHigh: (index: number): number => 20 + 8 * index,
} as const;

export const AUDIT_ARCH = {
  X86_64: 0xc000003e,
  I386: 0x40000003,
} as const;

/** seccomp(2) SECCOMP_FILTER_FLAG_* bits. */
export const SECCOMP_FILTER_FLAG = {
  TSYNC: 1,
  LOG: 2,
  SPEC_ALLOW: 4,
  NEW_LISTENER: 8,
  TSYNC_ESRCH: 16,
  WAIT_KILLABLE_RECV: 32,
} as const;

export const EPERM = 1;
export const ENOSYS = 38;
