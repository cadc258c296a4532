// `docker import --change` / `commit --change`: the Dockerfile instructions that edit an image's
// runtime config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR).
// [pure]

import { SkiffError } from '../base/index.js';
import type { ImageRuntimeConfig } from '../oci/index.js';

const ALLOWED = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

function jsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(rest);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: shell form
  }
  return undefined;
}

/** Splits `a=b "c d"=e` into pairs, honouring double quotes and backslashes as Dockerfile does. */
function keyValues(rest: string, what: string): [string, string][] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < rest.length) cur += rest[++i]!;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < rest.length) {
      cur += rest[++i]!;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  if (words.length > 0 && !words[0]!.includes('=')) {
    // Legacy form: `ENV key value with spaces`.
    const [key, ...value] = rest.trim().split(/\s+/);
    return [[key!, value.join(' ')]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new SkiffError('InvalidArgument', `${what}: "${w}" is not key=value`, { field: 'changes' });
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

export function applyChanges(config: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const out: ImageRuntimeConfig = structuredClone(config);
  for (const [i, change] of changes.entries()) {
    const line = change.trim();
    const m = /^(\S+)\s*(.*)$/s.exec(line);
    if (m === null) continue;
    const instruction = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    const what = `changes[${i}] (${instruction})`;
    if (!ALLOWED.includes(instruction)) {
      throw new SkiffError('InvalidArgument', `${instruction} is not a valid change command`, { field: `changes[${i}]` });
    }
    switch (instruction) {
      case 'CMD':
        out.Cmd = jsonArray(rest) ?? ['/bin/sh', '-c', rest];
        break;
      case 'ENTRYPOINT':
        out.Entrypoint = jsonArray(rest) ?? ['/bin/sh', '-c', rest];
        break;
      case 'ENV': {
        const env = out.Env ?? [];
        for (const [k, v] of keyValues(rest, what)) {
          const at = env.findIndex((e) => e.split('=')[0] === k);
          if (at >= 0) env[at] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        out.Env = env;
        break;
      }
      case 'LABEL':
        out.Labels = { ...(out.Labels ?? {}), ...Object.fromEntries(keyValues(rest, what)) };
        break;
      case 'EXPOSE':
        out.ExposedPorts = { ...(out.ExposedPorts ?? {}) };
        for (const p of rest.split(/\s+/).filter((x) => x !== '')) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(p)) throw new SkiffError('InvalidArgument', `${what}: invalid port "${p}"`, { field: `changes[${i}]` });
          out.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
        }
        break;
      case 'VOLUME': {
        out.Volumes = { ...(out.Volumes ?? {}) };
        for (const v of jsonArray(rest) ?? rest.split(/\s+/).filter((x) => x !== '')) out.Volumes[v] = {};
        break;
      }
      case 'USER': out.User = rest; break;
      case 'WORKDIR': out.WorkingDir = rest; break;
      case 'STOPSIGNAL': out.StopSignal = rest; break;
      case 'ONBUILD': out.OnBuild = [...(out.OnBuild ?? []), rest]; break;
    }
  }
  return out;
}
