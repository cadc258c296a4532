// ~/.docker/config.json (or $DOCKER_CONFIG/config.json): the `auths` the docker CLI keeps. Other keys
// are kept as they are. Writes are atomic: a temp file in the same directory (mode 0600), fsync, rename.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AuthConfig } from '../../client/index.js';

export interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; email?: string }>;
  [key: string]: unknown;
}

export function configDir(env: NodeJS.ProcessEnv): string {
  const dir = env['DOCKER_CONFIG'];
  return dir !== undefined && dir !== '' ? dir : join(env['HOME'] ?? homedir(), '.docker');
}

export function configPath(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'config.json');
}

export function readConfig(env: NodeJS.ProcessEnv): DockerConfigFile {
  let text: string;
  try {
    text = readFileSync(configPath(env), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  if (text.trim() === '') return {};
  return JSON.parse(text) as DockerConfigFile;
}

export function writeConfig(env: NodeJS.ProcessEnv, config: DockerConfigFile): void {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, 'config.json');
  const temp = join(dir, `.config.json.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(config, null, '\t')}\n`);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** The stored credentials for a config.json key, as X-Registry-Auth wants them. */
export function credentialsFor(env: NodeJS.ProcessEnv, key: string): AuthConfig | undefined {
  let config: DockerConfigFile;
  try {
    config = readConfig(env);
  } catch {
    return undefined;
  }
  const entry = config.auths?.[key];
  if (entry === undefined) return undefined;
  const out: AuthConfig = { serveraddress: key };
  if (entry.auth !== undefined && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      out.username = decoded.slice(0, colon);
      out.password = decoded.slice(colon + 1);
    }
  }
  if (entry.identitytoken !== undefined && entry.identitytoken !== '') out.identitytoken = entry.identitytoken;
  return out;
}
