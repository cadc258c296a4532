// OCI linux.seccomp → classic BPF, with libseccomp's semantics where runc relies on them:
// - the filter checks the audit arch first; an arch not listed gets KILL_PROCESS (libseccomp's
//   bad-arch default kills too); on x86_64, x32 syscall numbers (bit 30) are judged by the x32 rules
//   only when SCMP_ARCH_X32 is listed, else they are killed as a foreign arch;
// - rules are tried in the order given; a rule matches when all its argument comparisons hold (AND);
//   the first matching rule decides, otherwise the default action;
// - unknown syscall names are skipped with a warning (libseccomp cannot resolve them either);
// - 64-bit argument comparisons are done on the high and low 32-bit halves, unsigned.
// Pure: no I/O.

import { invalidArgument, notImplemented } from '../../base/index.js';
import type { LinuxSeccomp, LinuxSeccompArg, SeccompAction } from '../../oci/index.js';
import { Assembler, BPF, BPF_MAXINSNS } from './bpf.js';
import { SYSCALLS_I386, SYSCALLS_X86_64, SYSCALLS_X32 } from './syscall-tables.js';

const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

const EPERM = 1;

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const X32_SYSCALL_BIT = 0x40000000;

const SECCOMP_DATA = { nr: 0, arch: 4, argLow: (i: number) => 16 + 8 * i, argHigh: (i: number) => 20 + 8 * i };

const FILTER_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
};

interface ArchTarget {
  name: string;
  audit: number;
  table: Readonly<Record<string, number>>;
}

const ARCHES: Record<string, ArchTarget> = {
  SCMP_ARCH_X86_64: { name: 'SCMP_ARCH_X86_64', audit: AUDIT_ARCH_X86_64, table: SYSCALLS_X86_64 },
  SCMP_ARCH_X86: { name: 'SCMP_ARCH_X86', audit: AUDIT_ARCH_I386, table: SYSCALLS_I386 },
  SCMP_ARCH_X32: { name: 'SCMP_ARCH_X32', audit: AUDIT_ARCH_X86_64, table: SYSCALLS_X32 },
};

export interface CompiledSeccomp {
  /** struct sock_filter[], 8 bytes each. */
  program: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2). */
  flags: number;
  warnings: string[];
}

function actionValue(action: SeccompAction, errnoRet: number | undefined, field: string): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW': return RET.ALLOW;
    case 'SCMP_ACT_ERRNO': return RET.ERRNO | ((errnoRet ?? EPERM) & 0xffff);
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return RET.TRAP;
    case 'SCMP_ACT_TRACE': return RET.TRACE | ((errnoRet ?? EPERM) & 0xffff);
    case 'SCMP_ACT_LOG': return RET.LOG;
    case 'SCMP_ACT_NOTIFY':
      throw notImplemented(`${field}: SCMP_ACT_NOTIFY is not supported`, { field });
    default:
      throw invalidArgument(`${field}: unknown action "${String(action)}"`, { field });
  }
}

const hi = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);
const lo = (v: bigint): number => Number(v & 0xffffffffn);

function toU64(value: unknown, field: string): bigint {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidArgument(`${field}: must be an integer`, { field });
  return BigInt.asUintN(64, BigInt(value));
}

/** Emits the check of one argument comparison; jumps to `fail` when it does not hold. */
function emitArg(a: Assembler, arg: LinuxSeccompArg, fail: string, field: string): void {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) {
    throw invalidArgument(`${field}.index: must be between 0 and 5`, { field: `${field}.index` });
  }
  const v = toU64(arg.value, `${field}.value`);
  const i = arg.index;
  const pass = a.label();
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE': {
      // EQ: both halves equal. NE: either half differs.
      const onHiMismatch = arg.op === 'SCMP_CMP_EQ' ? fail : pass;
      a.load(SECCOMP_DATA.argHigh(i));
      a.jump(BPF.JMP_JEQ_K, hi(v), 'next', onHiMismatch);
      a.load(SECCOMP_DATA.argLow(i));
      if (arg.op === 'SCMP_CMP_EQ') a.jump(BPF.JMP_JEQ_K, lo(v), pass, fail);
      else a.jump(BPF.JMP_JEQ_K, lo(v), fail, pass);
      break;
    }
    case 'SCMP_CMP_MASKED_EQ': {
      const datum = toU64(arg.valueTwo ?? 0, `${field}.valueTwo`);
      a.load(SECCOMP_DATA.argHigh(i));
      a.and(hi(v));
      a.jump(BPF.JMP_JEQ_K, hi(datum), 'next', fail);
      a.load(SECCOMP_DATA.argLow(i));
      a.and(lo(v));
      a.jump(BPF.JMP_JEQ_K, lo(datum), pass, fail);
      break;
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // arg > v  ⇔ hi(arg) > hi(v) ∨ (hi(arg) = hi(v) ∧ lo(arg) > lo(v)); the others likewise.
      const greater = arg.op === 'SCMP_CMP_GT' || arg.op === 'SCMP_CMP_GE';
      const whenHiGreater = greater ? pass : fail;
      const whenHiLess = greater ? fail : pass;
      const cmpLo = a.label();
      a.load(SECCOMP_DATA.argHigh(i));
      a.jump(BPF.JMP_JGT_K, hi(v), whenHiGreater, 'next');
      a.jump(BPF.JMP_JEQ_K, hi(v), cmpLo, whenHiLess);
      a.place(cmpLo);
      a.load(SECCOMP_DATA.argLow(i));
      if (arg.op === 'SCMP_CMP_GT') a.jump(BPF.JMP_JGT_K, lo(v), pass, fail);
      else if (arg.op === 'SCMP_CMP_GE') a.jump(BPF.JMP_JGE_K, lo(v), pass, fail);
      else if (arg.op === 'SCMP_CMP_LT') a.jump(BPF.JMP_JGE_K, lo(v), fail, pass);
      else a.jump(BPF.JMP_JGT_K, lo(v), fail, pass);
      break;
    }
    default:
      throw invalidArgument(`${field}.op: unknown operator "${String(arg.op)}"`, { field: `${field}.op` });
  }
  a.place(pass);
}

