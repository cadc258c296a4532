// Command-line parsing with the conventions of docker's cobra/pflag: `--flag value`, `--flag=value`,
// `-f value`, `-fvalue`, combined booleans `-aq`, repeated flags, `--` ends the flags, flags may follow
// arguments. Errors carry docker's texts; the caller adds the usage block and picks the exit code.

export type FlagKind = 'bool' | 'string' | 'list';

export interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  /** One-letter shorthand. */
  short?: string;
  kind: FlagKind;
  /** Shown in --help. */
  help?: string;
  /** Value placeholder in --help (docker's `string`, `filter`, `stringArray`…). */
  valueName?: string;
  defaultValue?: string;
}

export interface ParsedArgs {
  bools: Map<string, boolean>;
  strings: Map<string, string>;
  lists: Map<string, string[]>;
  args: string[];
}

/** A command-line mistake: the message is docker's text without the usage block. */
export class UsageError extends Error {
  readonly isUsageError = true;
  /** Flag errors exit 125 in docker; argument-count errors exit 1 and say "See" or "Run". */
  readonly kind: 'flag' | 'args-min' | 'args';

  constructor(message: string, kind: 'flag' | 'args-min' | 'args' = 'flag') {
    super(message);
    this.name = 'UsageError';
    this.kind = kind;
  }
}

export function isUsageError(err: unknown): err is UsageError {
  return typeof err === 'object' && err !== null && (err as { isUsageError?: unknown }).isUsageError === true;
}

function parseBool(value: string, flag: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new UsageError(`invalid argument "${value}" for "${flag}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
}

/**
 * Parses `argv` against `specs`. With `interspersed` false, the first non-flag argument ends the
 * flags (docker's global flags before the command, `run IMAGE CMD…`).
 */
export function parseArgs(specs: readonly FlagSpec[], argv: readonly string[], opts: { interspersed?: boolean } = {}): ParsedArgs {
  const interspersed = opts.interspersed ?? true;
  const out: ParsedArgs = { bools: new Map(), strings: new Map(), lists: new Map(), args: [] };
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short!, s]));
  const set = (spec: FlagSpec, value: string): void => {
    if (spec.kind === 'list') out.lists.set(spec.name, [...(out.lists.get(spec.name) ?? []), value]);
    else out.strings.set(spec.name, value);
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (spec === undefined) throw new UsageError(`unknown flag: --${name}`);
      if (spec.kind === 'bool') {
        out.bools.set(name, eq < 0 ? true : parseBool(arg.slice(eq + 1), `--${name}`));
      } else if (eq >= 0) {
        set(spec, arg.slice(eq + 1));
      } else {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
        set(spec, argv[++i]!);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j]!;
        const spec = byShort.get(c);
        if (spec === undefined) throw new UsageError(`unknown shorthand flag: '${c}' in ${arg}`);
        if (spec.kind === 'bool') {
          if (arg[j + 1] === '=') {
            out.bools.set(spec.name, parseBool(arg.slice(j + 2), `-${c}, --${spec.name}`));
            break;
          }
          out.bools.set(spec.name, true);
          continue;
        }
        let value = arg.slice(j + 1);
        if (value.startsWith('=')) value = value.slice(1);
        else if (value === '') {
          if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: '${c}' in -${c}`);
          value = argv[++i]!;
        }
        set(spec, value);
        break;
      }
      continue;
    }
    out.args.push(arg);
    if (!interspersed) {
      i++;
      break;
    }
  }
  out.args.push(...argv.slice(i));
  return out;
}

export const bool = (p: ParsedArgs, name: string): boolean => p.bools.get(name) ?? false;
export const str = (p: ParsedArgs, name: string): string | undefined => p.strings.get(name);
export const list = (p: ParsedArgs, name: string): string[] => p.lists.get(name) ?? [];

/** `key=value` filter flags → the API's filter map; docker rejects a filter without `=`. */
export function parseFilters(values: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid argument "${v}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    const key = v.slice(0, eq).trim().toLowerCase();
    const value = v.slice(eq + 1).trim();
    (out[key] ??= []).push(value);
  }
  return out;
}
