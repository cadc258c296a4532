// The terminal side of attach, run and exec (docker's hijack.go): the output of the hijacked
// connection goes to stdout/stderr (stdcopy frames without a tty, raw bytes with one); with stdin
// attached it is copied to the connection and the write side is half-closed at EOF. A tty on a
// terminal puts stdin in raw mode and sends the size now and on SIGWINCH.

import { execFileSync } from 'node:child_process';
import type { Socket } from 'node:net';
import type { ReadStream } from 'node:tty';
import { demultiplex, type HijackedConnection } from '../../../client/index.js';
import type { CliContext } from '../context.js';

export interface StreamOptions {
  tty: boolean;
  stdin: boolean;
  /** --detach-keys (docker's default ctrl-p,ctrl-q); watched on stdin when it is a terminal with a tty. */
  detachKeys?: string;
}

/** `ctrl-p,ctrl-q` → the bytes (moby/term ToBytes): `ctrl-a`…`ctrl-z`, `ctrl-@`, `ctrl-[`…`ctrl-_`, single characters. */
export function detachKeyBytes(keys: string): number[] {
  const out: number[] = [];
  for (const raw of keys.split(',')) {
    const k = raw.trim();
    if (k.length > 1 && k.startsWith('ctrl-')) {
      const c = k.slice(5);
      if (c.length !== 1) throw new Error(`Unknown character: '${k}'`);
      const code = c.toLowerCase().charCodeAt(0);
      if (code >= 0x61 && code <= 0x7a) out.push(code - 0x61 + 1);
      else if (c === '@') out.push(0);
      else if (c.charCodeAt(0) >= 0x5b && c.charCodeAt(0) <= 0x5f) out.push(c.charCodeAt(0) - 0x40);
      else throw new Error(`Unknown character: '${k}'`);
    } else if (k.length === 1) {
      out.push(k.charCodeAt(0));
    } else {
      throw new Error(`Unknown character: '${k}'`);
    }
  }
  return out;
}

/**
 * moby/term's escape proxy: bytes that could start the detach sequence are held back; a full
 * match means "detach" (nothing of it is sent), a mismatch releases them.
 */
export class EscapeProxy {
  private matched = 0;
  constructor(private readonly keys: readonly number[]) {}

  /** The bytes to forward, and whether the sequence was completed. */
  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (this.keys.length > 0 && b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      if (this.matched > 0) {
        out.push(...this.keys.slice(0, this.matched));
        this.matched = 0;
        if (b === this.keys[0]) {
          this.matched = 1;
          continue;
        }
      }
      out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

function writeTo(stream: NodeJS.WritableStream, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(data)) resolve();
    else stream.once('drain', () => resolve());
  });
}

/** Puts a terminal stdin in raw mode; returns the undo. */
export function rawStdin(ctx: CliContext): () => void {
  const stdin = ctx.io.stdin as ReadStream;
  if (!ctx.io.isStdinTty || typeof stdin.setRawMode !== 'function') return () => undefined;
  // libuv's raw mode keeps output post-processing (ONLCR); docker's (moby/term MakeRaw) turns it off,
  // so "\n" from the container is not made "\r\n" a second time. stty does that part, on fd 0.
  let saved: string | undefined;
  try {
    saved = execFileSync('stty', ['-g'], { stdio: [0, 'pipe', 'ignore'] }).toString().trim();
  } catch {
    saved = undefined;
  }
  stdin.setRawMode(true);
  if (saved !== undefined) {
    try {
      execFileSync('stty', ['-opost'], { stdio: [0, 'ignore', 'ignore'] });
    } catch {
      // leave output processing as it is
    }
  }
  return () => {
    stdin.setRawMode(false);
    if (saved !== undefined) {
      try {
        execFileSync('stty', [saved], { stdio: [0, 'ignore', 'ignore'] });
      } catch {
        // the terminal went away
      }
    }
  };
}

/** Sends the terminal size now and on every SIGWINCH; returns the undo. */
export function monitorTtySize(ctx: CliContext, resize: (h: number, w: number) => Promise<void>): () => void {
  const out = ctx.io.stdout as NodeJS.WriteStream;
  if (!ctx.io.isStdoutTty || typeof out.getWindowSize !== 'function') return () => undefined;
  const send = (): void => {
    const [w, h] = out.getWindowSize();
    resize(h, w).catch(() => undefined);
  };
  send();
  process.on('SIGWINCH', send);
  return () => process.off('SIGWINCH', send);
}

/** The terminal's [height, width] when stdout is one, for ConsoleSize. */
export function consoleSize(ctx: CliContext): [number, number] | undefined {
  const out = ctx.io.stdout as NodeJS.WriteStream;
  if (!ctx.io.isStdoutTty || typeof out.getWindowSize !== 'function') return undefined;
  const [w, h] = out.getWindowSize();
  return [h, w];
}

/**
 * Copies between the terminal and the hijacked connection; resolves when the output side ended
 * (docker's holdHijackedConnection). Stdin reaching EOF half-closes the connection.
 */
export async function holdHijacked(ctx: CliContext, conn: HijackedConnection, opts: StreamOptions): Promise<'done' | 'detached'> {
  const socket: Socket = conn.socket;
  const stdin = ctx.io.stdin;
  let onStdinData: ((c: Buffer) => void) | undefined;
  let onStdinEnd: (() => void) | undefined;
  let detached = false;
  const escape = opts.tty && ctx.io.isStdinTty ? new EscapeProxy(detachKeyBytes(opts.detachKeys ?? 'ctrl-p,ctrl-q')) : undefined;
  if (opts.stdin) {
    onStdinData = (chunk: Buffer): void => {
      let c = chunk;
      if (escape !== undefined) {
        const r = escape.feed(chunk);
        c = r.forward;
        if (r.detach) {
          detached = true;
          if (c.length > 0 && !socket.destroyed) socket.write(c);
          socket.destroy();
          return;
        }
      }
      if (!socket.destroyed && !socket.writableEnded) {
        if (!socket.write(c)) {
          stdin.pause();
          socket.once('drain', () => stdin.resume());
        }
      }
    };
    onStdinEnd = (): void => {
      if (!socket.destroyed && !socket.writableEnded) socket.end();
    };
    stdin.on('data', onStdinData);
    stdin.once('end', onStdinEnd);
    stdin.resume();
  }
  const output = (async (): Promise<void> => {
    const multiplexed = conn.multiplexed === true || !opts.tty;
    if (multiplexed) {
      await demultiplex(socket, (which, data) => writeTo(which === 'stdout' ? ctx.io.stdout : ctx.io.stderr, data));
    } else {
      for await (const chunk of socket) await writeTo(ctx.io.stdout, chunk as Buffer);
    }
  })();
  try {
    await output;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (!detached && code !== 'ECONNRESET' && code !== 'EPIPE' && code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  } finally {
    if (onStdinData !== undefined) stdin.off('data', onStdinData);
    if (onStdinEnd !== undefined) stdin.off('end', onStdinEnd);
    if (opts.stdin) stdin.pause();
    socket.destroy();
  }
  return detached ? 'detached' : 'done';
}

/** docker's sig-proxy: signals the CLI gets are sent to the container (not with a tty). */
export function proxySignals(send: (signal: string) => Promise<void>): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = signals.map((sig) => {
    const h = (): void => {
      send(sig).catch(() => undefined);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}
