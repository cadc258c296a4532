// A small urfave/cli-compatible flag parser: `--flag value`, `--flag=value`, `-f value`, boolean
// flags, repeated flags; flags may follow positional arguments, `--` ends flags.

import { invalidArgument } from '../../base/index.js';

export interface FlagSpec {
  names: readonly string[];
  kind: 'bool' | 'string' | 'multi';
}

export interface Parsed {
  flags: Map<string, string | boolean | string[]>;
  args: string[];
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], stopAtFirstArg = false): Parsed {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const flags = new Map<string, string | boolean | string[]>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || (stopAtFirstArg && args.length > 0)) {
      args.push(a);
      if (stopAtFirstArg && args.length > 0 && !a.startsWith('-')) {
        // everything after the first positional belongs to the command (exec/ps argv)
        args.push(...argv.slice(i + 1));
        break;
      }
      continue;
    }
    const eq = a.indexOf('=');
    const name = (eq >= 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    const spec = byName.get(name);
    if (!spec) throw invalidArgument(`flag provided but not defined: -${name}`);
    const key = spec.names[0]!;
    if (spec.kind === 'bool') {
      flags.set(key, eq >= 0 ? a.slice(eq + 1) !== 'false' : true);
      continue;
    }
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw invalidArgument(`flag needs an argument: -${name}`);
      value = argv[++i]!;
    }
    if (spec.kind === 'multi') {
      const list = (flags.get(key) as string[] | undefined) ?? [];
      list.push(value);
      flags.set(key, list);
    } else {
      flags.set(key, value);
    }
  }
  return { flags, args };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function bool(p: Parsed, name: string): boolean {
  return p.flags.get(name) === true;
}

export function multi(p: Parsed, name: string): string[] {
  const v = p.flags.get(name);
  return Array.isArray(v) ? v : [];
}

export function int(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid value "${v}" for flag -${name}: parse error`);
  return Number(v);
}
