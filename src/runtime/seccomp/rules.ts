// OCI linux.seccomp.syscalls → per-architecture rule sets, validated, with the semantics runc gets
// from libseccomp (runc libcontainer/seccomp/seccomp_linux.go matchCall, libseccomp db.c db_rule_add):
// - a rule whose action equals the default action is skipped (runc: it would change nothing);
// - a rule whose comparisons name the same argument twice is split into one rule per comparison
//   (runc's "old behaviour": those comparisons are ORed); otherwise its comparisons are ANDed;
// - per syscall, an unconditional rule wins over every conditional one, whatever the order, and the
//   first unconditional rule wins over later ones (libseccomp keeps the existing one);
// - conditional rules are tried in profile order and the first whose comparisons all hold decides.
//   When they share one action (every real profile, e.g. Docker's) this is exactly libseccomp's
//   result; when overlapping rules disagree libseccomp orders them by argument instead, so a
//   warning says so;
// - MASKED_EQ takes `value` as the mask and `valueTwo` as the datum, and the datum is masked first
//   (libseccomp _db_node_mask_fixup); a MASKED_EQ with an empty mask always holds and is dropped;
// - on i386, socket and ipc calls also get a rule on socketcall(2)/ipc(2) whose first argument is the
//   call number, replacing any comparison on argument 0 (libseccomp abi_rule_add);
// - unknown syscall names are skipped with a warning.
// Pure.

import { invalidArgument } from '../../base/index.js';
import type { LinuxSeccompArg, LinuxSyscall, SeccompOperator } from '../../oci/index.js';
import { actionValue } from './actions.js';
import { isKnownSyscall, type ArchDef } from './arches.js';

export interface Comparison {
  readonly index: number;
  readonly op: SeccompOperator;
  /** The operand; for MASKED_EQ the mask. Unsigned 64-bit. */
  readonly value: bigint;
  /** MASKED_EQ only: the datum, already masked. */
  readonly datum: bigint;
}

export interface Rule {
  readonly action: number;
  /** ANDed. */
  readonly comparisons: readonly Comparison[];
}

export interface SyscallRules {
  /** The action of the winning unconditional rule, if any (then `rules` is empty). */
  unconditional: number | undefined;
  /** Conditional rules in profile order; the first that holds decides. */
  readonly rules: Rule[];
  readonly names: Set<string>;
}

export interface ArchRules {
  readonly arch: ArchDef;
  /** Syscall number → its rules. */
  readonly syscalls: Map<number, SyscallRules>;
  /** The highest syscall number the profile names on this arch (runc's -ENOSYS threshold). */
  lastNr: number | undefined;
}

const OPERATORS: ReadonlySet<string> = new Set([
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
]);

const U64 = (1n << 64n) - 1n;

/** A JSON number (or a bigint from a bigint-aware parser) as an unsigned 64-bit value; negatives wrap. */
function toU64(value: unknown, field: string): bigint {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isInteger(value)) v = BigInt(value);
  else throw invalidArgument(`${field}: must be an integer`, { field });
  if (v < -(1n << 63n) || v > U64) {
    throw invalidArgument(`${field}: ${String(value)} does not fit in 64 bits`, { field });
  }
  return BigInt.asUintN(64, v);
}

function parseComparison(arg: LinuxSeccompArg, field: string): Comparison {
  if (typeof arg !== 'object' || arg === null) throw invalidArgument(`${field}: must be an object`, { field });
  const { index, op } = arg;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) {
    throw invalidArgument(`${field}.index: must be an integer between 0 and 5, got ${JSON.stringify(index)}`, { field: `${field}.index` });
  }
  if (typeof op !== 'string' || !OPERATORS.has(op)) {
    throw invalidArgument(op === undefined
      ? `${field}.op: required`
      : `${field}.op: unknown operator ${JSON.stringify(op)}`, { field: `${field}.op` });
  }
  const value = toU64(arg.value ?? 0, `${field}.value`);
  const two = toU64(arg.valueTwo ?? 0, `${field}.valueTwo`);
  return { index, op, value, datum: op === 'SCMP_CMP_MASKED_EQ' ? two & value : 0n };
}

/** runc: comparisons are ANDed, unless two name the same argument; then each is a rule of its own. */
function splitByArgument(comparisons: readonly Comparison[]): Comparison[][] {
  const indexes = comparisons.map((c) => c.index);
  if (new Set(indexes).size === indexes.length) return [[...comparisons]];
  return comparisons.map((c) => [c]);
}

