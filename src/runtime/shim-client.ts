// The client side of a detached skiff-shim's control socket (native/src/shim.c): every request is one
// 16-byte message and gets one reply, on a connection of its own, so any process (skiffd after a
// restart, a test) can reach a running container's monitor. An attach turns its connection into the
// container's I/O stream: output in docker's stdcopy frames (no tty) or raw (tty), stdin the other way,
// and a half-close of the sending side as stdin's EOF when the container has stdin-once.

import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { SkiffError } from '../base/index.js';
import { encodeMessage, MSG } from './shim-process.js';

export const ATTACH = { STDIN: 1, STDOUT: 2, STDERR: 4, FRAMED: 8 } as const;

export interface AttachOptions {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** docker's multiplexed stream (8-byte headers); false for a tty, whose stream is raw. */
  framed?: boolean;
}

function connectTo(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ path });
    sock.once('connect', () => {
      sock.removeListener('error', reject);
      resolve(sock);
    });
    sock.once('error', (err: NodeJS.ErrnoException) =>
      reject(new SkiffError(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'NotFound' : 'Unavailable', `shim at ${path}: ${err.message}`, { cause: err })),
    );
  });
}

/** Reads exactly one 16-byte reply; leaves any later bytes unread on the socket. */
function readReply(sock: Socket): Promise<{ kind: number; a: number }> {
  return new Promise((resolve, reject) => {
    const onReadable = (): void => {
      const buf = sock.read(16) as Buffer | null;
      if (buf === null) return;
      cleanup();
      resolve({ kind: buf.readUInt32LE(0), a: buf.readInt32LE(4) });
    };
    const onEnd = (): void => {
      cleanup();
      reject(new SkiffError('Unavailable', 'the shim closed the connection without a reply'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      sock.removeListener('readable', onReadable);
      sock.removeListener('end', onEnd);
      sock.removeListener('error', onError);
    };
    sock.on('readable', onReadable);
    sock.once('end', onEnd);
    sock.once('error', onError);
    onReadable();
  });
}

function errnoError(what: string, errno: number): SkiffError {
  return new SkiffError(errno === 3 ? 'NotFound' : 'FailedPrecondition', `${what}: errno ${errno}`);
}

export class ShimClient {
  /**
   * `exitFile`: where the shim records the init's wait status before it exits. The shim is gone once
   * the container has exited and everything is delivered, so wait() then reads the status from it.
   */
  constructor(readonly socketPath: string, readonly exitFile?: string) {}

  /** The recorded wait status, or undefined while the container runs. */
  async exitStatus(): Promise<number | undefined> {
    if (this.exitFile === undefined) return undefined;
    try {
      return Number((await readFile(this.exitFile, 'utf8')).trim());
    } catch {
      return undefined;
    }
  }

  private async request(kind: number, a = 0, b = 0): Promise<{ kind: number; a: number }> {
    const sock = await connectTo(this.socketPath);
    try {
      sock.write(encodeMessage(kind, a, b));
      return await readReply(sock);
    } finally {
      sock.destroy();
    }
  }

  /** The container init's pid (host view). */
  async pid(): Promise<number> {
    return (await this.request(MSG.GET_PID)).a;
  }

  async kill(signal: number): Promise<void> {
    const r = await this.request(MSG.KILL, signal);
    if (r.a !== 0) throw errnoError(`kill ${signal}`, r.a);
  }

  /** Resolves with the raw wait status once the init has exited (at once if it already has). */
  async wait(signal?: AbortSignal): Promise<number> {
    try {
      return await this.waitOnSocket(signal);
    } catch (err) {
      // the shim exits right after recording the status: a connection it never accepted is reset
      const recorded = await this.exitStatus();
      if (recorded !== undefined && !signal?.aborted) return recorded;
      throw err;
    }
  }

  private async waitOnSocket(signal?: AbortSignal): Promise<number> {
    const sock = await connectTo(this.socketPath);
    const abort = (): void => {
      sock.destroy(new SkiffError('Cancelled', 'wait cancelled'));
    };
    signal?.addEventListener('abort', abort, { once: true });
    try {
      sock.write(encodeMessage(MSG.WAIT));
      const r = await readReply(sock);
      if (r.kind !== MSG.EXITED) throw new SkiffError('Internal', `unexpected reply ${r.kind} to wait`);
      return r.a;
    } finally {
      signal?.removeEventListener('abort', abort);
      sock.destroy();
    }
  }

  async resize(rows: number, cols: number): Promise<void> {
    const r = await this.request(MSG.RESIZE, rows, cols);
    if (r.a !== 0) throw errnoError('resize', r.a);
  }

  async closeStdin(): Promise<void> {
    await this.request(MSG.CLOSE_STDIN);
  }

  /** A stream of the container's I/O; end() it (half-close) to send stdin's EOF. */
  async attach(opts: AttachOptions): Promise<Socket> {
    const flags = (opts.stdin === true ? ATTACH.STDIN : 0) | (opts.stdout === true ? ATTACH.STDOUT : 0) |
      (opts.stderr === true ? ATTACH.STDERR : 0) | (opts.framed === true ? ATTACH.FRAMED : 0);
    const sock = await connectTo(this.socketPath);
    sock.setNoDelay?.(true);
    try {
      sock.write(encodeMessage(MSG.ATTACH, flags));
      const r = await readReply(sock);
      if (r.a !== 0) throw errnoError('attach', r.a);
      return sock;
    } catch (err) {
      sock.destroy();
      throw err;
    }
  }
}
