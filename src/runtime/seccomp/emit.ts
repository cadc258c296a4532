// Rule sets → classic BPF. Shape of the program:
//
//   A = arch;  one JEQ per audit arch in the filter;  else return the bad-arch action
//   x86_64:   A = nr; nr has bit 30 (x32) → the x32 section if SCMP_ARCH_X32 is listed, else bad arch
//             [nr > highest syscall named → ERRNO(ENOSYS)]   (runc's patchbpf stub, when enabled)
//             binary search over the sorted syscall numbers; leaves of up to 4 JEQs end with the
//             default action and return unconditional actions right there
//   x32, i386: the same over their own numbers
//   blocks:   per syscall with argument rules: each rule's comparisons, its action, then the default
//
// 64-bit comparisons test the high word, then the low word, unsigned (libseccomp's _db_rule_gen_64);
// 32-bit ABIs compare the low word only (_db_rule_gen_32). Pure.

import type { ArchRules, Comparison, Rule } from './rules.js';
import { Assembler, BPF, type Label, type Target } from './bpf.js';
import { SECCOMP_DATA } from './kernel-abi.js';
import { X32_SYSCALL_BIT } from './syscalls-x32.js';

const LEAF_SIZE = 4;

export interface EmitOptions {
  defaultAction: number;
  badArchAction: number;
  /** When set, syscall numbers above the highest one a section names return this value. */
  enosysAction: number | undefined;
}

const hi = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);
const lo = (v: bigint): number => Number(v & 0xffffffffn);

export function emitFilter(archRules: readonly ArchRules[], opts: EmitOptions): Uint8Array {
  const a = new Assembler();
  const byName = new Map(archRules.map((r) => [r.arch.name, r]));
  const x86_64 = byName.get('SCMP_ARCH_X86_64');
  const x32 = byName.get('SCMP_ARCH_X32');
  const i386 = byName.get('SCMP_ARCH_X86');
  const blocks: { label: Label; rules: readonly Rule[]; bits: 32 | 64 }[] = [];

  const sections: { audit: number; label: Label; emit: () => void }[] = [];
  if (x86_64 !== undefined || x32 !== undefined) {
    const audit = (x86_64 ?? x32)!.arch.audit;
    sections.push({
      audit, label: a.label(), emit: () => {
        a.load(SECCOMP_DATA.nr);
        const x32Section = a.label();
        a.jump(BPF.JMP_JGE_K, X32_SYSCALL_BIT, x32Section, 'next');
        if (x86_64 !== undefined) emitSection(a, x86_64, opts, blocks);
        else a.ret(opts.badArchAction);
        a.place(x32Section);
        if (x32 !== undefined) emitSection(a, x32, opts, blocks);
        else a.ret(opts.badArchAction);
      },
    });
  }
  if (i386 !== undefined) {
    sections.push({
      audit: i386.arch.audit, label: a.label(), emit: () => {
        a.load(SECCOMP_DATA.nr);
        emitSection(a, i386, opts, blocks);
      },
    });
  }

  a.load(SECCOMP_DATA.arch);
  for (const s of sections) a.jump(BPF.JMP_JEQ_K, s.audit, s.label, 'next');
  a.ret(opts.badArchAction);
  for (const s of sections) {
    a.place(s.label);
    s.emit();
  }
  for (const block of blocks) {
    a.place(block.label);
    for (const rule of block.rules) {
      const fail = a.label();
      for (const c of rule.comparisons) emitComparison(a, c, block.bits, fail);
      a.ret(rule.action);
      a.place(fail);
    }
    a.ret(opts.defaultAction);
  }
  return a.assemble();
}

/** Dispatch on the syscall number already in A. */
function emitSection(a: Assembler, ar: ArchRules, opts: EmitOptions, blocks: { label: Label; rules: readonly Rule[]; bits: 32 | 64 }[]): void {
  if (opts.enosysAction !== undefined && ar.lastNr !== undefined) {
    const newer = a.label();
    a.jump(BPF.JMP_JGT_K, ar.lastNr, newer, 'next');
    emitSearch(a, ar, opts, blocks);
    a.place(newer);
    a.ret(opts.enosysAction);
  } else {
    emitSearch(a, ar, opts, blocks);
  }
}

type Entry = { nr: number; unconditional: number } | { nr: number; block: Label };

