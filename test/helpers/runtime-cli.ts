// Drives a runc-compatible runtime binary: `<runtime> --root <private state dir> <verb> …` with a
// timeout, capturing exit code, stdout and stderr. Every container id it hands out is deleted
// (`delete --force`) and its cgroups removed by the test's Cleanup.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { once } from 'node:events';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { State } from '../../src/oci/index.js';
import { CGROUP_PARENT, makeTempDir } from './bundle.js';
import { killPid, type Cleanup } from './cleanup.js';

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface CliOptions {
  timeoutMs?: number;
  /** Written to the runtime's stdin (which the container inherits); otherwise stdin is /dev/null. */
  input?: string;
  cwd?: string;
}

/** Accumulates a stream (a container's stdout) and lets a test wait for a line it prints. */
export class OutputReader {
  private buf = '';
  private readonly waiters = new Set<() => void>();
  readonly ended: Promise<void>;

  constructor(readonly stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      for (const w of this.waiters) w();
    });
    this.ended = new Promise((resolve) => {
      stream.on('close', () => {
        resolve();
        for (const w of this.waiters) w();
      });
    });
  }

  text(): string {
    return this.buf;
  }

  /** Resolves with the text once it matches; rejects at the deadline or at EOF without a match. */
  waitFor(pattern: RegExp, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    return new Promise((resolve, reject) => {
      let closed = false;
      const check = (): void => {
        if (pattern.test(this.buf)) finish(() => resolve(this.buf));
        else if (this.stream.destroyed || closed) finish(() => reject(new Error(`output ended before ${pattern}: ${JSON.stringify(this.buf)}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}: ${JSON.stringify(this.buf)}`))),
        timeoutMs,
      );
      const finish = (fn: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        fn();
      };
      void this.ended.then(() => {
        closed = true;
      });
      this.waiters.add(check);
      check();
    });
  }
}

let counter = 0;

export class RuntimeCli {
  private constructor(
    readonly bin: string,
    /** The private --root state directory. */
    readonly root: string,
    private readonly tmp: string,
    private readonly cleanup: Cleanup,
  ) {}

  static async create(cleanup: Cleanup, bin: string): Promise<RuntimeCli> {
    const tmp = await makeTempDir(cleanup, 'skiff-runtime-');
    const root = path.join(tmp, 'state');
    await fs.mkdir(root, { mode: 0o700 });
    return new RuntimeCli(bin, root, tmp, cleanup);
  }

  /** A fresh container id; pass it to track() before creating the container. */
  newId(tag = 'c'): string {
    return `${tag}-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`;
  }

  /** Registers `delete --force` and cgroup removal of the container for the end of the test. */
  track(id: string): void {
    this.cleanup.add(() => this.forget(id), `delete ${id}`);
  }

  private async forget(id: string): Promise<void> {
    const res = await this.cli(['delete', '--force', id]);
    if (res.code !== 0 && !/does not exist/.test(res.stderr)) {
      throw new Error(`delete --force ${id} failed (${res.code}): ${res.stderr}`);
    }
    await removeTestCgroups(id);
  }

