// The CNI 1.0 exec protocol (containernetworking/cni SPEC.md, libcni): each plugin of a conflist is
// run with CNI_COMMAND and friends in its environment and its network configuration on stdin; for
// ADD the plugins run in order, each given the previous one's result as `prevResult`, and the last
// result is cached so that CHECK and DEL (plugins in reverse order) get it even after a daemon
// restart. Capability arguments (portMappings…) reach only the plugins that declare them, as
// `runtimeConfig`. A plugin's error is its exit status plus a JSON body {code, msg, details}.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError, validateContainerId } from '../../base/index.js';
import { writeFileAtomic } from '../../sys/index.js';
import type { CniResult, NetworkConfigList, PluginConfig } from './types.js';

export const DEFAULT_PLUGIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];

export interface CniRunnerOptions {
  /** Where plugin binaries are looked up, in order (CNI_PATH). */
  pluginDirs?: readonly string[];
  /** Cached ADD results, one JSON file per attachment (libcni's results/). */
  cacheDir: string;
  /** Milliseconds a plugin may run. Default 60 s. */
  timeoutMs?: number;
}

export interface Attachment {
  containerId: string;
  /** Path of the pinned network namespace. */
  netns: string;
  ifName: string;
  /** CNI_ARGS as key/value pairs (`IgnoreUnknown`, `K8S_POD_NAME`…). */
  args?: Record<string, string>;
  /** Capability arguments: `portMappings`, `ips`, `mac`, `dns`… */
  capabilityArgs?: Record<string, unknown>;
}

interface CacheEntry {
  kind: 'cniCacheV1';
  containerId: string;
  ifName: string;
  networkName: string;
  netns: string;
  cniArgs: Record<string, string>;
  capabilityArgs: Record<string, unknown>;
  config: NetworkConfigList;
  result: CniResult;
}

type Command = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

export class CniRunner {
  private readonly pluginDirs: readonly string[];
  private readonly timeoutMs: number;

