// `network create/ls/inspect/rm/prune/connect/disconnect`: docker's cli/command/network (28.x):
// the same request bodies, the CLI-side checks of create's IPAM flags with docker's texts, the
// list formatter's fields and columns, inspect's raw JSON, and each verb's exit status. Also the
// address helpers (`ParseIP`, `ParseCIDR`, `ValidateLink`) the run/create network flags share.

import { isIP } from 'node:net';
import { isDaemonError } from '../../../client/index.js';
import { bool, list, parseFilters, str, UsageError, type ParsedArgs } from '../args.js';
import { ExitStatus, readLine, write, type Command } from '../context.js';
import { renderList } from '../render/list-format.js';
import { executeTemplate, parseFormat, TemplateError } from '../render/template.js';
import { naturalCompare } from './container-port.js';
import { describeErrorText, shortId } from './container-util.js';

// ---------------------------------------------------------------------------------------------
// Addresses as Go's net package reads them

/** Go's net.ParseIP as bits: undefined when it is not an address (zones and spaces refused). */
export function parseGoIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  const fam = isIP(text);
  if (fam === 0 || text.includes('%')) return undefined;
  if (fam === 4) return { family: 4, value: text.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  let head = text;
  let tail4: bigint[] = [];
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    const v4 = dotted[1]!.split('.').map((o) => BigInt(Number(o)));
    tail4 = [(v4[0]! << 8n) | v4[1]!, (v4[2]! << 8n) | v4[3]!];
    head = text.slice(0, dotted.index + 1); // keeps the ':' before the dotted part
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const groups = (s: string): bigint[] => (s === '' ? [] : s.split(':').map((g) => BigInt(`0x${g}`)));
  const dbl = head.indexOf('::');
  let words: bigint[];
  if (dbl < 0) words = [...groups(head), ...tail4];
  else {
    const left = groups(head.slice(0, dbl));
    const right = [...groups(head.slice(dbl + 2)), ...tail4];
    words = [...left, ...Array<bigint>(8 - left.length - right.length).fill(0n), ...right];
  }
  const value = words.reduce((acc, w) => (acc << 16n) | w, 0n);
  // an IPv4-mapped address is an IPv4 address to Go
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

/** Go's ip.String() of an address ParseIP takes (IPv6 compressed, IPv4-mapped as dotted). */
export function canonicalIp(text: string): string {
  const ip = parseGoIp(text);
  if (ip === undefined) return text;
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  return new URL(`http://[${text}]`).hostname.slice(1, -1);
}

interface Cidr {
  family: 4 | 6;
  network: bigint;
  bits: number;
}

/** Go's net.ParseCIDR (the network, not the address); throws docker's "invalid CIDR address: x". */
function parseGoCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? undefined : parseGoIp(text.slice(0, slash));
  const len = slash < 0 ? '' : text.slice(slash + 1);
  const width = ip === undefined ? 0 : ip.family === 4 && isIP(text.slice(0, slash)) === 4 ? 32 : 128;
  if (ip === undefined || !/^\d{1,3}$/.test(len) || Number(len) > width) throw new Error(`invalid CIDR address: ${text}`);
  const bits = Number(len);
  const total = BigInt(width);
  const value = width === 128 && ip.family === 4 ? ip.value | (0xffffn << 32n) : ip.value;
  const mask = ((1n << total) - 1n) ^ ((1n << (total - BigInt(bits))) - 1n);
  return { family: width === 32 ? 4 : 6, network: value & mask, bits };
}

function cidrContains(c: Cidr, ip: { family: 4 | 6; value: bigint } | undefined): boolean {
  if (ip === undefined) return false;
  let v = ip.value;
  let width = 32n;
  if (c.family === 6) {
    width = 128n;
    if (ip.family === 4) v = ip.value | (0xffffn << 32n);
  } else if (ip.family === 6) return false;
  const mask = ((1n << width) - 1n) ^ ((1n << (width - BigInt(c.bits))) - 1n);
  return (v & mask) === c.network;
}

