// `volume create/ls/inspect/rm/prune`, `system df`, `events`: docker's volume.go, formatter/volume.go,
// formatter/disk_usage.go and events.go.

import type { EventMessage } from '../../../client/index.js';
import { bool, list, parseFilters, str } from '../args.js';
import { ExitStatus, readLine, write, type Command } from '../context.js';
import { renderList } from '../render/list-format.js';
import { executeTemplate, parseTemplate } from '../render/template.js';
import { humanSize } from '../render/units.js';
import { inspectObjects, timeArg } from './container-simple.js';
import { describeErrorText } from './container-util.js';

function kvMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    out[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}

export const volumeCreate: Command = {
  path: ['volume', 'create'],
  usage: '[OPTIONS] [VOLUME]',
  short: 'Create a volume',
  flags: [
    { name: 'driver', short: 'd', kind: 'string', valueName: 'string', help: 'Specify volume driver name (default "local")' },
    { name: 'label', kind: 'list', valueName: 'list', help: 'Set metadata for a volume' },
    { name: 'name', kind: 'string', valueName: 'string', help: 'Specify volume name' },
    { name: 'opt', short: 'o', kind: 'list', valueName: 'map', help: 'Set driver specific options (default map[])' },
  ],
  args: { max: 1 },
  async run(ctx, p) {
    const flagName = str(p, 'name');
    if (flagName !== undefined && p.args[0] !== undefined) {
      throw new Error(`conflicting options: cannot specify a volume-name through both --name and as a positional arg`);
    }
    const vol = await ctx.client().createVolume({
      Driver: str(p, 'driver') ?? 'local',
      DriverOpts: kvMap(list(p, 'opt')),
      Labels: kvMap(list(p, 'label')),
      Name: flagName ?? p.args[0] ?? '',
    });
    await write(ctx.io.stdout, `${vol.Name}\n`);
    return 0;
  },
};

const VOLUME_HEADERS: Record<string, string> = {
  Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE',
  Availability: 'AVAILABILITY', Group: 'GROUP',
};

