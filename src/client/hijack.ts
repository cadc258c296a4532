// The HTTP hijack of attach and exec-start: one request on a fresh connection with
// `Connection: Upgrade` / `Upgrade: tcp`; after `101 Switching Protocols` (or a plain 200 from old
// daemons) the connection is the raw stream in both directions. undici does not hand out upgraded
// sockets well, so this speaks HTTP/1.1 itself over node:net.

import { connect, type Socket } from 'node:net';
import { SkiffError } from '../base/index.js';
import { DaemonError, errorMessageOf } from './errors.js';
import type { DaemonAddress } from './types.js';

export interface HijackRequest {
  method: 'POST' | 'GET';
  /** Path with the version prefix and query string. */
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface HijackedConnection {
  socket: Socket;
  statusCode: number;
  headers: Record<string, string>;
  /** The stream is multiplexed (stdcopy frames): `application/vnd.docker.multiplexed-stream`. */
  multiplexed: boolean | undefined;
}

function parseHead(head: string): { statusCode: number; headers: Record<string, string> } {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (m === null) throw new SkiffError('Internal', `bad status line from daemon: ${JSON.stringify(lines[0] ?? '')}`);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  return { statusCode: Number(m[1]), headers };
}

function decodeChunked(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let off = 0;
  for (;;) {
    const nl = buf.indexOf('\r\n', off);
    if (nl < 0) break;
    const size = parseInt(buf.subarray(off, nl).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(buf.subarray(nl + 2, nl + 2 + size));
    off = nl + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function openSocket(address: DaemonAddress): Socket {
  if (address.kind === 'unix') return connect({ path: address.socketPath });
  const url = new URL(address.origin);
  return connect({ host: url.hostname, port: Number(url.port === '' ? 80 : url.port) });
}

/**
 * Sends the request and resolves with the raw connection once the daemon switched protocols.
 * An error status (≥ 400) rejects with a DaemonError carrying the daemon's message.
 */
export function hijack(address: DaemonAddress, req: HijackRequest, userAgent: string): Promise<HijackedConnection> {
  return new Promise((resolve, reject) => {
    const socket = openSocket(address);
    let buffered: Buffer = Buffer.alloc(0);
    let done = false;
    const fail = (err: unknown): void => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(err);
    };
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code;
      if (code === 'ECONNREFUSED' || code === 'ENOENT') {
        fail(new SkiffError('Unavailable', `Cannot connect to the Docker daemon at ${address.display}. Is the docker daemon running?`, { cause: err }));
      } else if (code === 'EACCES') {
        fail(new SkiffError('Unavailable', `permission denied while trying to connect to the Docker daemon socket at ${address.display}`, { cause: err }));
      } else {
        fail(err);
      }
    });
    socket.once('connect', () => {
      const body = req.body ?? '';
      const host = address.kind === 'unix' ? 'api.moby.localhost' : new URL(address.origin).host;
      const headers: Record<string, string> = {
        Host: host,
        'User-Agent': userAgent,
        'Content-Type': 'application/json',
        Connection: 'Upgrade',
        Upgrade: 'tcp',
        'Content-Length': String(Buffer.byteLength(body)),
        ...(req.headers ?? {}),
      };
      const head = `${req.method} ${req.path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
      socket.write(head + body);
    });
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      let parsed;
      try {
        parsed = parseHead(buffered.subarray(0, end).toString('latin1'));
      } catch (err) {
        fail(err);
        return;
      }
      const rest = buffered.subarray(end + 4);
      if (parsed.statusCode >= 400) {
        readErrorBody(socket, rest, parsed.headers).then(
          (text) => fail(new DaemonError(parsed.statusCode, errorMessageOf(parsed.statusCode, parsed.headers['content-type'], text))),
          fail,
        );
        return;
      }
      done = true;
      socket.removeAllListeners('error');
      if (rest.length > 0) socket.unshift(rest);
      const ct = parsed.headers['content-type'];
      resolve({
        socket,
        statusCode: parsed.statusCode,
        headers: parsed.headers,
        multiplexed: ct === undefined ? undefined : ct.includes('multiplexed-stream'),
      });
    };
    socket.on('data', onData);
  });
}

function readErrorBody(socket: Socket, first: Buffer, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    let body = first;
    const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
    const chunked = (headers['transfer-encoding'] ?? '').includes('chunked');
    const finish = (): void => resolve((chunked ? decodeChunked(body) : body).toString('utf8'));
    const check = (): boolean => {
      if (length !== undefined && body.length >= length) return true;
      if (chunked && body.includes('0\r\n\r\n')) return true;
      return false;
    };
    if (check()) {
      finish();
      return;
    }
    socket.on('data', (c: Buffer) => {
      body = Buffer.concat([body, c]);
      if (check()) finish();
    });
    socket.once('end', finish);
    socket.once('close', finish);
    socket.resume();
  });
}