function emitSearch(a: Assembler, ar: ArchRules, opts: EmitOptions, blocks: { label: Label; rules: readonly Rule[]; bits: 32 | 64 }[]): void {
  const entries: Entry[] = [];
  for (const nr of [...ar.syscalls.keys()].sort((x, y) => x - y)) {
    const rules = ar.syscalls.get(nr)!;
    if (rules.unconditional !== undefined) {
      entries.push({ nr, unconditional: rules.unconditional });
    } else if (rules.rules.length > 0) {
      const label = a.label();
      blocks.push({ label, rules: rules.rules, bits: ar.arch.argBits });
      entries.push({ nr, block: label });
    }
  }
  const search = (from: number, to: number): void => {
    if (to - from <= LEAF_SIZE) {
      emitLeaf(a, entries.slice(from, to), opts.defaultAction);
      return;
    }
    const mid = from + Math.floor((to - from) / 2);
    const upper = a.label();
    a.jump(BPF.JMP_JGE_K, entries[mid]!.nr, upper, 'next');
    search(from, mid);
    a.place(upper);
    search(mid, to);
  };
  search(0, entries.length);
}

/** JEQs for a few numbers, then the default action, then the leaf's own returns. */
function emitLeaf(a: Assembler, entries: readonly Entry[], defaultAction: number): void {
  const returns = new Map<number, Label>();
  for (const e of entries) {
    let target: Label;
    if ('block' in e) {
      target = e.block;
    } else {
      target = returns.get(e.unconditional) ?? a.label();
      returns.set(e.unconditional, target);
    }
    a.jump(BPF.JMP_JEQ_K, e.nr, target, 'next');
  }
  a.ret(defaultAction);
  for (const [action, label] of returns) {
    a.place(label);
    a.ret(action);
  }
}

/** Falls through when the comparison holds, jumps to `fail` otherwise. */
function emitComparison(a: Assembler, c: Comparison, bits: 32 | 64, fail: Label): void {
  const pass = a.label();
  if (bits === 32) {
    emitWord(a, c.op, SECCOMP_DATA.argLow(c.index), lo(c.value), lo(c.datum), pass, fail);
    a.place(pass);
    return;
  }
  const highHalf = SECCOMP_DATA.argHigh(c.index);
  const lowHalf = SECCOMP_DATA.argLow(c.index);
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      a.load(highHalf);
      a.jump(BPF.JMP_JEQ_K, hi(c.value), 'next', fail);
      emitWord(a, c.op, lowHalf, lo(c.value), 0, pass, fail);
      break;
    case 'SCMP_CMP_NE':
      // holds when either half differs
      a.load(highHalf);
      a.jump(BPF.JMP_JEQ_K, hi(c.value), 'next', pass);
      emitWord(a, c.op, lowHalf, lo(c.value), 0, pass, fail);
      break;
    case 'SCMP_CMP_MASKED_EQ':
      if (hi(c.value) !== 0) {
        a.load(highHalf);
        a.and(hi(c.value));
        a.jump(BPF.JMP_JEQ_K, hi(c.datum), 'next', fail);
      }
      if (lo(c.value) !== 0) emitWord(a, c.op, lowHalf, lo(c.value), lo(c.datum), pass, fail);
      break;
    default: {
      // GT/GE/LT/LE: the high words decide unless they are equal; then the low words do.
      const greater = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_GE';
      const lowWord = a.label();
      a.load(highHalf);
      a.jump(BPF.JMP_JGT_K, hi(c.value), greater ? pass : fail, 'next');
      a.jump(BPF.JMP_JEQ_K, hi(c.value), lowWord, greater ? fail : pass);
      a.place(lowWord);
      emitWord(a, c.op, lowHalf, lo(c.value), 0, pass, fail);
    }
  }
  a.place(pass);
}

/** One 32-bit comparison of the word at `offset` against k (MASKED_EQ: (word & k) == datum). */
function emitWord(a: Assembler, op: Comparison['op'], offset: number, k: number, datum: number, pass: Target, fail: Target): void {
  a.load(offset);
  switch (op) {
    case 'SCMP_CMP_EQ': a.jump(BPF.JMP_JEQ_K, k, pass, fail); break;
    case 'SCMP_CMP_NE': a.jump(BPF.JMP_JEQ_K, k, fail, pass); break;
    case 'SCMP_CMP_GT': a.jump(BPF.JMP_JGT_K, k, pass, fail); break;
    case 'SCMP_CMP_GE': a.jump(BPF.JMP_JGE_K, k, pass, fail); break;
    case 'SCMP_CMP_LT': a.jump(BPF.JMP_JGE_K, k, fail, pass); break;
    case 'SCMP_CMP_LE': a.jump(BPF.JMP_JGT_K, k, fail, pass); break;
    case 'SCMP_CMP_MASKED_EQ':
      a.and(k);
      a.jump(BPF.JMP_JEQ_K, datum, pass, fail);
      break;
  }
}
