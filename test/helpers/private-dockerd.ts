// A private dockerd for tests that compare skiff's CLI with docker's: its own socket, data root,
// exec root and pidfile under one short temp dir, no bridge, no iptables, no masquerading, so
// nothing of the host's docker (if any) is touched. Stopped by its pid in t.after; whatever it
// left mounted under its dir is unmounted; only processes whose command line names the dir (its
// containerd) are killed.

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { cleanupFor, killPid, type Cleanup } from './cleanup.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  timeoutMs?: number;
}

/** Runs a command to completion; never rejects (the exit code is in the result). */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20, encoding: 'buffer' },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 255;
        resolve({ code, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8'), stdoutBytes: stdout });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

export const haveDockerd = existsSync('/usr/sbin/dockerd') && existsSync('/usr/bin/docker')
  ? false
  : 'docker.io is not installed (scripts/install-system-deps.sh)';

export interface PrivateDockerd {
  /** The private temp dir (short: the socket path must stay below 108 bytes). */
  dir: string;
  /** `unix:///tmp/…/docker.sock` */
  host: string;
  pid: number;
  cleanup: Cleanup;
  /** Runs the docker CLI against this daemon (with a private DOCKER_CONFIG). */
  docker(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  env: NodeJS.ProcessEnv;
}

/** Pids whose command line mentions `marker` (a private dir): e.g. the containerd a dockerd left. */
export function pidsMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(marker)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Lazily unmounts everything at or below `dir`, deepest first. */
export async function unmountBelow(dir: string): Promise<void> {
  const targets = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of targets) await runCommand('umount', ['-l', m]);
}

/** Starts dockerd on private state and waits until it answers. */
export async function startPrivateDockerd(t: TestContext, opts: { daemonConfig?: Record<string, unknown> } = {}): Promise<PrivateDockerd> {
  const cleanup = cleanupFor(t);
  const dir = mkdtempSync(join('/tmp', 'skcli-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }), `rm ${dir}`);
  const sock = join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify(opts.daemonConfig ?? {}));
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(dir, 'cli') };
  delete env['DOCKER_CONTEXT'];
  const daemon = spawn(
    'dockerd',
    [
      '--host', host, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'docker.pid'), '--config-file', join(dir, 'daemon.json'),
      '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const pid = daemon.pid;
  if (pid === undefined) throw new Error('spawning dockerd failed');
  let log = '';
  daemon.stderr.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  cleanup.add(() => unmountBelow(dir), 'unmount'); // runs after dockerd is gone
  cleanup.add(async () => {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      killPid(pid, 'SIGTERM');
      const timer = setTimeout(() => killPid(pid, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    for (const p of pidsMentioning(dir)) killPid(p); // its containerd, if it outlived it
  }, 'stop dockerd');
  const docker = (args: readonly string[], o: RunOptions = {}): Promise<RunResult> => runCommand('docker', ['-H', host, ...args], { env, ...o });
  for (let i = 0; ; i++) {
    if ((await docker(['version'])).code === 0) break;
    if (daemon.exitCode !== null) throw new Error(`dockerd exited: ${log}`);
    if (i > 300) throw new Error(`dockerd did not answer on ${sock}: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { dir, host, pid, cleanup, docker, env };
}