  /** Runs one verb to completion (exit and EOF on stdout). */
  async cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
    const { result } = await this.spawnCli(args, opts, 'close');
    return result;
  }

  /**
   * Runs a verb whose container outlives it (`create`, `run --detach`, `exec --detach`): resolves when
   * the runtime exits, with the container's stdout (which it inherited) still readable.
   */
  async cliDetached(args: string[], opts: CliOptions = {}): Promise<CliResult & { output: OutputReader }> {
    const { result, output } = await this.spawnCli(args, opts, 'exit');
    return { ...result, output };
  }

  private async spawnCli(
    args: string[],
    opts: CliOptions,
    until: 'close' | 'exit',
  ): Promise<{ result: CliResult; output: OutputReader }> {
    // stderr goes to a file: a container sharing it must not keep us waiting, and everything the
    // runtime wrote before exiting is in it.
    const errFile = path.join(this.tmp, `stderr-${++counter}`);
    const errHandle = await fs.open(errFile, 'w+');
    let timedOut = false;
    try {
      const child = spawn(this.bin, ['--root', this.root, ...args], {
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', errHandle.fd],
        cwd: opts.cwd,
      });
      const output = new OutputReader(child.stdout!);
      // A container that inherited stdout outlives a detached verb; destroy the pipe at the end.
      if (until === 'exit') this.cleanup.add(() => void child.stdout?.destroy(), 'close stdout');
      if (opts.input !== undefined) child.stdin!.end(opts.input);
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) killPid(child.pid);
      }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      try {
        const [code, signal] = (await once(child, until)) as [number | null, NodeJS.Signals | null];
        const stderr = await fs.readFile(errFile, 'utf8');
        return { result: { code, signal, stdout: output.text(), stderr, timedOut }, output };
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await errHandle.close();
    }
  }

  async state(id: string): Promise<State> {
    const res = await this.cli(['state', id]);
    if (res.code !== 0) throw new Error(`state ${id} failed (${res.code}): ${res.stderr}`);
    return JSON.parse(res.stdout) as State;
  }

  /**
   * Polls `state` until the status is reached. runc offers no `wait` verb, so a bounded poll is the
   * only event there is.
   */
  async waitForStatus(id: string, status: State['status'], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<State> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = await this.state(id);
      if (st.status === status) return st;
      if (Date.now() > deadline) throw new Error(`${id} still ${st.status} after ${timeoutMs} ms, want ${status}`);
      await delay(20);
    }
  }

  /** Throws with the runtime's stderr unless it exited 0. */
  async ok(args: string[], opts: CliOptions = {}): Promise<CliResult> {
    const res = await this.cli(args, opts);
    if (res.code !== 0) {
      throw new Error(`${path.basename(this.bin)} ${args.join(' ')} exited ${res.code}: ${res.stderr}${res.stdout}`);
    }
    return res;
  }
}

/** Cgroup hierarchies mounted on this host (v1 controllers and/or the v2 unified tree). */
export async function cgroupMounts(): Promise<string[]> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const fstype = post.split(' ')[0];
    if (fstype === 'cgroup' || fstype === 'cgroup2') out.push(pre.split(' ')[4]!);
  }
  return out;
}

/**
 * Removes /skiff-test/<id> in every hierarchy, then the parent if empty. If the runtime left
 * processes behind (a failed delete), they are the test's own: thaw and kill them, then fail the
 * test, since a runtime must not leak.
 */
export async function removeTestCgroups(id: string): Promise<void> {
  const leaks: string[] = [];
  const mounts = await cgroupMounts();
  for (const mnt of mounts) {
    const dir = path.join(mnt, CGROUP_PARENT, id);
    const procs = await fs.readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    const pids = procs.split('\n').filter(Boolean).map(Number);
    if (pids.length > 0) {
      leaks.push(`${dir}: processes ${pids.join(',')}`);
      await fs.writeFile(path.join(dir, 'freezer.state'), 'THAWED').catch(() => undefined);
      await fs.writeFile(path.join(dir, 'cgroup.freeze'), '0').catch(() => undefined);
      for (const pid of pids) killPid(pid);
    }
  }
  for (const mnt of mounts) {
    const dir = path.join(mnt, CGROUP_PARENT, id);
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.rmdir(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        // Tasks that just got SIGKILL linger until they are fully gone; retry for a bounded time.
        if (code === 'EBUSY' && attempt < 100) {
          await delay(20);
          continue;
        }
        leaks.push(`${dir}: ${code}`);
        break;
      }
    }
    await fs.rmdir(path.join(mnt, CGROUP_PARENT)).catch(() => undefined);
  }
  if (leaks.length > 0) throw new Error(`runtime left cgroups or processes behind: ${leaks.join('; ')}`);
}