export const volumeList: Command = {
  path: ['volume', 'ls'],
  aliases: [['volume', 'list']],
  usage: '[OPTIONS]',
  short: 'List volumes',
  flags: [
    { name: 'filter', short: 'f', kind: 'list', valueName: 'filter', help: "Provide filter values (e.g. 'dangling=true')" },
    { name: 'format', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display volume names' },
  ],
  args: { exact: 0 },
  async run(ctx, p) {
    const res = await ctx.client().listVolumes(parseFilters(list(p, 'filter')));
    const vols = [...(res.Volumes ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    const rows = vols.map((v) => ({
      Name: v.Name,
      Driver: v.Driver,
      Scope: v.Scope,
      Mountpoint: v.Mountpoint,
      Labels: Object.entries(v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).join(','),
      Links: v.UsageData === undefined || v.UsageData === null ? 'N/A' : String(v.UsageData.RefCount),
      Size: v.UsageData === undefined || v.UsageData === null || v.UsageData.Size === -1 ? 'N/A' : humanSize(v.UsageData.Size),
    }));
    let format = str(p, 'format') ?? '';
    if (format === '' || format === 'table') format = bool(p, 'quiet') ? '{{.Name}}' : 'table {{.Driver}}\t{{.Name}}';
    await write(ctx.io.stdout, renderList(format, rows, VOLUME_HEADERS));
    return 0;
  },
};

export const volumeInspect: Command = {
  path: ['volume', 'inspect'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Display detailed information on one or more volumes',
  flags: [{ name: 'format', short: 'f', kind: 'string', valueName: 'string', help: 'Format output using a custom template' }],
  args: { min: 1 },
  run: (ctx, p) => inspectObjects(ctx, p, ['volume']),
};

export const volumeRemove: Command = {
  path: ['volume', 'rm'],
  aliases: [['volume', 'remove']],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Remove one or more volumes',
  flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Force the removal of one or more volumes' }],
  args: { min: 1 },
  async run(ctx, p) {
    const errors: string[] = [];
    for (const name of p.args) {
      try {
        await ctx.client().removeVolume(name, bool(p, 'force'));
        await write(ctx.io.stdout, `${name}\n`);
      } catch (err) {
        errors.push(describeErrorText(err));
      }
    }
    if (errors.length > 0) {
      await write(ctx.io.stderr, `${errors.join('\n')}\n`);
      throw new ExitStatus(1);
    }
    return 0;
  },
};

export const volumePrune: Command = {
  path: ['volume', 'prune'],
  usage: '[OPTIONS]',
  short: 'Remove unused local volumes',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'filter', kind: 'list', valueName: 'filter', help: 'Provide filter values (e.g. "label=<label>")' },
    { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
  ],
  args: { exact: 0 },
  async run(ctx, p) {
    const filters = parseFilters(list(p, 'filter'));
    if (bool(p, 'all')) {
      const version = await ctx.client().apiVersion();
      if (!(await ctx.client().supports('1.42'))) throw new Error(`"--all" requires API version 1.42, but the Docker daemon API version is ${version}`);
      filters['all'] = ['true'];
    }
    if (!bool(p, 'force')) {
      await write(ctx.io.stdout, `WARNING! This will remove ${bool(p, 'all') ? 'all local volumes not used by at least one container' : 'anonymous local volumes not used by at least one container'}.\nAre you sure you want to continue? [y/N] `);
      const answer = (await readLine(ctx.io.stdin)).trim().toLowerCase();
      if (answer !== 'y' && answer !== 'yes') return 0;
    }
    const report = await ctx.client().pruneVolumes(filters);
    let out = '';
    const deleted = report.VolumesDeleted ?? [];
    if (deleted.length > 0) out += `Deleted Volumes:\n${deleted.map((d) => `${d}\n`).join('')}\n`;
    out += `Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`;
    await write(ctx.io.stdout, out);
    return 0;
  },
};

// ---------------------------------------------------------------------------------------------
// system df

function reclaimable(size: number, total: number): string {
  if (total <= 0) return humanSize(size);
  return `${humanSize(size)} (${Math.trunc((size * 100) / total)}%)`;
}

export const systemDf: Command = {
  path: ['system', 'df'],
  usage: '[OPTIONS]',
  short: 'Show docker disk usage',
  flags: [
    { name: 'format', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'verbose', short: 'v', kind: 'bool', help: 'Show detailed information on space usage' },
  ],
  args: { exact: 0 },
  async run(ctx, p) {
    const du = await ctx.client().diskUsage();
    const images = du.Images ?? [];
    const containers = du.Containers ?? [];
    const volumes = du.Volumes ?? [];
    const cache = du.BuildCache ?? [];
    const imgSize = du.LayersSize ?? images.reduce((s, i) => s + i.Size - Math.max(0, i.SharedSize), 0);
    const imgActive = images.filter((i) => i.Containers > 0).length;
    const imgUsed = images.filter((i) => i.Containers > 0).reduce((s, i) => s + i.Size - Math.max(0, i.SharedSize), 0);
    const ctrSize = containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0);
    const ctrActive = containers.filter((c) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting').length;
    const ctrReclaim = containers.filter((c) => !(c.State === 'running' || c.State === 'paused' || c.State === 'restarting')).reduce((s, c) => s + (c.SizeRw ?? 0), 0);
    const volSize = volumes.reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
    const volActive = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length;
    const volReclaim = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
    const cacheSize = cache.reduce((s, b) => s + (b.Shared ? 0 : b.Size), 0);
    const cacheReclaim = cache.filter((b) => !b.InUse && !b.Shared).reduce((s, b) => s + b.Size, 0);
    const rows = [
      { Type: 'Images', TotalCount: String(images.length), Active: String(imgActive), Size: humanSize(imgSize), Reclaimable: reclaimable(imgSize - imgUsed, imgSize) },
      { Type: 'Containers', TotalCount: String(containers.length), Active: String(ctrActive), Size: humanSize(ctrSize), Reclaimable: reclaimable(ctrReclaim, ctrSize) },
      { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(volActive), Size: humanSize(volSize), Reclaimable: reclaimable(volReclaim, volSize) },
      { Type: 'Build Cache', TotalCount: String(cache.length), Active: String(cache.filter((b) => b.InUse).length), Size: humanSize(cacheSize), Reclaimable: humanSize(cacheReclaim) },
    ];
    const headers = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
    const format = str(p, 'format');
    await write(ctx.io.stdout, renderList(format === undefined || format === '' || format === 'table' ? 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}' : format, rows, headers));
    return 0;
  },
};

// ---------------------------------------------------------------------------------------------
// events

/** jsonmessage.RFC3339NanoFixed of a time in nanoseconds, in local time: always nine fraction digits. */
export function rfc3339Nano(timeNano: number | bigint): string {
  const ns = BigInt(timeNano);
  const secs = Number(ns / 1_000_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  const d = new Date(secs * 1000);
  const off = -d.getTimezoneOffset();
  const local = new Date(secs * 1000 + off * 60_000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${date}.${frac}${zone}`;
}

/** The default event line: `TIME TYPE ACTION ID (k=v, …)` (attributes sorted). */
export function eventLine(e: EventMessage): string {
  const attrs = Object.entries(e.Actor.Attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  const when = e.timeNanoText !== undefined && e.timeNanoText !== '0'
    ? rfc3339Nano(BigInt(e.timeNanoText))
    : e.timeNano !== undefined && e.timeNano !== 0 ? rfc3339Nano(BigInt(Math.round(e.timeNano))) : rfc3339Nano(BigInt(e.time) * 1_000_000_000n);
  return `${when} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length > 0 ? ` (${attrs.join(', ')})` : ''}\n`;
}

export const events: Command = {
  path: ['system', 'events'],
  aliases: [['events']],
  usage: '[OPTIONS]',
  short: 'Get real time events from the server',
  flags: [
    { name: 'filter', short: 'f', kind: 'list', valueName: 'filter', help: 'Filter output based on conditions provided' },
    { name: 'format', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'since', kind: 'string', valueName: 'string', help: 'Show all events created since timestamp' },
    { name: 'until', kind: 'string', valueName: 'string', help: 'Stream events until this timestamp' },
  ],
  args: { exact: 0 },
  async run(ctx, p) {
    const since = str(p, 'since');
    const until = str(p, 'until');
    let format = str(p, 'format');
    if (format === 'json') format = '{{json .}}';
    const tpl = format === undefined || format === '' ? undefined : parseTemplate(format);
    const stream = await ctx.client().events({
      ...(since === undefined ? {} : { since: timeArg(since) }),
      ...(until === undefined ? {} : { until: timeArg(until) }),
      filters: parseFilters(list(p, 'filter')),
    });
    for await (const e of stream) {
      if (tpl === undefined) {
        await write(ctx.io.stdout, eventLine(e));
        continue;
      }
      const { timeNanoText, ...data } = e;
      let text = executeTemplate(tpl, data, { missingKey: 'default' });
      // timeNano does not fit a double: put the daemon's digits back where the JSON shows it
      if (timeNanoText !== undefined) text = text.split(`"timeNano":${String(e.timeNano)}`).join(`"timeNano":${timeNanoText}`);
      await write(ctx.io.stdout, `${text}\n`);
    }
    return 0;
  },
};
