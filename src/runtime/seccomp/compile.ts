// OCI linux.seccomp → a classic BPF program for seccomp(SECCOMP_SET_MODE_FILTER), with runc's
// semantics (rules.ts says which) and these choices:
// - architectures: the native one (x86_64) is always in the filter; SCMP_ARCH_X86 and SCMP_ARCH_X32
//   may be added; the others cannot occur on an x86_64 kernel and are refused by name. A syscall
//   from an arch not in the filter, or an x32 syscall (bit 30) when X32 is not listed, gets
//   libseccomp's default bad-arch action, SCMP_ACT_KILL (kill the thread);
// - -ENOSYS for syscalls newer than the profile (runc patchbpf): unless the default action lets
//   syscalls through (ALLOW, LOG, TRACE) or already is ERRNO(ENOSYS), a number above the highest
//   syscall the profile names on that arch returns ENOSYS, so that programs fall back from, say,
//   clone3 or openat2 instead of failing with EPERM. Unlike runc, the native arch counts even when
//   `architectures` is empty;
// - flags: TSYNC, LOG and SPEC_ALLOW; when `flags` is absent, SPEC_ALLOW as runc does (an explicit
//   empty list means none). NEW_LISTENER, TSYNC_ESRCH and WAIT_KILLABLE_RECV belong to seccomp
//   notify, which is refused.
// Pure.

import { invalidArgument, notImplemented } from '../../base/index.js';
import type { LinuxSeccomp } from '../../oci/index.js';
import { actionValue, isPermissive } from './actions.js';
import { ARCHES, FOREIGN_ARCHES, NATIVE_ARCH, type ArchDef, type ArchName } from './arches.js';
import { BPF_MAXINSNS } from './bpf.js';
import { emitFilter } from './emit.js';
import { ENOSYS, SECCOMP_FILTER_FLAG, SECCOMP_RET } from './kernel-abi.js';
import { buildRules } from './rules.js';

export interface CompileSeccompOptions {
  /** The kernel's own architecture; only x86_64 hosts are supported. */
  nativeArch?: 'x86_64';
}

export interface CompiledSeccomp {
  /** struct sock_filter[] (8 bytes each, little-endian), at most BPF_MAXINSNS instructions. */
  program: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2). */
  flags: number;
  /** Things skipped or approximated, one line each (unknown syscalls, rule-order caveats). */
  warnings: string[];
}

const BASE = 'linux.seccomp';

const SUPPORTED_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: SECCOMP_FILTER_FLAG.TSYNC,
  SECCOMP_FILTER_FLAG_LOG: SECCOMP_FILTER_FLAG.LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: SECCOMP_FILTER_FLAG.SPEC_ALLOW,
};

const NOTIFY_FLAGS: ReadonlySet<string> = new Set([
  'SECCOMP_FILTER_FLAG_NEW_LISTENER', 'SECCOMP_FILTER_FLAG_TSYNC_ESRCH', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
]);

/** runc treats a profile with neither a default action nor syscalls as "no seccomp". */
export function isSeccompDisabled(profile: LinuxSeccomp): boolean {
  return (profile.defaultAction === undefined || (profile.defaultAction as string) === '')
    && (profile.syscalls === undefined || profile.syscalls === null || profile.syscalls.length === 0);
}

export function compileSeccomp(profile: LinuxSeccomp, opts: CompileSeccompOptions = {}): CompiledSeccomp {
  if (typeof profile !== 'object' || profile === null) throw invalidArgument(`${BASE}: must be an object`, { field: BASE });
  if (profile.listenerPath !== undefined && profile.listenerPath !== null && profile.listenerPath !== '') {
    throw notImplemented(`${BASE}.listenerPath: seccomp user notification is not supported`, { field: `${BASE}.listenerPath` });
  }
  if (profile.listenerMetadata !== undefined && profile.listenerMetadata !== null && profile.listenerMetadata !== '') {
    throw notImplemented(`${BASE}.listenerMetadata: seccomp user notification is not supported`, { field: `${BASE}.listenerMetadata` });
  }
  const nativeArch = opts.nativeArch ?? 'x86_64';
  if (nativeArch !== 'x86_64') {
    throw notImplemented(`${BASE}: seccomp filters are only compiled for x86_64 hosts, not ${String(nativeArch)}`, { field: BASE });
  }
  const defaultAction = actionValue(profile.defaultAction, profile.defaultErrnoRet, `${BASE}.defaultAction`, `${BASE}.defaultErrnoRet`);
  const flags = parseFlags(profile.flags);
  const arches = parseArches(profile.architectures, NATIVE_ARCH[nativeArch]);
  const { arches: archRules, warnings } = buildRules(profile.syscalls, arches, defaultAction, BASE);

  const enosys = (SECCOMP_RET.ERRNO | ENOSYS) >>> 0;
  const program = emitFilter(archRules, {
    defaultAction,
    badArchAction: SECCOMP_RET.KILL_THREAD,
    enosysAction: isPermissive(defaultAction) || defaultAction === enosys ? undefined : enosys,
  });
  const count = program.length / 8;
  if (count > BPF_MAXINSNS) {
    throw invalidArgument(`${BASE}: the filter needs ${count} BPF instructions, more than the kernel's limit of ${BPF_MAXINSNS}`, {
      field: BASE, hint: 'merge rules that share an action, or drop argument rules',
    });
  }
  return { program, flags, warnings };
}

function parseFlags(flags: readonly string[] | undefined | null): number {
  if (flags === undefined || flags === null) return SECCOMP_FILTER_FLAG.SPEC_ALLOW;
  if (!Array.isArray(flags)) throw invalidArgument(`${BASE}.flags: must be an array`, { field: `${BASE}.flags` });
  let bits = 0;
  for (const [i, flag] of flags.entries()) {
    const field = `${BASE}.flags[${i}]`;
    const bit = typeof flag === 'string' ? SUPPORTED_FLAGS[flag] : undefined;
    if (bit !== undefined) {
      bits |= bit;
    } else if (NOTIFY_FLAGS.has(flag)) {
      throw notImplemented(`${field}: ${flag} is not supported (seccomp user notification)`, { field });
    } else {
      throw invalidArgument(`${field}: unknown flag ${JSON.stringify(flag)}`, { field });
    }
  }
  return bits;
}

function parseArches(names: readonly string[] | undefined | null, native: ArchName): ArchDef[] {
  if (names !== undefined && names !== null && !Array.isArray(names)) {
    throw invalidArgument(`${BASE}.architectures: must be an array`, { field: `${BASE}.architectures` });
  }
  const chosen = new Set<ArchName>([native]);
  for (const [i, name] of (names ?? []).entries()) {
    const field = `${BASE}.architectures[${i}]`;
    if (typeof name === 'string' && Object.hasOwn(ARCHES, name)) {
      chosen.add(name as ArchName);
    } else if (FOREIGN_ARCHES.has(name)) {
      throw notImplemented(`${field}: ${name} is not supported on an x86_64 host`, {
        field, hint: 'list only SCMP_ARCH_X86_64, SCMP_ARCH_X86 and SCMP_ARCH_X32',
      });
    } else {
      throw invalidArgument(`${field}: unknown architecture ${JSON.stringify(name)}`, { field });
    }
  }
  return [...chosen].map((n) => ARCHES[n]);
}
