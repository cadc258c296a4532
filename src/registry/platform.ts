// Platform parsing, normalisation and choice (containerd/platforms: database.go, defaults_unix.go,
// platforms.go, compare.go). [pure] `linux/arm64`, `linux/arm/v7`, `amd64`.

import { invalidArgument } from '../base/index.js';
import type { Platform } from '../oci/index.js';

const ARCH_ALIASES: Record<string, string> = {
  i386: '386',
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  ia32: '386',
  x64: 'amd64',
};

/** containerd's normalizeArch: canonical architecture and variant. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase() === 'macos' ? 'darwin' : p.os.toLowerCase();
  let arch = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  const raw = arch;
  arch = ARCH_ALIASES[arch] ?? arch;
  if (raw === 'armhf') variant ??= 'v7';
  if (raw === 'armel') variant ??= 'v6';
  if (arch === 'arm64') {
    if (variant === '8' || variant === 'v8' || variant === '') variant = undefined;
  } else if (arch === 'arm') {
    if (variant === undefined || variant === '' || variant === '7') variant = 'v7';
    else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
  } else if (arch === 'amd64') {
    if (variant === 'v1' || variant === '') variant = undefined;
  }
  const out: Platform = { os, architecture: arch };
  if (variant !== undefined) out.variant = variant;
  if (p['os.version'] !== undefined) out['os.version'] = p['os.version'];
  return out;
}

const OS_NAMES = new Set(['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix', 'android', 'ios', 'plan9', 'js', 'wasip1']);

/** Parses `os[/arch[/variant]]` or `arch[/variant]` (the OS then defaults to linux), as `--platform` does. */
export function parsePlatform(s: string, defaultOs = 'linux'): Platform {
  if (s === '') throw invalidArgument('invalid platform: empty string', { field: 'platform' });
  const parts = s.split('/');
  if (parts.length > 3 || parts.some((p) => p === '' || !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw invalidArgument(`invalid platform ${JSON.stringify(s)}: expected os[/arch[/variant]]`, { field: 'platform' });
  }
  let os: string;
  let architecture: string;
  let variant: string | undefined;
  if (parts.length === 1) {
    const only = parts[0]!.toLowerCase();
    if (OS_NAMES.has(only)) throw invalidArgument(`invalid platform ${JSON.stringify(s)}: architecture missing`, { field: 'platform' });
    [os, architecture] = [defaultOs, only];
  } else if (parts.length === 2) {
    if (OS_NAMES.has(parts[0]!.toLowerCase())) [os, architecture] = [parts[0]!, parts[1]!];
    else [os, architecture, variant] = [defaultOs, parts[0]!, parts[1]!];
  } else {
    [os, architecture, variant] = [parts[0]!, parts[1]!, parts[2]!];
  }
  if (!OS_NAMES.has(os.toLowerCase())) throw invalidArgument(`invalid platform ${JSON.stringify(s)}: unknown operating system ${os}`, { field: 'platform' });
  return normalizePlatform({ os, architecture, ...(variant === undefined ? {} : { variant }) });
}

export function formatPlatform(p: Platform): string {
  const n = normalizePlatform(p);
  return `${n.os}/${n.architecture}${n.variant === undefined ? '' : `/${n.variant}`}`;
}

/** Node's process.arch → OCI architecture and default variant. */
export function platformFromNode(arch: string, os = 'linux'): Platform {
  const map: Record<string, Platform> = {
    x64: { os, architecture: 'amd64' },
    arm64: { os, architecture: 'arm64' },
    arm: { os, architecture: 'arm', variant: 'v7' },
    ia32: { os, architecture: '386' },
    ppc64: { os, architecture: 'ppc64le' },
    s390x: { os, architecture: 's390x' },
    riscv64: { os, architecture: 'riscv64' },
    loong64: { os, architecture: 'loong64' },
    mips64el: { os, architecture: 'mips64le' },
  };
  return map[arch] ?? { os, architecture: arch };
}

/**
 * Candidate variants a wanted platform accepts, best first (containerd's platforms.Only: arm/v8
 * runs v7, v6, v5; amd64/v3 runs v2, v1; arm64 may run arm/v7 is not assumed).
 */
function acceptedVariants(want: Platform): (string | undefined)[] {
  const v = want.variant;
  if (want.architecture === 'arm') {
    const order = ['v8', 'v7', 'v6', 'v5'];
    const i = order.indexOf(v ?? 'v7');
    return i < 0 ? [v] : order.slice(i);
  }
  if (want.architecture === 'amd64') {
    const order = ['v4', 'v3', 'v2', undefined];
    const i = order.indexOf(v);
    return i < 0 ? [v] : order.slice(i);
  }
  if (want.architecture === 'arm64') {
    // arm64/v8.x variants: the wanted one first, then plain arm64.
    return v === undefined ? [undefined] : [v, undefined];
  }
  return v === undefined ? [undefined] : [v];
}

/** Rank of `candidate` for `want`: 0 is best, undefined is "does not run". */
export function platformRank(want: Platform, candidate: Platform | undefined): number | undefined {
  if (candidate === undefined) return undefined;
  const w = normalizePlatform(want);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return undefined;
  // No wanted variant on arm64/others: any variant of the candidate is acceptable, plain first.
  if (w.variant === undefined && w.architecture !== 'amd64' && w.architecture !== 'arm') {
    return c.variant === undefined ? 0 : 1;
  }
  const i = acceptedVariants(w).indexOf(c.variant);
  return i < 0 ? undefined : i;
}

/** Index of the best entry for `want`, or -1. Ties keep the index order (first wins), as containerd does. */
export function choosePlatform<T extends { platform?: Platform }>(want: Platform, entries: readonly T[]): number {
  let best = -1;
  let bestRank = Infinity;
  entries.forEach((e, i) => {
    const r = platformRank(want, e.platform);
    if (r !== undefined && r < bestRank) {
      best = i;
      bestRank = r;
    }
  });
  return best;
}
