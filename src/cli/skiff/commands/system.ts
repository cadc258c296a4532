// `info` and `version`: docker's text layouts of GET /info and GET /version.

import { CLIENT_API_VERSION, type VersionResponse } from '../../../client/index.js';
import { str } from '../args.js';
import { write, type CliContext, type Command } from '../context.js';
import { tabwrite } from '../render/tabwriter.js';
import { ansic, bytesSize } from '../render/units.js';
import { renderTemplate } from '../render/template.js';
import { errorText } from './image-inspect.js';

export const SKIFF_VERSION = '0.1.0';

type Info = Record<string, unknown>;
const s = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Info => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Info) : {});

function titleKey(k: string): string {
  return k === '' ? k : k[0]!.toUpperCase() + k.slice(1);
}

/** The "Server:" part of `docker info` (prettyPrintServerInfo) for the fields the daemon sent. */
export function renderServerInfo(info: Info): string {
  const lines: string[] = ['Server:'];
  const add = (label: string, value: unknown): void => {
    lines.push(` ${label}: ${s(value)}`);
  };
  add('Containers', info['Containers']);
  lines.push(`  Running: ${s(info['ContainersRunning'])}`, `  Paused: ${s(info['ContainersPaused'])}`, `  Stopped: ${s(info['ContainersStopped'])}`);
  add('Images', info['Images']);
  add('Server Version', info['ServerVersion']);
  add('Storage Driver', info['Driver']);
  for (const pair of arr(info['DriverStatus'])) {
    const [k, v] = arr(pair);
    lines.push(`  ${s(k)}: ${s(v)}`);
  }
  if (info['LoggingDriver'] !== undefined) add('Logging Driver', info['LoggingDriver']);
  if (info['CgroupDriver'] !== undefined) add('Cgroup Driver', info['CgroupDriver']);
  if (info['CgroupVersion'] !== undefined) add('Cgroup Version', info['CgroupVersion']);
  const plugins = obj(info['Plugins']);
  lines.push(' Plugins:');
  lines.push(`  Volume: ${arr(plugins['Volume']).map(s).join(' ')}`);
  lines.push(`  Network: ${arr(plugins['Network']).map(s).join(' ')}`);
  if (arr(plugins['Authorization']).length > 0) lines.push(`  Authorization: ${arr(plugins['Authorization']).map(s).join(' ')}`);
  if (arr(plugins['Log']).length > 0) lines.push(`  Log: ${arr(plugins['Log']).map(s).join(' ')}`);
  const swarm = obj(info['Swarm']);
  add('Swarm', swarm['LocalNodeState'] ?? 'inactive');
  const runtimes = Object.keys(obj(info['Runtimes'])).sort();
  if (runtimes.length > 0) add('Runtimes', runtimes.join(' '));
  if (info['DefaultRuntime'] !== undefined) add('Default Runtime', info['DefaultRuntime']);
  if (info['InitBinary'] !== undefined) add('Init Binary', info['InitBinary']);
  for (const [label, key] of [['containerd version', 'ContainerdCommit'], ['runc version', 'RuncCommit'], ['init version', 'InitCommit']] as const) {
    if (info[key] !== undefined) lines.push(` ${label}: ${s(obj(info[key])['ID'])}`);
  }
  const security = arr(info['SecurityOptions']).map(s);
  if (security.length > 0) {
    lines.push(' Security Options:');
    for (const opt of security) {
      const kv = opt.split(',').map((p) => p.split('='));
      const name = kv.find(([k]) => k === 'name')?.[1] ?? opt;
      lines.push(`  ${name}`);
      for (const [k, v] of kv) if (k !== 'name' && k !== undefined) lines.push(`   ${titleKey(k)}: ${v ?? ''}`);
    }
  }
  add('Kernel Version', info['KernelVersion']);
  add('Operating System', info['OperatingSystem']);
  add('OSType', info['OSType']);
  add('Architecture', info['Architecture']);
  add('CPUs', info['NCPU']);
  add('Total Memory', bytesSize(Number(info['MemTotal'] ?? 0)));
  add('Name', info['Name']);
  add('ID', info['ID']);
  add('Docker Root Dir', info['DockerRootDir']);
  add('Debug Mode', info['Debug'] ?? false);
  for (const [label, key] of [['HTTP Proxy', 'HttpProxy'], ['HTTPS Proxy', 'HttpsProxy'], ['No Proxy', 'NoProxy']] as const) {
    if (s(info[key]) !== '') add(label, info[key]);
  }
  const labels = arr(info['Labels']);
  if (labels.length > 0) {
    lines.push(' Labels:');
    for (const l of labels) lines.push(`  ${s(l)}`);
  }
  add('Experimental', info['ExperimentalBuild'] ?? false);
  const registry = obj(info['RegistryConfig']);
  const insecure = [
    ...Object.values(obj(registry['IndexConfigs'])).map(obj).filter((c) => c['Secure'] === false).map((c) => s(c['Name'])),
    ...arr(registry['InsecureRegistryCIDRs']).map(s),
  ];
  if (insecure.length > 0) {
    lines.push(' Insecure Registries:');
    for (const r of insecure) lines.push(`  ${r}`);
  }
  const mirrors = arr(registry['Mirrors']);
  if (mirrors.length > 0) {
    lines.push(' Registry Mirrors:');
    for (const m of mirrors) lines.push(`  ${s(m)}`);
  }
  add('Live Restore Enabled', info['LiveRestoreEnabled'] ?? false);
  return `${lines.join('\n')}\n`;
}

