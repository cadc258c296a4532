// Shared constants and a runner for the seccomp compiler tests. Numbers are written out here from the
// kernel's tables (not imported from the compiler) so that a wrong table fails the tests.
import type { LinuxSeccomp } from '../../../../src/oci/index.js';
import { compileSeccomp } from '../../../../src/runtime/seccomp/index.js';
import { checkSeccompProgram, runSeccomp } from '../../../helpers/bpf-interpreter.js';

export const AUDIT_X86_64 = 0xc000003e;
export const AUDIT_I386 = 0x40000003;
export const AUDIT_AARCH64 = 0xc00000b7;
export const X32_BIT = 0x40000000;

export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0,
  TRAP: 0x00030000,
  ALLOW: 0x7fff0000,
  LOG: 0x7ffc0000,
} as const;
export const errno = (e: number): number => (0x00050000 | e) >>> 0;
export const trace = (msg: number): number => (0x7ff00000 | msg) >>> 0;

/** x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
export const NR = {
  read: 0, write: 1, getpid: 39, socket: 41, clone: 56, mkdir: 83, getcwd: 79, personality: 135,
  rt_sigaction: 13, mkdirat: 258, openat2: 437, clone3: 435, set_mempolicy_home_node: 450, cachestat: 451,
} as const;
/** i386 numbers (syscall_32.tbl). */
export const NR_I386 = { getpid: 20, mkdir: 39, socketcall: 102, ipc: 117, socket: 359, shmat: 397, personality: 136 } as const;
/** x32 numbers (syscall_64.tbl "common" and "x32" rows, with bit 30). */
export const NR_X32 = { getpid: X32_BIT | 39, mkdir: X32_BIT | 83, rt_sigaction: X32_BIT | 512 } as const;

export interface Runner {
  (nr: number, args?: readonly bigint[], arch?: number): number;
  program: Uint8Array;
  flags: number;
  warnings: string[];
}

/** Compiles `profile`, checks the program as the kernel would, and returns a function that runs it. */
export function compile(profile: LinuxSeccomp): Runner {
  const out = compileSeccomp(profile);
  const insns = checkSeccompProgram(out.program);
  const run = ((nr: number, args: readonly bigint[] = [], arch = AUDIT_X86_64) => runSeccomp(insns, { nr, arch, args })) as Runner;
  run.program = out.program;
  run.flags = out.flags;
  run.warnings = out.warnings;
  return run;
}
