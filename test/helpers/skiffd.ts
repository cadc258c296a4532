// A private skiffd for tests: temp data root, exec root and socket (short path under /tmp), started
// from bin/skiffd, ready when /_ping answers, stopped by its PID with SIGTERM in the cleanup, and
// checked to have exited 0 and removed its socket. Also runs the real docker CLI against it.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { MNT_DETACH, mountPoints, umount } from '../../src/sys/index.js';
import { killPid } from './cleanup.js';
import { repoRoot } from './repo.js';

export interface Skiffd {
  dir: string;
  socket: string;
  host: string;
  dataRoot: string;
  execRoot: string;
  process: ChildProcess;
  log(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface CmdResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCmd(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string; timeoutMs?: number } = {}): Promise<CmdResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => { if (child.pid !== undefined) killPid(child.pid); }, opts.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => {}); // the command may exit before reading all of its input
    child.stdin.end(opts.input ?? '');
  });
}

function api(socket: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
    req.end();
  });
}

const generations = new Map<string, number>();

/**
 * A test that failed while its daemon was down leaves running containers (live restore): start a
 * daemon on the dir once more to remove them.
 */
async function removeLeftoverContainers(dir: string, configFile: string): Promise<void> {
  const left = await readdir(join(dir, 'data', 'containers')).catch(() => [] as string[]);
  if (left.length === 0) return;
  const socket = join(dir, 'cleanup.sock');
  const child = spawn(join(repoRoot(), 'bin', 'skiffd'), ['-H', `unix://${socket}`, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'x'), '--config-file', configFile], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (let i = 0; i < 400 && !(await ping(socket)); i++) await new Promise((r) => setTimeout(r, 25));
    await removeAllContainers(socket).catch(() => undefined);
  } finally {
    if (child.pid !== undefined) killPid(child.pid, 'SIGTERM');
    await exited;
  }
}

/** Unmounts whatever is left under a daemon's directory and removes it. */
export async function removeDaemonDir(dir: string): Promise<void> {
  for (const m of mountPoints().filter((p) => p.startsWith(`${dir}/`)).reverse()) {
    try { umount(m, MNT_DETACH); } catch { /* already gone */ }
  }
  await rm(dir, { recursive: true, force: true });
}

/** DELETE ?force=1 of every container the daemon knows. */
export async function removeAllContainers(socket: string): Promise<void> {
  const list = await api(socket, 'GET', '/containers/json?all=1');
  if (list.status !== 200) return;
  for (const c of JSON.parse(list.body) as { Id: string }[]) await api(socket, 'DELETE', `/containers/${c.Id}?force=1`);
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('error', () => resolve(false));
    req.end();
  });
}

export async function startSkiffd(t: TestContext, opts: { args?: string[]; dir?: string; daemonJson?: object } = {}): Promise<Skiffd> {
  const dir = opts.dir ?? await mkdtemp('/tmp/skd-');
  const generation = (generations.get(dir) ?? 0) + 1;
  generations.set(dir, generation);
  const socket = join(dir, 's.sock');
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'x');
  const configFile = join(dir, 'daemon.json');
  await writeFile(configFile, JSON.stringify(opts.daemonJson ?? {}));
  const child = spawn(join(repoRoot(), 'bin', 'skiffd'),
    ['-H', `unix://${socket}`, '--data-root', dataRoot, '--exec-root', execRoot, '--config-file', configFile, ...(opts.args ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => { log += s; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) killPid(child.pid, 'SIGTERM');
    return exited;
  };
  // One hook, in order: containers (they outlive the daemon: live restore), the daemon, then its
  // mounts and directory (node:test runs after-hooks first-registered first).
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) await removeAllContainers(socket).catch(() => undefined);
    const timer = setTimeout(() => { if (child.pid !== undefined) killPid(child.pid); }, 10_000);
    await stop();
    clearTimeout(timer);
    // The last daemon started on this dir cleans it up (after-hooks run first-registered first).
    if (generations.get(dir) === generation) {
      generations.delete(dir);
      await removeLeftoverContainers(dir, configFile);
      await removeDaemonDir(dir);
    }
  });
  for (let i = 0; !(await ping(socket)); i++) {
    if (child.exitCode !== null) throw new Error(`skiffd exited with ${child.exitCode}: ${log}`);
    if (i > 400) throw new Error(`skiffd did not answer on ${socket}: ${log}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { dir, socket, host: `unix://${socket}`, dataRoot, execRoot, process: child, log: () => log, stop };
}

/** The docker CLI against a daemon, with a private, empty client config. */
export function docker(d: Pick<Skiffd, 'host' | 'dir'>, args: string[], opts: { input?: Buffer | string; timeoutMs?: number } = {}): Promise<CmdResult> {
  return runCmd('docker', ['-H', d.host, ...args], {
    env: { ...process.env, DOCKER_CONFIG: join(d.dir, 'docker-config'), DOCKER_CLI_HINTS: 'false' },
    ...opts,
  });
}

export const haveDockerCli = existsSync('/usr/bin/docker') ? false : 'the docker CLI is not installed (scripts/install-system-deps.sh)';

/**
 * A busybox image made from /bin/busybox and `docker import`ed into the daemon as `tag`: the applets
 * named as links, /tmp, and `files` (e.g. etc/passwd) written under the root; ENV PATH=/bin plus
 * `changes`. The temp dir goes in t.after.
 */
export async function importBusybox(t: { after: (fn: () => Promise<void>) => void }, d: Pick<Skiffd, 'host' | 'dir'>, tag: string,
  opts: { applets: readonly string[]; files?: Record<string, string>; changes?: readonly string[] }): Promise<string> {
  const dir = await mkdtemp('/tmp/skiff-bb-rootfs-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  for (const sub of ['bin', 'tmp']) await mkdir(join(root, sub), { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of opts.applets) await symlink('busybox', join(root, 'bin', applet));
  for (const [path, text] of Object.entries(opts.files ?? {})) {
    await mkdir(join(root, dirname(path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  const tar = join(dir, 'rootfs.tar');
  const packed = await runCmd('tar', ['-C', root, '-cf', tar, '.']);
  if (packed.code !== 0) throw new Error(`tar: ${packed.stderr}`);
  const changes = ['ENV PATH=/bin', ...(opts.changes ?? [])].flatMap((c) => ['-c', c]);
  const imported = await docker(d, ['import', ...changes, tar, tag]);
  if (imported.code !== 0) throw new Error(`docker import: ${imported.stderr}${imported.stdout}`);
  return tag;
}

/** Polls `docker logs` (stdout and stderr together) until it holds `text`; fails after `waitMs`. */
export async function logsHold(d: Pick<Skiffd, 'host' | 'dir'>, id: string, text: string, waitMs = 20_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const r = await docker(d, ['logs', id]);
    if ((r.stdout + r.stderr).includes(text)) return;
    if (Date.now() > deadline) throw new Error(`logs of ${id} never held ${JSON.stringify(text)}: ${JSON.stringify(r)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