export const info: Command = {
  path: ['system', 'info'],
  aliases: [['info']],
  usage: '[OPTIONS]',
  short: 'Display system-wide information',
  flags: [{ name: 'format', short: 'f', kind: 'string', valueName: 'string', help: 'Format output using a custom template' }],
  args: { exact: 0 },
  async run(ctx, p) {
    const format = str(p, 'format');
    const clientInfo = { Version: SKIFF_VERSION, Context: 'default', Debug: false, Plugins: [] };
    if (format !== undefined && format !== '') {
      const data = await ctx.client().info();
      const tpl = format === 'json' ? '{{json .}}' : format;
      await write(ctx.io.stdout, `${renderTemplate(tpl, { ...data, ClientInfo: clientInfo }, { missingKey: 'error' })}\n`);
      return 0;
    }
    await write(ctx.io.stdout, `Client:\n Version:    ${SKIFF_VERSION}\n Context:    default\n Debug Mode: false\n\n`);
    const data = await ctx.client().info();
    await write(ctx.io.stdout, `${renderServerInfo(data)}\n`);
    const warnings = arr(data['Warnings']).map(s);
    if (warnings.length > 0) await write(ctx.io.stderr, `${warnings.join('\n')}\n`);
    return 0;
  },
};

/** The "Server:" part of `docker version`, laid out by the tabwriter (minwidth 20, padding 1). */
export function renderServerVersion(v: VersionResponse): string {
  const lines: string[] = [`Server:${v.Platform?.Name !== undefined && v.Platform.Name !== '' ? ` ${v.Platform.Name}` : ''}`];
  const components = v.Components ?? [{
    Name: 'Engine', Version: v.Version,
    Details: {
      ApiVersion: v.ApiVersion, MinAPIVersion: v.MinAPIVersion ?? '', GoVersion: v.GoVersion, GitCommit: v.GitCommit,
      BuildTime: v.BuildTime ?? '', Os: v.Os, Arch: v.Arch, Experimental: String(v.Experimental ?? false),
    },
  }];
  for (const c of components) {
    const d = c.Details ?? {};
    lines.push(` ${c.Name}:`);
    if (c.Name === 'Engine') {
      lines.push(`  Version:\t${c.Version}`);
      lines.push(`  API version:\t${d['ApiVersion'] ?? ''} (minimum version ${d['MinAPIVersion'] ?? ''})`);
      lines.push(`  Go version:\t${d['GoVersion'] ?? ''}`);
      lines.push(`  Git commit:\t${d['GitCommit'] ?? ''}`);
      lines.push(`  Built:\t${ansic(d['BuildTime'] ?? '')}`);
      lines.push(`  OS/Arch:\t${d['Os'] ?? ''}/${d['Arch'] ?? ''}`);
      lines.push(`  Experimental:\t${d['Experimental'] ?? ''}`);
    } else {
      lines.push(`  Version:\t${c.Version}`);
      for (const k of Object.keys(d).sort()) lines.push(`  ${k}:\t${d[k]}`);
    }
  }
  return tabwrite(`${lines.join('\n')}\n`, { minWidth: 20, padding: 1 });
}

async function clientSection(ctx: CliContext, apiVersion: string): Promise<string> {
  const downgraded = apiVersion !== CLIENT_API_VERSION ? ` (downgraded from ${CLIENT_API_VERSION})` : '';
  const lines = [
    'Client:',
    ` Version:\t${SKIFF_VERSION}`,
    ` API version:\t${apiVersion}${downgraded}`,
    ` Node version:\t${process.version}`,
    ` OS/Arch:\t${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    ` Context:\tdefault`,
  ];
  void ctx;
  return tabwrite(`${lines.join('\n')}\n`, { minWidth: 20, padding: 1 });
}

export const version: Command = {
  path: ['version'],
  usage: '[OPTIONS]',
  short: 'Show the Docker version information',
  flags: [{ name: 'format', short: 'f', kind: 'string', valueName: 'string', help: 'Format output using a custom template' }],
  args: { exact: 0 },
  async run(ctx, p) {
    const client = ctx.client();
    let server: VersionResponse | undefined;
    let error: unknown;
    let apiVersion = CLIENT_API_VERSION;
    try {
      apiVersion = await client.apiVersion();
      server = await client.version();
    } catch (err) {
      error = err;
    }
    const format = str(p, 'format');
    if (format !== undefined && format !== '') {
      // Templates see Go's field names (APIVersion) while `json` prints the JSON tags (ApiVersion):
      // the Go names are added as non-enumerable properties, so only templates see them.
      const goNames = <T extends object>(o: T): T => {
        const api = (o as { ApiVersion?: unknown }).ApiVersion;
        if (api !== undefined) Object.defineProperty(o, 'APIVersion', { value: api, enumerable: false });
        return o;
      };
      const client = goNames({ Version: SKIFF_VERSION, ApiVersion: apiVersion, DefaultAPIVersion: CLIENT_API_VERSION, Os: process.platform, Arch: process.arch });
      const data = { Client: client, Server: server === undefined ? null : goNames({ ...server }) };
      await write(ctx.io.stdout, `${renderTemplate(format === 'json' ? '{{json .}}' : format, data, { missingKey: 'error' })}\n`);
    } else {
      await write(ctx.io.stdout, await clientSection(ctx, apiVersion));
      if (server !== undefined) await write(ctx.io.stdout, `\n${renderServerVersion(server)}`);
    }
    if (error !== undefined) {
      await write(ctx.io.stderr, `${errorText(error)}\n`);
      return 1;
    }
    return 0;
  },
};