/** A comparison that holds for every value on this arch (libseccomp leaves it out of the filter). */
function alwaysHolds(c: Comparison, arch: ArchDef): boolean {
  if (c.op !== 'SCMP_CMP_MASKED_EQ') return false;
  const mask = arch.argBits === 32 ? c.value & 0xffffffffn : c.value;
  return mask === 0n;
}

export interface ParsedRules {
  arches: ArchRules[];
  warnings: string[];
}

export function buildRules(
  syscalls: readonly LinuxSyscall[] | undefined | null,
  arches: readonly ArchDef[],
  defaultAction: number,
  base: string,
): ParsedRules {
  const warnings: string[] = [];
  const perArch: ArchRules[] = arches.map((arch) => ({ arch, syscalls: new Map(), lastNr: undefined }));
  if (syscalls !== undefined && syscalls !== null && !Array.isArray(syscalls)) {
    throw invalidArgument(`${base}.syscalls: must be an array`, { field: `${base}.syscalls` });
  }
  for (const [si, sc] of (syscalls ?? []).entries()) {
    const field = `${base}.syscalls[${si}]`;
    if (typeof sc !== 'object' || sc === null) throw invalidArgument(`${field}: must be an object`, { field });
    const names: unknown = sc.names;
    if (!Array.isArray(names) || names.length === 0) {
      throw invalidArgument(`${field}.names: must list at least one syscall`, { field: `${field}.names` });
    }
    names.forEach((name: unknown, ni: number) => {
      if (typeof name !== 'string' || name === '') {
        throw invalidArgument(`${field}.names[${ni}]: must be a non-empty string`, { field: `${field}.names[${ni}]` });
      }
    });
    const action = actionValue(sc.action, sc.errnoRet, `${field}.action`, `${field}.errnoRet`);
    const args: unknown = sc.args ?? [];
    if (!Array.isArray(args)) throw invalidArgument(`${field}.args: must be an array`, { field: `${field}.args` });
    const comparisons = args.map((arg: LinuxSeccompArg, ai: number) => parseComparison(arg, `${field}.args[${ai}]`));

    for (const [ni, name] of (names as string[]).entries()) {
      if (!isKnownSyscall(name)) {
        warnings.push(`${field}.names[${ni}]: unknown syscall ${JSON.stringify(name)}, skipped`);
        continue;
      }
      for (const ar of perArch) {
        const nr = ar.arch.table[name];
        // runc's -ENOSYS threshold counts every named syscall, even those whose rule is skipped below.
        if (nr !== undefined && (ar.lastNr === undefined || nr > ar.lastNr)) ar.lastNr = nr;
        if (action === defaultAction) continue;
        for (const group of splitByArgument(comparisons)) {
          if (nr !== undefined) addRule(ar, nr, name, action, group.filter((c) => !alwaysHolds(c, ar.arch)));
          for (const mux of ar.arch.multiplexers ?? []) {
            const call = mux.calls[name];
            if (call === undefined) continue;
            const muxed: Comparison[] = [{ index: 0, op: 'SCMP_CMP_EQ', value: BigInt(call), datum: 0n },
              ...group.filter((c) => c.index !== 0 && !alwaysHolds(c, ar.arch))];
            addRule(ar, mux.nr, name, action, muxed);
          }
        }
      }
    }
  }
  const disagreeing = new Set<string>();
  for (const ar of perArch) {
    for (const rules of ar.syscalls.values()) {
      if (rules.unconditional === undefined && new Set(rules.rules.map((r) => r.action)).size > 1) {
        for (const name of rules.names) disagreeing.add(name);
      }
    }
  }
  for (const name of disagreeing) {
    warnings.push(`${base}.syscalls: argument rules for ${JSON.stringify(name)} have different actions; `
      + 'the first matching rule in profile order decides (libseccomp may order them by argument instead)');
  }
  return { arches: perArch, warnings };
}

function addRule(ar: ArchRules, nr: number, name: string, action: number, comparisons: readonly Comparison[]): void {
  let rules = ar.syscalls.get(nr);
  if (rules === undefined) {
    rules = { unconditional: undefined, rules: [], names: new Set() };
    ar.syscalls.set(nr, rules);
  }
  rules.names.add(name);
  if (rules.unconditional !== undefined) return; // an earlier unconditional rule already decides
  if (comparisons.length === 0) {
    rules.unconditional = action;
    rules.rules.length = 0;
    return;
  }
  rules.rules.push({ action, comparisons });
}
