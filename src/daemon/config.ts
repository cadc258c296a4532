// skiffd's configuration: flags over daemon.json over defaults, one schema (zod), docker's keys where
// they exist. Unknown keys and bad values are refused with the key's name.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SkiffError } from '../base/index.js';

export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  debug: boolean;
  storageDriver: 'overlay' | 'copy';
  insecureRegistries: string[];
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  labels: string[];
  configFile: string;
  /** Registry CAs in docker's certs.d layout (`<dir>/<host:port>/ca.crt`). */
  certsDir: string;
  /** Parent cgroup of containers (docker's cgroup-parent; docker's default is "docker"). */
  cgroupParent: string;
  /** The default network's Linux bridge (docker's `bridge`; default skiff0). */
  bridge: string;
  /** The default network's subnet from docker's `bip` (gateway/prefix), when given. */
  bridgeSubnet?: string;
}

export const DEFAULTS = {
  hosts: ['unix:///run/skiff/skiff.sock'],
  dataRoot: '/var/lib/skiff',
  execRoot: '/run/skiff',
  configFile: '/etc/skiff/daemon.json',
  certsDir: '/etc/skiff/certs.d',
};

const fileSchema = z.strictObject({
  hosts: z.array(z.string()).optional(),
  'data-root': z.string().startsWith('/').optional(),
  'exec-root': z.string().startsWith('/').optional(),
  'log-level': z.enum(['debug', 'info', 'warn', 'error', 'fatal']).optional(),
  debug: z.boolean().optional(),
  'storage-driver': z.enum(['overlay', 'overlay2', 'overlayfs', 'copy', 'vfs']).optional(),
  'insecure-registries': z.array(z.string()).optional(),
  'max-concurrent-downloads': z.number().int().min(1).max(64).optional(),
  'max-concurrent-uploads': z.number().int().min(1).max(64).optional(),
  labels: z.array(z.string()).optional(),
  bridge: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'a Linux interface name of at most 15 characters').optional(),
  bip: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'an address with a prefix length, such as 172.26.0.1/16').optional(),
  'cgroup-parent': z.string().regex(/^\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'a cgroup path such as "skiff" or "/skiff/engine"').optional(),
});

type FileConfig = z.infer<typeof fileSchema>;

export interface Flags {
  hosts?: string[];
  dataRoot?: string;
  execRoot?: string;
  configFile?: string;
  logLevel?: string;
  debug?: boolean;
  storageDriver?: string;
  insecureRegistries?: string[];
}

function readFileConfig(path: string, explicit: boolean): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return {};
    throw new SkiffError('InvalidArgument', `unable to read the configuration file ${path}: ${(err as Error).message}`, { path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SkiffError('InvalidArgument', `unable to parse the configuration file ${path}: ${(err as Error).message}`, { path });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const unknown = parsed.error.issues.filter((i) => i.code === 'unrecognized_keys').flatMap((i) => (i as { keys: string[] }).keys);
    if (unknown.length > 0) {
      throw new SkiffError('InvalidArgument', `the following directives don't match any configuration option: ${unknown.join(', ')}`, { path, field: unknown[0]! });
    }
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join('.');
    throw new SkiffError('InvalidArgument', `${path}: ${key}: ${issue.message}`, { path, field: key });
  }
  return parsed.data;
}

function driverOf(v: string | undefined, where: string): 'overlay' | 'copy' | undefined {
  if (v === undefined) return undefined;
  if (['overlay', 'overlay2', 'overlayfs'].includes(v)) return 'overlay';
  if (['copy', 'vfs'].includes(v)) return 'copy';
  throw new SkiffError('InvalidArgument', `${where}: unknown storage driver ${JSON.stringify(v)} (overlay or copy)`, { field: 'storage-driver' });
}

export function resolveConfig(flags: Flags): DaemonConfig {
  const configFile = flags.configFile ?? DEFAULTS.configFile;
  const file = readFileConfig(configFile, flags.configFile !== undefined);
  if (flags.hosts !== undefined && flags.hosts.length > 0 && file.hosts !== undefined) {
    throw new SkiffError('InvalidArgument', `the following directives are specified both as a flag and in the configuration file: hosts: (from flag: ${JSON.stringify(flags.hosts)}, from file: ${JSON.stringify(file.hosts)})`, { field: 'hosts' });
  }
  const logLevel = (flags.logLevel ?? file['log-level'] ?? (flags.debug === true || file.debug === true ? 'debug' : 'info'));
  if (!['debug', 'info', 'warn', 'error', 'fatal'].includes(logLevel)) {
    throw new SkiffError('InvalidArgument', `unable to parse logging level: ${logLevel}`, { field: 'log-level' });
  }
  return {
    hosts: flags.hosts !== undefined && flags.hosts.length > 0 ? flags.hosts : file.hosts ?? DEFAULTS.hosts,
    dataRoot: flags.dataRoot ?? file['data-root'] ?? DEFAULTS.dataRoot,
    execRoot: flags.execRoot ?? file['exec-root'] ?? DEFAULTS.execRoot,
    logLevel: logLevel as DaemonConfig['logLevel'],
    debug: flags.debug ?? file.debug ?? false,
    storageDriver: driverOf(flags.storageDriver, '--storage-driver') ?? driverOf(file['storage-driver'], configFile) ?? 'overlay',
    insecureRegistries: [...(file['insecure-registries'] ?? []), ...(flags.insecureRegistries ?? [])],
    maxConcurrentDownloads: file['max-concurrent-downloads'] ?? 3,
    maxConcurrentUploads: file['max-concurrent-uploads'] ?? 5,
    labels: file.labels ?? [],
    configFile,
    certsDir: DEFAULTS.certsDir,
    cgroupParent: (file['cgroup-parent'] ?? 'skiff').replace(/^\//, ''),
    bridge: file.bridge ?? 'skiff0',
    ...(file.bip === undefined ? {} : { bridgeSubnet: subnetOf(file.bip) }),
  };
}

/** `unix:///path` → the socket path; other schemes are refused. */
export function socketPathOf(host: string): string {
  const m = /^unix:\/\/(\/.+)$/.exec(host);
  if (m === null) throw new SkiffError('InvalidArgument', `unsupported host ${JSON.stringify(host)}: only unix:///path sockets are served`, { field: 'hosts' });
  return m[1]!;
}

/** docker's bip (the gateway with the network's prefix) → the subnet. */
function subnetOf(bip: string): string {
  const [ip, bits] = bip.split('/') as [string, string];
  const n = Number(bits);
  if (n < 8 || n > 30) throw new SkiffError('InvalidArgument', `bip: prefix length ${bits} is out of range (8-30)`, { field: 'bip' });
  const int = ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  const base = (int & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (base >>> s) & 255).join('.')}/${n}`;
}