  constructor(private readonly opts: CniRunnerOptions) {
    this.pluginDirs = opts.pluginDirs ?? DEFAULT_PLUGIN_DIRS;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** Attaches the namespace to the network; on failure what was added is deleted again. */
  async add(list: NetworkConfigList, a: Attachment): Promise<CniResult> {
    validateAttachment(a);
    let prev: CniResult | undefined;
    try {
      for (const plugin of list.plugins) {
        prev = await this.exec('ADD', this.pluginInput(list, plugin, a, prev), plugin.type, a);
      }
    } catch (err) {
      await this.runDel(list, a, prev).catch(() => {});
      throw err;
    }
    const result = prev ?? { cniVersion: list.cniVersion };
    await mkdir(this.opts.cacheDir, { recursive: true, mode: 0o700 });
    const entry: CacheEntry = {
      kind: 'cniCacheV1', containerId: a.containerId, ifName: a.ifName, networkName: list.name, netns: a.netns,
      cniArgs: a.args ?? {}, capabilityArgs: a.capabilityArgs ?? {}, config: list, result,
    };
    await writeFileAtomic(this.cachePath(list.name, a), JSON.stringify(entry), 0o600);
    return result;
  }

  /** Checks an attachment against its cached result (CNI CHECK). */
  async check(list: NetworkConfigList, a: Attachment): Promise<void> {
    validateAttachment(a);
    const cached = await this.cached(list.name, a.containerId, a.ifName);
    if (cached === undefined) throw new SkiffError('NotFound', `network ${list.name}: no cached result for ${a.containerId}/${a.ifName}`);
    for (const plugin of list.plugins) await this.exec('CHECK', this.pluginInput(list, plugin, a, cached.result), plugin.type, a);
  }

  /**
   * Detaches (plugins in reverse order, with the cached result). Idempotent: deleting what is not
   * there succeeds, as the spec requires of plugins; the cache entry goes last.
   */
  async del(list: NetworkConfigList, a: Attachment): Promise<void> {
    validateAttachment(a);
    const cached = await this.cached(list.name, a.containerId, a.ifName);
    await this.runDel(cached?.config ?? list, { ...a, capabilityArgs: a.capabilityArgs ?? cached?.capabilityArgs }, cached?.result);
    await rm(this.cachePath(list.name, a), { force: true });
  }

  /**
   * The cached attachments, of one container or of all (reconcile after a restart: what was
   * attached when we went down). One container's are picked by file name, without reading the rest.
   */
  async cachedAttachments(containerId?: string): Promise<{ networkName: string; containerId: string; ifName: string; netns: string; result: CniResult; capabilityArgs: Record<string, unknown> }[]> {
    let names: string[];
    try {
      names = await readdir(this.opts.cacheDir);
    } catch {
      return [];
    }
    const out = [];
    for (const name of names) {
      if (!name.endsWith('.json') || (containerId !== undefined && !name.includes(`-${containerId}-`))) continue;
      try {
        const e = JSON.parse(await readFile(join(this.opts.cacheDir, name), 'utf8')) as CacheEntry;
        if (containerId !== undefined && e.containerId !== containerId) continue;
        out.push({ networkName: e.networkName, containerId: e.containerId, ifName: e.ifName, netns: e.netns, result: e.result, capabilityArgs: e.capabilityArgs ?? {} });
      } catch {
        // a torn or foreign file: reconcile will not act on it
      }
    }
    return out;
  }

  async cached(networkName: string, containerId: string, ifName: string): Promise<CacheEntry | undefined> {
    try {
      return JSON.parse(await readFile(this.cachePath(networkName, { containerId, ifName }), 'utf8')) as CacheEntry;
    } catch {
      return undefined;
    }
  }

  private async runDel(list: NetworkConfigList, a: Attachment, prev: CniResult | undefined): Promise<void> {
    const errors: string[] = [];
    for (const plugin of [...list.plugins].reverse()) {
      try {
        await this.exec('DEL', this.pluginInput(list, plugin, a, prev), plugin.type, a);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (errors.length > 0) throw new SkiffError('Internal', errors.join('; '));
  }

  private cachePath(networkName: string, a: Pick<Attachment, 'containerId' | 'ifName'>): string {
    return join(this.opts.cacheDir, `${networkName}-${a.containerId}-${a.ifName}.json`);
  }

  /** The stdin of one plugin: its own config plus name, cniVersion, prevResult and runtimeConfig. */
  private pluginInput(list: NetworkConfigList, plugin: PluginConfig, a: Attachment, prev: CniResult | undefined): Record<string, unknown> {
    const input: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
    if (prev !== undefined) input['prevResult'] = prev;
    const runtimeConfig: Record<string, unknown> = {};
    for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) {
      if (on && a.capabilityArgs?.[cap] !== undefined) runtimeConfig[cap] = a.capabilityArgs[cap];
    }
    if (Object.keys(runtimeConfig).length > 0) input['runtimeConfig'] = runtimeConfig;
    return input;
  }

  private findPlugin(type: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(type)) throw new SkiffError('InvalidArgument', `plugins[].type: invalid plugin name ${JSON.stringify(type)}`, { field: 'type' });
    for (const dir of this.pluginDirs) {
      const path = join(dir, type);
      if (existsSync(path)) return path;
    }
    throw new SkiffError('NotFound', `failed to find plugin "${type}" in path [${this.pluginDirs.join(' ')}]`);
  }

  private exec(command: Command, input: Record<string, unknown>, type: string, a: Attachment): Promise<CniResult> {
    const bin = this.findPlugin(type);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: a.containerId,
      CNI_NETNS: a.netns,
      CNI_IFNAME: a.ifName,
      CNI_PATH: this.pluginDirs.join(':'),
    };
    const args = Object.entries(a.args ?? {}).map(([k, v]) => `${k}=${v}`).join(';');
    if (args !== '') env['CNI_ARGS'] = args;
    return new Promise((resolve, reject) => {
      const child = spawn(bin, [], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: this.timeoutMs });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.once('error', (e) => reject(new SkiffError('Internal', `plugin ${type} (${command}): ${e.message}`, { cause: e })));
      child.once('close', (code, signal) => {
        const stdout = Buffer.concat(out).toString();
        if (code === 0) {
          if (command !== 'ADD' || stdout.trim() === '') return resolve({ cniVersion: String(input['cniVersion']) });
          try {
            return resolve(JSON.parse(stdout) as CniResult);
          } catch {
            return reject(new SkiffError('Internal', `plugin ${type} (${command}): result is not JSON: ${stdout.slice(0, 200)}`));
          }
        }
        reject(pluginError(type, command, code, signal, stdout, Buffer.concat(err).toString()));
      });
      child.stdin.on('error', () => {}); // a plugin that exits without reading its config
      child.stdin.end(JSON.stringify(input));
    });
  }
}

function pluginError(type: string, command: Command, code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string): SkiffError {
  let text = stderr.trim() || `exit ${signal ?? code}`;
  try {
    const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
    if (e.msg !== undefined) text = e.details ? `${e.msg}: ${e.details}` : e.msg;
  } catch {
    // not a CNI error body: keep stderr or the exit status
  }
  return new SkiffError('Internal', `plugin type="${type}" failed (${command.toLowerCase()}): ${text}`);
}

function validateAttachment(a: Attachment): void {
  validateContainerId(a.containerId);
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(a.ifName) || a.ifName === '.' || a.ifName === '..') {
    throw new SkiffError('InvalidArgument', `ifName: invalid interface name ${JSON.stringify(a.ifName)}`, { field: 'ifName' });
  }
}
