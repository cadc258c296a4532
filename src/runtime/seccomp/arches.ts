// The architectures a filter can cover on an x86_64 host: their audit token, syscall table, width of
// argument comparisons, and (i386 only) the socketcall(2)/ipc(2) multiplexers. Pure.

import { AUDIT_ARCH } from './kernel-abi.js';
import { SYSCALLS_I386 } from './syscalls-i386.js';
import { SYSCALLS_X32 } from './syscalls-x32.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.js';

export type ArchName = 'SCMP_ARCH_X86_64' | 'SCMP_ARCH_X86' | 'SCMP_ARCH_X32';

export interface ArchDef {
  readonly name: ArchName;
  readonly audit: number;
  readonly table: Readonly<Record<string, number>>;
  /**
   * libseccomp compares all 64 bits of an argument only on 64-bit ABIs; on 32-bit ones (x86 and x32,
   * whose longs and pointers are 32-bit) it compares the low word only, and so do we.
   */
  readonly argBits: 64 | 32;
  /** Multiplexer syscall number and call table, keyed by the multiplexed syscall's name. */
  readonly multiplexers?: readonly { readonly nr: number; readonly calls: Readonly<Record<string, number>> }[];
}

/** socketcall(2) call numbers (linux/net.h SYS_*). */
const SOCKETCALL_CALLS: Readonly<Record<string, number>> = {
  socket: 1, bind: 2, connect: 3, listen: 4, accept: 5, getsockname: 6, getpeername: 7, socketpair: 8,
  send: 9, recv: 10, sendto: 11, recvfrom: 12, shutdown: 13, setsockopt: 14, getsockopt: 15,
  sendmsg: 16, recvmsg: 17, accept4: 18, recvmmsg: 19, sendmmsg: 20,
};

/** ipc(2) call numbers (linux/ipc.h). */
const IPC_CALLS: Readonly<Record<string, number>> = {
  semop: 1, semget: 2, semctl: 3, semtimedop: 4, msgsnd: 11, msgrcv: 12, msgget: 13, msgctl: 14,
  shmat: 21, shmdt: 22, shmget: 23, shmctl: 24,
};

export const ARCHES: Readonly<Record<ArchName, ArchDef>> = {
  SCMP_ARCH_X86_64: { name: 'SCMP_ARCH_X86_64', audit: AUDIT_ARCH.X86_64, table: SYSCALLS_X86_64, argBits: 64 },
  SCMP_ARCH_X86: {
    name: 'SCMP_ARCH_X86', audit: AUDIT_ARCH.I386, table: SYSCALLS_I386, argBits: 32,
    multiplexers: [
      { nr: SYSCALLS_I386['socketcall']!, calls: SOCKETCALL_CALLS },
      { nr: SYSCALLS_I386['ipc']!, calls: IPC_CALLS },
    ],
  },
  // The kernel reports x32 syscalls under AUDIT_ARCH_X86_64; only bit 30 of the number tells them apart.
  SCMP_ARCH_X32: { name: 'SCMP_ARCH_X32', audit: AUDIT_ARCH.X86_64, table: SYSCALLS_X32, argBits: 32 },
};

export const NATIVE_ARCH: Readonly<Record<'x86_64', ArchName>> = { x86_64: 'SCMP_ARCH_X86_64' };

/** Architectures of the OCI spec that an x86_64 kernel never reports: refused by name, not dropped. */
export const FOREIGN_ARCHES: ReadonlySet<string> = new Set([
  'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV32', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
]);

/** True when some supported architecture knows `name` (as a syscall or a multiplexed call). */
export function isKnownSyscall(name: string): boolean {
  return Object.values(ARCHES).some((arch) => Object.hasOwn(arch.table, name)
    || (arch.multiplexers ?? []).some((m) => Object.hasOwn(m.calls, name)));
}