interface Rule {
  action: number;
  args: readonly LinuxSeccompArg[];
  field: string;
}

export function compileSeccomp(profile: LinuxSeccomp): CompiledSeccomp {
  const base = 'linux.seccomp';
  const warnings: string[] = [];
  if (profile.listenerPath !== undefined && profile.listenerPath !== '') {
    throw notImplemented(`${base}.listenerPath: seccomp notify is not supported`, { field: `${base}.listenerPath` });
  }
  const defaultAction = actionValue(profile.defaultAction, profile.defaultErrnoRet, `${base}.defaultAction`);
  let flags = 0;
  for (const [i, f] of (profile.flags ?? []).entries()) {
    const bit = FILTER_FLAGS[f];
    if (bit === undefined) throw notImplemented(`${base}.flags[${i}]: "${f}" is not supported`, { field: `${base}.flags` });
    flags |= bit;
  }
  const archNames = new Set(['SCMP_ARCH_X86_64', ...(profile.architectures ?? [])]);
  for (const [i, name] of (profile.architectures ?? []).entries()) {
    if (!(name in ARCHES)) throw notImplemented(`${base}.architectures[${i}]: "${name}" is not supported on x86_64`, { field: `${base}.architectures` });
  }
  const arches = [...archNames].map((n) => ARCHES[n]!);

  // per arch: syscall number → rules in order
  const perArch = new Map<string, Map<number, Rule[]>>();
  for (const arch of arches) perArch.set(arch.name, new Map());
  for (const [si, sc] of (profile.syscalls ?? []).entries()) {
    const field = `${base}.syscalls[${si}]`;
    if (!Array.isArray(sc.names) || sc.names.length === 0) throw invalidArgument(`${field}.names: must not be empty`, { field: `${field}.names` });
    const action = actionValue(sc.action, sc.errnoRet, `${field}.action`);
    const args = sc.args ?? [];
    for (const name of sc.names) {
      let known = false;
      for (const arch of arches) {
        const nr = arch.table[name];
        if (nr === undefined) continue;
        known = true;
        const rules = perArch.get(arch.name)!;
        const list = rules.get(nr) ?? [];
        list.push({ action, args, field });
        rules.set(nr, list);
      }
      if (!known) warnings.push(`${field}: unknown syscall "${name}" skipped`);
    }
  }

  const a = new Assembler();
  const sections = new Map<string, string>();
  const hasX32 = archNames.has('SCMP_ARCH_X32');
  a.load(SECCOMP_DATA.arch);
  for (const audit of [...new Set(arches.map((x) => x.audit))]) {
    const label = a.label();
    sections.set(String(audit), label);
    a.jumpIfEqualFar(audit, label);
  }
  a.ret(RET.KILL_PROCESS);

  const emitSection = (rules: Map<number, Rule[]>): void => {
    // A syscall whose first rule has no argument check always ends there: it jumps to one shared
    // return per action, so a profile of hundreds of plain ALLOWs costs two instructions each.
    const shared = new Map<number, string>();
    const blocks: [number, string][] = [];
    a.load(SECCOMP_DATA.nr);
    for (const nr of [...rules.keys()].sort((x, y) => x - y)) {
      const list = rules.get(nr)!;
      let label: string;
      if (list[0]!.args.length === 0) {
        label = shared.get(list[0]!.action) ?? a.label();
        shared.set(list[0]!.action, label);
      } else {
        label = a.label();
        blocks.push([nr, label]);
      }
      a.jumpIfEqualFar(nr, label);
    }
    a.ret(defaultAction);
    for (const [action, label] of shared) {
      a.place(label);
      a.ret(action);
    }
    for (const [nr, label] of blocks) {
      a.place(label);
      for (const rule of rules.get(nr)!) {
        const fail = a.label();
        rule.args.forEach((arg, ai) => emitArg(a, arg, fail, `${rule.field}.args[${ai}]`));
        a.ret(rule.action);
        a.place(fail);
        if (rule.args.length === 0) break; // an unconditional rule ends the list
      }
      a.ret(defaultAction);
    }
  };

  for (const arch of arches) {
    if (arch.name === 'SCMP_ARCH_X32') continue;
    a.place(sections.get(String(arch.audit))!);
    const rules = perArch.get(arch.name)!;
    if (arch.audit === AUDIT_ARCH_X86_64) {
      // numbers with the x32 bit belong to the x32 ABI under the same audit arch
      const x32 = a.label();
      a.load(SECCOMP_DATA.nr);
      a.jumpFar(BPF.JMP_JGE_K, X32_SYSCALL_BIT, x32);
      emitSection(rules);
      a.place(x32);
      if (hasX32) emitSection(perArch.get('SCMP_ARCH_X32')!);
      else a.ret(RET.KILL_PROCESS);
    } else {
      emitSection(rules);
    }
  }
  if (a.length > BPF_MAXINSNS) {
    throw invalidArgument(`${base}: the filter needs ${a.length} instructions, more than the kernel's ${BPF_MAXINSNS}`, { field: base });
  }
  return { program: a.assemble(), flags, warnings };
}
