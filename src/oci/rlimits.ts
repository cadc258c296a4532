// RLIMIT_* names ↔ resource numbers for setrlimit/prlimit (x86_64 Linux, asm-generic/resource.h). Pure.

export const RLIMIT_NAMES = [
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC',
  'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
] as const;

export type RlimitName = (typeof RLIMIT_NAMES)[number];

/** RLIM_INFINITY as the kernel reads it (u64 all ones); config.json writes it as 18446744073709551615. */
export const RLIM_INFINITY = 0xffffffffffffffffn;

const BY_NAME: ReadonlyMap<string, number> = new Map(RLIMIT_NAMES.map((name, n) => [name, n]));

/** The resource number of `name`, or undefined when it is not an RLIMIT_* Linux knows. */
export function rlimitResource(name: string): number | undefined {
  return BY_NAME.get(name);
}

export function isRlimitName(name: string): name is RlimitName {
  return BY_NAME.has(name);
}

export function rlimitName(resource: number): RlimitName | undefined {
  return Number.isInteger(resource) && resource >= 0 ? RLIMIT_NAMES[resource] : undefined;
}

/**
 * A limit from config.json as the u64 the kernel takes. JSON numbers above 2^53 lose precision, so
 * anything at or above 2^64 - 2048 (the nearest double to RLIM_INFINITY) is infinity.
 */
export function rlimitValue(n: number): bigint {
  if (n >= 18446744073709551615) return RLIM_INFINITY;
  return BigInt(Math.trunc(n));
}
