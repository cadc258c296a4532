// Drives one skiff-shim process: sends the plan, answers its sync points, and reports how the launch
// ended (created, exec'd, exited, or the failing op with its errno). The shim's stdio and extra fds are
// laid out here: 0-2 stdio, 3..3+N-1 preserved fds, then the control socket, then extra fds.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Duplex } from 'node:stream';

export const MSG = {
  SYNC: 2, INIT_PID: 3, ERROR: 4, CREATED: 5, EXECED: 6, EXITED: 7, OK: 8, PID: 9,
  GO: 100, ABORT: 101, WAIT: 200, KILL: 201, GET_PID: 202, ATTACH: 203, RESIZE: 204, CLOSE_STDIN: 205,
} as const;

export interface ShimMessage {
  kind: number;
  a: number;
  b: number;
  c: number;
}

export function encodeMessage(kind: number, a = 0, b = 0, c = 0): Buffer {
  const buf = Buffer.alloc(16);
  buf.writeUInt32LE(kind, 0);
  buf.writeInt32LE(a, 4);
  buf.writeInt32LE(b, 8);
  buf.writeInt32LE(c, 12);
  return buf;
}

/** A step of the plan failed in the shim or its children. */
export class ShimStepError extends Error {
  constructor(readonly opIndex: number, readonly errno: number, readonly detail: number) {
    super(`plan op ${opIndex} failed with errno ${errno}`);
    this.name = 'ShimStepError';
  }
}

export type LaunchOutcome =
  | { kind: 'created'; pid: number }
  | { kind: 'execed'; pid: number }
  | { kind: 'exited'; pid: number; status: number };

export interface ShimLaunchOptions {
  shimPath: string;
  plan: Uint8Array;
  /** The shim's (and so the container's) fds 0, 1, 2. */
  stdio: [StdioOptions[number], StdioOptions[number], StdioOptions[number]];
  /** Host fds handed to the container as 3, 4, … (--preserve-fds). */
  preservedFds: readonly number[];
  /** Host fds the plan refers to; they land after the control socket, see fdNumberOf. */
  extraFds: readonly (number | Duplex)[];
  detached: boolean;
  /** Called at each sync point with the waiting pid; the shim continues when it resolves. */
  onSync: (point: number, pid: number) => Promise<void>;
  onInitPid?: (pid: number) => void;
}

/** fd number in the shim of extraFds[i]. */
export function extraFdNumber(preserveFds: number, index: number): number {
  return 3 + preserveFds + 1 + index;
}

export class ShimProcess {
  readonly child: ChildProcess;
  private readonly control: Duplex;
  private pending: Buffer = Buffer.alloc(0);
  private initPid = 0;
  private settled = false;
  private exitStatus: number | undefined;
  private exitWaiters: ((status: number) => void)[] = [];
  private resolveLaunch!: (o: LaunchOutcome) => void;
  private rejectLaunch!: (e: Error) => void;
  /** Resolves when the init is created (waits on the exec fifo) or has exec'd, or exited early. */
  readonly launched: Promise<LaunchOutcome>;

  constructor(private readonly opts: ShimLaunchOptions) {
    this.launched = new Promise((resolve, reject) => {
      this.resolveLaunch = resolve;
      this.rejectLaunch = reject;
    });
    const stdio = [...opts.stdio, ...opts.preservedFds, 'pipe', ...opts.extraFds] as StdioOptions;
    const controlFd = 3 + opts.preservedFds.length;
    this.child = spawn(opts.shimPath, [String(controlFd)], { stdio, detached: opts.detached });
    this.control = this.child.stdio[controlFd] as Duplex;
    const header = Buffer.alloc(4);
    header.writeUInt32LE(opts.plan.length, 0);
    this.control.write(Buffer.concat([header, opts.plan]));
    this.control.on('data', (chunk: Buffer) => this.onData(chunk));
    this.control.on('error', () => {});
    this.child.on('error', (err) => this.fail(err));
    this.child.on('exit', (code, signal) => {
      if (!this.settled) {
        this.fail(new Error(`skiff-shim exited ${signal ?? code} before the container started`));
      }
      if (this.exitStatus === undefined && this.exitWaiters.length > 0) {
        // the monitor died without reporting: report what its own exit says
        const status = code !== null ? (code << 8) : 0x7f;
        this.setExit(status);
      }
    });
  }

  get pid(): number {
    return this.initPid;
  }

  /** Raw wait status of the container init (foreground/shim modes). */
  waitExit(): Promise<number> {
    if (this.exitStatus !== undefined) return Promise.resolve(this.exitStatus);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /** Lets the shim's process exit without holding the caller's event loop. */
  unref(): void {
    this.child.unref();
    (this.control as unknown as { unref?: () => void }).unref?.();
  }

  private setExit(status: number): void {
    this.exitStatus = status;
    for (const w of this.exitWaiters.splice(0)) w(status);
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectLaunch(err);
  }

  private succeed(o: LaunchOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveLaunch(o);
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 16) {
      const m: ShimMessage = {
        kind: this.pending.readUInt32LE(0),
        a: this.pending.readInt32LE(4),
        b: this.pending.readInt32LE(8),
        c: this.pending.readInt32LE(12),
      };
      this.pending = this.pending.subarray(16);
      this.onMessage(m);
    }
  }

  private onMessage(m: ShimMessage): void {
    switch (m.kind) {
      case MSG.SYNC:
        this.opts.onSync(m.a, m.b).then(
          () => this.control.write(encodeMessage(MSG.GO)),
          (err: unknown) => {
            this.control.write(encodeMessage(MSG.ABORT));
            this.fail(err instanceof Error ? err : new Error(String(err)));
          },
        );
        return;
      case MSG.INIT_PID:
        this.initPid = m.a;
        this.opts.onInitPid?.(m.a);
        return;
      case MSG.ERROR:
        this.fail(new ShimStepError(m.a, m.b, m.c));
        return;
      case MSG.CREATED:
        this.succeed({ kind: 'created', pid: this.initPid });
        return;
      case MSG.EXECED:
        this.succeed({ kind: 'execed', pid: this.initPid });
        return;
      case MSG.EXITED:
        this.succeed({ kind: 'exited', pid: this.initPid, status: m.a });
        this.setExit(m.a);
        return;
      default:
        return;
    }
  }
}

/** Decodes a raw wait status the way a shell reports it: code, or 128 + signal. */
export function exitCodeOf(status: number): number {
  const signal = status & 0x7f;
  if (signal === 0) return (status >> 8) & 0xff;
  return 128 + signal;
}