/** docker's subnetMatches: is `data` (an address or a CIDR) inside `subnet`. */
function subnetMatches(subnet: string, data: string): boolean {
  let s: Cidr;
  try {
    s = parseGoCidr(subnet);
  } catch (err) {
    throw new Error(`invalid subnet: ${(err as Error).message}`, { cause: err });
  }
  if (data.includes('/')) {
    parseGoCidr(data);
    return cidrContains(s, parseGoIp(data.slice(0, data.indexOf('/'))));
  }
  return cidrContains(s, parseGoIp(data));
}

/** opts.ValidateLink: `name` or `name:alias`; a flag error otherwise. */
export function validateLink(value: string, flag = '--link'): string {
  const why = value === '' ? 'empty string specified for links' : value.split(':').length > 2 ? `bad format for links: ${value}` : undefined;
  if (why !== undefined) throw new UsageError(`invalid argument "${value}" for "${flag}" flag: ${why}`);
  return value;
}

/** pflag's StringSlice: each value is a CSV record (`--subnet a,b`). */
export function csvValues(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v === '') continue;
    let field = '';
    let quoted = false;
    for (let i = 0; i < v.length; i++) {
      const c = v[i]!;
      if (quoted) {
        if (c === '"' && v[i + 1] === '"') {
          field += '"';
          i++;
        } else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"' && field === '') quoted = true;
      else if (c === ',') {
        out.push(field);
        field = '';
      } else field += c;
    }
    out.push(field);
  }
  return out;
}

