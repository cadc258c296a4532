// `port`: docker's container/port.go — the published bindings of a container, every line sorted
// with sortorder.NaturalLess (also used by `network ls` for its names).

import { write, type Command } from '../context.js';

const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** fvbommel/sortorder NaturalLess: runs of digits compare as numbers, the rest bytewise. */
export function naturalLess(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c1 = a[i]!;
    const c2 = b[j]!;
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i++;
      j++;
      continue;
    }
    for (; i < a.length && a[i] === '0'; i++);
    for (; j < b.length && b[j] === '0'; j++);
    const nz1 = i;
    const nz2 = j;
    for (; i < a.length && isDigit(a[i]!); i++);
    for (; j < b.length && isDigit(b[j]!); j++);
    if (i - nz1 !== j - nz2) return i - nz1 < j - nz2;
    const n1 = a.slice(nz1, i);
    const n2 = b.slice(nz2, j);
    if (n1 !== n2) return n1 < n2;
    if (nz1 !== nz2) return nz1 < nz2;
  }
  return a.length < b.length;
}

/** A comparator for Array.prototype.sort from naturalLess. */
export function naturalCompare(a: string, b: string): number {
  return naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0;
}

/** Go's net.JoinHostPort. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

type Bindings = Record<string, { HostIp?: string; HostPort?: string }[] | null>;

export const containerPort: Command = {
  path: ['container', 'port'],
  aliases: [['port']],
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  short: 'List port mappings or a specific mapping for the container',
  flags: [],
  args: { min: 1, max: 2 },
  async run(ctx, p) {
    const [name, spec] = [p.args[0]!, p.args[1]];
    const { value } = await ctx.client().inspectContainer(name);
    const ports = ((value['NetworkSettings'] as Record<string, unknown> | null | undefined)?.['Ports'] ?? {}) as Bindings;
    const out: string[] = [];
    const frontend = (b: { HostIp?: string; HostPort?: string }): string => joinHostPort(b.HostIp ?? '', b.HostPort ?? '');
    if (spec !== undefined && spec !== '') {
      const slash = spec.indexOf('/');
      const port = slash < 0 ? spec : spec.slice(0, slash);
      const proto = slash < 0 || slash === spec.length - 1 ? 'tcp' : spec.slice(slash + 1);
      if (!/^\d+$/.test(port) || Number(port) > 65535) {
        const why = /^\d+$/.test(port) ? 'value out of range' : 'invalid syntax';
        throw new Error(`Error: invalid port (${port}): strconv.ParseUint: parsing ${JSON.stringify(port)}: ${why}`);
      }
      const bindings = ports[`${port}/${proto}`];
      if (bindings === undefined || bindings === null || bindings.length === 0) throw new Error(`Error: No public port '${spec}' published for ${name}`);
      for (const b of bindings) out.push(frontend(b));
    } else {
      for (const [from, bindings] of Object.entries(ports)) for (const b of bindings ?? []) out.push(`${from} -> ${frontend(b)}`);
    }
    if (out.length > 0) await write(ctx.io.stdout, `${out.sort(naturalCompare).join('\n')}\n`);
    return 0;
  },
};