/** opts.MapOpts without a validator: `k=v`, `k` means an empty value; the last one wins. */
function mapOpts(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    out[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}

/** opts.ValidateLabel then ConvertKVStringsToMap. */
function labels(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = (eq < 0 ? v : v.slice(0, eq)).trim();
    if (key === '') throw new UsageError(`invalid argument "${v}" for "--label" flag: invalid label '${v}': empty name`);
    if (/[ \t]/.test(key)) throw new UsageError(`invalid argument "${v}" for "--label" flag: label '${key}' contains whitespaces`);
    out[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}

function intFlag(p: ParsedArgs, name: string): number {
  const v = str(p, name);
  if (v === undefined) return 0;
  if (!/^[+-]?\d+$/.test(v)) throw new UsageError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

// ---------------------------------------------------------------------------------------------
// network create

interface IpamPool {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses: Record<string, string>;
}

/** docker's createIPAMConfig: one pool per subnet, each range/gateway/aux address in its subnet. */
export function ipamConfig(subnets: readonly string[], ranges: readonly string[], gateways: readonly string[], aux: Record<string, string>): Record<string, unknown>[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) throw new Error('every ip-range or gateway must have a corresponding subnet');
  const pools = new Map<string, IpamPool>();
  for (const s of subnets) {
    for (const k of pools.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new Error('multiple overlapping subnet configuration is not supported');
    }
    pools.set(s, { Subnet: s, AuxiliaryAddresses: {} });
  }
  const place = (value: string, field: 'IPRange' | 'Gateway', what: string, multiple: string): void => {
    let match = false;
    for (const s of subnets) {
      if (field === 'IPRange') parseGoCidr(value); // a range must be a CIDR, whatever the subnet
      if (!subnetMatches(s, value)) continue;
      const pool = pools.get(s)!;
      const had = pool[field];
      if (had !== undefined && had !== '') throw new Error(`cannot configure multiple ${multiple} (${value}, ${had}) ${field === 'IPRange' ? 'on' : 'for'} the same subnet (${s})`);
      pool[field] = value;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for ${what} ${value}`);
  };
  for (const r of ranges) place(r, 'IPRange', 'range', 'ranges');
  for (const g of gateways) place(g, 'Gateway', 'gateway', 'gateways');
  for (const [key, addr] of Object.entries(aux)) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, addr)) continue;
      pools.get(s)!.AuxiliaryAddresses[key] = addr;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for aux-address ${addr}`);
  }
  return [...pools.values()].map((p) => ({
    ...(p.Subnet === undefined || p.Subnet === '' ? {} : { Subnet: p.Subnet }),
    ...(p.IPRange === undefined ? {} : { IPRange: p.IPRange }),
    ...(p.Gateway === undefined ? {} : { Gateway: p.Gateway }),
    ...(Object.keys(p.AuxiliaryAddresses).length === 0 ? {} : { AuxiliaryAddresses: p.AuxiliaryAddresses }),
  }));
}

export const networkCreate: Command = {
  path: ['network', 'create'],
  usage: '[OPTIONS] NETWORK',
  short: 'Create a network',
  flags: [
    { name: 'attachable', kind: 'bool', help: 'Enable manual container attachment' },
    { name: 'aux-address', kind: 'list', valueName: 'map', help: 'Auxiliary IPv4 or IPv6 addresses used by Network driver (default map[])' },
    { name: 'config-from', kind: 'string', valueName: 'string', help: 'The network from which to copy the configuration' },
    { name: 'config-only', kind: 'bool', help: 'Create a configuration only network' },
    { name: 'driver', short: 'd', kind: 'string', valueName: 'string', help: 'Driver to manage the Network (default "bridge")' },
    { name: 'gateway', kind: 'list', valueName: 'strings', help: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'ingress', kind: 'bool', help: 'Create swarm routing-mesh network' },
    { name: 'internal', kind: 'bool', help: 'Restrict external access to the network' },
    { name: 'ip-range', kind: 'list', valueName: 'strings', help: 'Allocate container ip from a sub-range' },
    { name: 'ipam-driver', kind: 'string', valueName: 'string', help: 'IP Address Management Driver (default "default")' },
    { name: 'ipam-opt', kind: 'list', valueName: 'map', help: 'Set IPAM driver specific options (default map[])' },
    { name: 'ipv4', kind: 'bool', help: 'Enable or disable IPv4 address assignment (default true)' },
    { name: 'ipv6', kind: 'bool', help: 'Enable or disable IPv6 address assignment' },
    { name: 'label', kind: 'list', valueName: 'list', help: 'Set metadata on a network' },
    { name: 'opt', short: 'o', kind: 'list', valueName: 'map', help: 'Set driver specific options (default map[])' },
    { name: 'scope', kind: 'string', valueName: 'string', help: "Control the network's scope" },
    { name: 'subnet', kind: 'list', valueName: 'strings', help: 'Subnet in CIDR format that represents a network segment' },
  ],
  args: { exact: 1 },
  async run(ctx, p) {
    const networkLabels = labels(list(p, 'label'));
    const config = ipamConfig(csvValues(list(p, 'subnet')), csvValues(list(p, 'ip-range')), csvValues(list(p, 'gateway')), mapOpts(list(p, 'aux-address')));
    const configFrom = str(p, 'config-from') ?? '';
    const body: Record<string, unknown> = { Driver: str(p, 'driver') ?? 'bridge', Scope: str(p, 'scope') ?? '' };
    if (p.bools.has('ipv4')) body['EnableIPv4'] = bool(p, 'ipv4');
    if (p.bools.has('ipv6')) body['EnableIPv6'] = bool(p, 'ipv6');
    Object.assign(body, {
      IPAM: { Driver: str(p, 'ipam-driver') ?? 'default', Options: mapOpts(list(p, 'ipam-opt')), Config: config },
      Internal: bool(p, 'internal'),
      Attachable: bool(p, 'attachable'),
      Ingress: bool(p, 'ingress'),
      ConfigOnly: bool(p, 'config-only'),
      ConfigFrom: configFrom === '' ? null : { Network: configFrom },
      Options: mapOpts(list(p, 'opt')),
      Labels: networkLabels,
      Name: p.args[0]!,
    });
    const res = await ctx.client().createNetwork(body);
    await write(ctx.io.stdout, `${res.Id ?? ''}\n`);
    return 0;
  },
};

// ---------------------------------------------------------------------------------------------
// network ls

const NETWORK_HEADERS: Record<string, string> = {
  ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL',
  Labels: 'LABELS', CreatedAt: 'CREATED AT',
};

const NETWORK_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

/** Go's time.Time.String() of the daemon's RFC 3339 text (fraction without trailing zeros). */
export function goTimeOfRfc3339(text: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (m === null) return text;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const zone = m[4] === 'Z' ? '+0000 UTC' : `${m[4]!.replace(':', '')} ${m[4]!.replace(':', '')}`;
  return `${m[1]} ${m[2]}${frac === '' ? '' : `.${frac}`} ${zone}`;
}

/** NewFormat of docker's network formatter. */
export function networkFormat(format: string | undefined, quiet: boolean): string {
  const f = format === undefined || format === '' ? 'table' : format;
  if (f === 'table') return quiet ? '{{.ID}}' : NETWORK_TABLE;
  if (f === 'raw') return quiet ? 'network_id: {{.ID}}' : 'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n';
  return f;
}

export const networkList: Command = {
  path: ['network', 'ls'],
  aliases: [['network', 'list']],
  usage: '[OPTIONS]',
  short: 'List networks',
  flags: [
    { name: 'filter', short: 'f', kind: 'list', valueName: 'filter', help: 'Provide filter values (e.g. "driver=bridge")' },
    { name: 'format', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'no-trunc', kind: 'bool', help: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display network IDs' },
  ],
  args: { exact: 0 },
  async run(ctx, p) {
    const networks = await ctx.client().listNetworks(parseFilters(list(p, 'filter')));
    const trunc = !bool(p, 'no-trunc');
    // the field order is Go's: formatter.MarshalJSON marshals a map of the context's methods
    const rows = [...networks].sort((a, b) => naturalCompare(a.Name, b.Name)).map((n) => ({
      CreatedAt: goTimeOfRfc3339(n.Created),
      Driver: n.Driver,
      ID: trunc ? shortId(n.Id) : n.Id,
      IPv4: String(n.EnableIPv4 ?? false),
      IPv6: String(n.EnableIPv6),
      Internal: String(n.Internal),
      Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
      Name: n.Name,
      Scope: n.Scope,
    }));
    await write(ctx.io.stdout, renderList(networkFormat(str(p, 'format'), bool(p, 'quiet')), rows, NETWORK_HEADERS));
    return 0;
  },
};

// ---------------------------------------------------------------------------------------------
// network inspect

/**
 * The daemon's JSON elements as an array, re-spaced but never re-encoded: Go's json.Indent with
 * four spaces (the default output), or json.Compact (`--format json`).
 */
export function rawArray(raws: readonly string[], indent: boolean): string {
  if (raws.length === 0) return '[]\n';
  const text = `[${raws.join(',')}]`;
  let out = '';
  let depth = 0;
  let inString = false;
  const nl = (): string => (indent ? `\n${'    '.repeat(depth)}` : '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (c === '{' || c === '[') {
      let j = i + 1;
      while (j < text.length && ' \t\n\r'.includes(text[j]!)) j++;
      if (text[j] === (c === '{' ? '}' : ']')) {
        out += c + text[j]!; // empty: no line break
        i = j;
        continue;
      }
      depth++;
      out += c + nl();
    } else if (c === '}' || c === ']') {
      depth--;
      out += nl() + c;
    } else if (c === ',') out += c + nl();
    else if (c === ':') out += indent ? ': ' : ':';
    else {
      if (c === '"') inString = true;
      out += c;
    }
  }
  return `${out}\n`;
}

/** Keeps the listed keys first, in that order (Go marshals a struct in its field order). */
function ordered(o: unknown, keys: readonly string[]): Record<string, unknown> {
  const rec = o as Record<string, unknown>;
  return Object.fromEntries([...keys.filter((k) => k in rec), ...Object.keys(rec).filter((k) => !keys.includes(k))].map((k) => [k, rec[k]]));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A Go struct seen by a template: its Go field names, and its JSON (tags, field order) when marshalled. */
function goStruct(fields: Record<string, unknown>, json: Record<string, unknown>): Record<string, unknown> {
  return Object.defineProperty(fields, 'toJSON', { value: () => json, enumerable: false });
}

/** JSON decoded into Go's map[string]interface{}: `{{json}}` marshals its keys sorted. */
function goMap(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(goMap);
  if (!isRecord(v)) return v;
  return Object.fromEntries(Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => [k, goMap(v[k])]));
}

/**
 * What `-f` runs on first: docker's network.Inspect struct (`.ID`, `.Created` printed as Go's
 * time.Time, `.IPAM.Config[].AuxAddress`, JSON in the struct's field order). Where the template
 * fails on it, docker runs it again on the raw JSON (`.Id`).
 */
export function networkStructView(value: Record<string, unknown>): Record<string, unknown> {
  const TOP = ['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv4', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels', 'Peers', 'Services'];
  const json = ordered(value, TOP);
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) {
    if (k === 'Id') fields['ID'] = v;
    else if (k === 'Created' && typeof v === 'string') {
      fields[k] = goTimeOfRfc3339(v);
      json[k] = v.replace(/(\.\d*?)0+(Z|[+-])/, '$1$2').replace(/\.(Z|[+-])/, '$1'); // RFC3339Nano: no trailing zeros
    } else if (k === 'IPAM' && isRecord(v)) {
      const ipamJson = ordered(v, ['Driver', 'Options', 'Config']);
      const ipamFields = { ...ipamJson };
      if (Array.isArray(v['Config'])) {
        const pools = (v['Config'] as unknown[]).map((c) => {
          if (!isRecord(c)) return c;
          const poolJson = ordered(c, ['Subnet', 'IPRange', 'Gateway', 'AuxiliaryAddresses']);
          const { AuxiliaryAddresses: aux, ...rest } = poolJson;
          return goStruct({ Subnet: '', IPRange: '', Gateway: '', ...rest, AuxAddress: aux ?? null }, poolJson);
        });
        ipamJson['Config'] = pools;
        ipamFields['Config'] = pools;
      }
      fields[k] = goStruct(ipamFields, ipamJson);
    } else if (k === 'Containers' && isRecord(v)) {
      fields[k] = Object.fromEntries(Object.entries(v).map(([id, c]) => [id, isRecord(c) ? ordered(c, ['Name', 'EndpointID', 'MacAddress', 'IPv4Address', 'IPv6Address']) : c]));
      json[k] = fields[k];
    } else fields[k] = v;
  }
  return goStruct(fields, json);
}

export const networkInspect: Command = {
  path: ['network', 'inspect'],
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  short: 'Display detailed information on one or more networks',
  flags: [
    { name: 'format', short: 'f', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'verbose', short: 'v', kind: 'bool', help: 'Verbose output for diagnostics' },
  ],
  args: { min: 1 },
  async run(ctx, p) {
    const json = str(p, 'format') === 'json';
    const tpl = parseFormat(str(p, 'format'));
    const raws: string[] = [];
    const errors: string[] = [];
    let out = '';
    for (const name of p.args) {
      let found;
      try {
        found = await ctx.client().inspectNetwork(name, { verbose: bool(p, 'verbose') });
      } catch (err) {
        errors.push(describeErrorText(err));
        continue;
      }
      if (tpl === undefined) {
        raws.push(found.raw);
        continue;
      }
      // docker's TemplateInspector: the struct first, the raw JSON when that fails
      let text: string | undefined;
      try {
        text = executeTemplate(tpl, networkStructView(found.value), { missingKey: 'error' });
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
      }
      if (text === undefined) {
        try {
          text = executeTemplate(tpl, goMap(found.value), { missingKey: 'error' });
        } catch (err) {
          if (!(err instanceof TemplateError)) throw err;
          errors.push(`template parsing error: ${err.message.replace(/:\{COL\}/, '')}`);
          continue;
        }
      }
      out += `${text}\n`;
    }
    // an empty buffer still prints its newline ("[]" when nothing was found without a template)
    await write(ctx.io.stdout, tpl === undefined ? rawArray(raws, !json) : out === '' ? '\n' : out);
    if (errors.length > 0) {
      await write(ctx.io.stderr, `${errors.join('\n')}\n`);
      throw new ExitStatus(1);
    }
    return 0;
  },
};

// ---------------------------------------------------------------------------------------------
// network rm, prune

export const networkRemove: Command = {
  path: ['network', 'rm'],
  aliases: [['network', 'remove']],
  usage: 'NETWORK [NETWORK...]',
  short: 'Remove one or more networks',
  flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Do not error if the network does not exist' }],
  args: { min: 1 },
  async run(ctx, p) {
    let status = 0;
    for (const name of p.args) {
      try {
        await ctx.client().removeNetwork(name);
      } catch (err) {
        if (bool(p, 'force') && isDaemonError(err) && err.statusCode === 404) continue;
        await write(ctx.io.stderr, `${describeErrorText(err)}\n`);
        status = 1;
        continue;
      }
      await write(ctx.io.stdout, `${name}\n`);
    }
    if (status !== 0) {
      // cli.StatusError{Status: "exit status 1"}: docker prints its Status
      await write(ctx.io.stderr, `exit status ${status}\n`);
      throw new ExitStatus(status);
    }
    return 0;
  },
};

export const networkPrune: Command = {
  path: ['network', 'prune'],
  usage: '[OPTIONS]',
  short: 'Remove all unused networks',
  flags: [
    { name: 'filter', kind: 'list', valueName: 'filter', help: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
  ],
  args: { exact: 0 },
  async run(ctx, p) {
    const filters = parseFilters(list(p, 'filter'));
    if (!bool(p, 'force')) {
      await write(ctx.io.stdout, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
      // prompt.Confirm: only "y" (any case) confirms; a cancel is not an error
      if ((await readLine(ctx.io.stdin)).trim().toLowerCase() !== 'y') return 0;
    }
    const report = await ctx.client().pruneNetworks(filters);
    const deleted = report.NetworksDeleted ?? [];
    if (deleted.length > 0) await write(ctx.io.stdout, `Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    return 0;
  },
};

// ---------------------------------------------------------------------------------------------
// network connect, disconnect

export const networkConnect: Command = {
  path: ['network', 'connect'],
  usage: '[OPTIONS] NETWORK CONTAINER',
  short: 'Connect a container to a network',
  flags: [
    { name: 'alias', kind: 'list', valueName: 'strings', help: 'Add network-scoped alias for the container' },
    { name: 'driver-opt', kind: 'list', valueName: 'strings', help: 'driver options for the network' },
    { name: 'gw-priority', kind: 'string', valueName: 'int', help: 'Highest gw-priority provides the default gateway. Accepts positive and negative values.' },
    { name: 'ip', kind: 'string', valueName: 'string', help: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', kind: 'string', valueName: 'string', help: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: 'link', kind: 'list', valueName: 'list', help: 'Add link to another container' },
    { name: 'link-local-ip', kind: 'list', valueName: 'strings', help: 'Add a link-local address for the container' },
  ],
  args: { exact: 2 },
  async run(ctx, p) {
    const links = list(p, 'link').map((l) => validateLink(l));
    const gwPriority = intFlag(p, 'gw-priority');
    const driverOpts: Record<string, string> = {};
    for (const opt of csvValues(list(p, 'driver-opt'))) {
      const eq = opt.indexOf('=');
      const key = (eq < 0 ? opt : opt.slice(0, eq)).trim();
      if (eq < 0 || key === '') throw new Error('invalid key/value pair format in driver options');
      driverOpts[key] = opt.slice(eq + 1).trim();
    }
    const ip = str(p, 'ip') ?? '';
    const ip6 = str(p, 'ip6') ?? '';
    const linkLocal = csvValues(list(p, 'link-local-ip'));
    await ctx.client().connectNetwork(p.args[0]!, p.args[1]!, {
      IPAMConfig: {
        ...(ip === '' ? {} : { IPv4Address: ip }),
        ...(ip6 === '' ? {} : { IPv6Address: ip6 }),
        ...(linkLocal.length === 0 ? {} : { LinkLocalIPs: linkLocal }),
      },
      Links: links.length === 0 ? null : links,
      Aliases: csvValues(list(p, 'alias')),
      MacAddress: '',
      DriverOpts: driverOpts,
      GwPriority: gwPriority,
      NetworkID: '',
      EndpointID: '',
      Gateway: '',
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DNSNames: null,
    });
    return 0;
  },
};

export const networkDisconnect: Command = {
  path: ['network', 'disconnect'],
  usage: '[OPTIONS] NETWORK CONTAINER',
  short: 'Disconnect a container from a network',
  flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Force the container to disconnect from a network' }],
  args: { exact: 2 },
  async run(ctx, p) {
    await ctx.client().disconnectNetwork(p.args[0]!, p.args[1]!, bool(p, 'force'));
    return 0;
  },
};
