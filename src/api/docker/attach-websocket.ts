// GET /containers/{id}/attach/ws: docker's attach over a websocket (moby api/server/router/container
// wsContainersAttach, daemon/attach.go ContainerAttach). The handshake and framing are the `ws`
// package's; this file decides what flows: errors found before the handshake (bad detach keys, no such
// container, paused, not a websocket request) are ordinary HTTP replies; after it, `logs` replays the
// json log, `stream` splices the live I/O. The streams are never multiplexed: each output chunk is one
// frame of the bytes the container wrote (binary frames from API 1.28, text before), each frame the
// client sends is written to the container's stdin. The websocket is closed (1000) when the container's
// output ends (it exited), after the replay when not streaming, or on the tty's detach keys; a client
// that closes it ends the attach (stdin's EOF for a StdinOnce container).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished, type Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { SkiffError } from '../../base/index.js';
import type { ContainerService } from '../../engine/index.js';
import { boolParam, type ApiRequest } from './http.js';
import { escapeFilter, parseDetachKeys } from './detach-keys.js';

/** What server.ts hands over with an upgrade request: its first bytes and how to own the socket. */
export interface UpgradeOffer {
  head: Buffer;
  /** Takes the socket from the HTTP machinery (closed with the server's hijacked connections). */
  adopt(): Duplex;
}

const offers = new WeakMap<IncomingMessage, UpgradeOffer>();

/** Called by the server for every upgrade request before it is routed. */
export function offerUpgrade(raw: IncomingMessage, offer: UpgradeOffer): void {
  offers.set(raw, offer);
}

// No permessage-deflate (docker's x/net/websocket has none) and no UTF-8 check of text frames: they
// carry a byte stream, as docker's do.
const server = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, skipUTF8Validation: true });

/** Output buffered in the websocket beyond this pauses the container's stream. */
const HIGH_WATER = 1 << 20;

function versionAtLeast(version: string, min: string): boolean {
  const [a1, a2] = version.split('.').map(Number);
  const [b1, b2] = min.split('.').map(Number);
  return (a1! - b1! || a2! - b2!) >= 0;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Completes the handshake; undefined when `ws` refused it (it answered 400 and closed the socket). */
function accept(raw: IncomingMessage, offer: UpgradeOffer): Promise<WebSocket | undefined> {
  const socket = offer.adopt();
  return new Promise((resolve) => {
    const refused = (): void => resolve(undefined);
    socket.once('close', refused);
    server.handleUpgrade(raw, socket, offer.head, (ws) => {
      socket.off('close', refused);
      resolve(ws);
    });
  });
}

/** Sends output in order; pauses `source` while the websocket's buffer is over the high-water mark. */
function sender(ws: WebSocket, binary: boolean): (chunk: Buffer, source?: Duplex) => void {
  return (chunk, source) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(chunk, { binary }, () => {
      if (source?.isPaused() === true && ws.bufferedAmount < HIGH_WATER / 2) source.resume();
    });
    if (source !== undefined && ws.bufferedAmount > HIGH_WATER) source.pause();
  };
}

/** Client frames → the container's stdin (through the tty's detach filter); `detach` when it matches. */
function forwardInput(ws: WebSocket, shim: Duplex, detachKeys: readonly number[] | undefined, detach: () => void): void {
  const escape = detachKeys === undefined ? undefined : escapeFilter(detachKeys);
  ws.on('message', (data) => {
    if (shim.destroyed) return;
    let chunk = toBuffer(data);
    let detached = false;
    if (escape !== undefined) ({ forward: chunk, detach: detached } = escape(chunk));
    if (chunk.length > 0 && !shim.write(chunk)) {
      ws.pause();
      shim.once('drain', () => ws.resume());
    }
    if (detached) detach();
  });
}

export async function attachWebSocket(c: ContainerService, req: ApiRequest, res: ServerResponse): Promise<void> {
  const q = req.query;
  const id = req.params[0]!;
  const keys = parseDetachKeys(q.get('detachKeys'));
  // Before API 1.42 docker attached all three streams whatever the query said.
  const recent = versionAtLeast(req.version, '1.42');
  const want = { stdin: !recent || boolParam(q, 'stdin'), stdout: !recent || boolParam(q, 'stdout'), stderr: !recent || boolParam(q, 'stderr') };
  const logs = boolParam(q, 'logs');
  const stream = boolParam(q, 'stream');

  const target = c.attachTarget(id);
  const offer = offers.get(req.raw);
  if (offer === undefined || req.raw.headers.upgrade?.toLowerCase() !== 'websocket') {
    // x/net/websocket's answer to a request that is not a websocket handshake (text, not JSON)
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not websocket protocol');
    return;
  }

  // The live stream is taken before the handshake and the replay, as docker does: once the client
  // sees the websocket open, no output is missed and its input reaches the container.
  let shim: Duplex | undefined;
  if (stream && (want.stdin || want.stdout || want.stderr)) {
    shim = (await c.attach(target.id, { ...want, raw: true })).stream;
    shim.pause();
    shim.on('error', () => {}); // a lost shim connection closes the stream: handled as its end
  }
  const ws = await accept(req.raw, offer);
  if (ws === undefined) {
    shim?.destroy();
    return;
  }
  const binary = versionAtLeast(req.version, '1.28');
  const send = sender(ws, binary);
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  let over = false;
  /** Ends the attach: the container's stream is let go, the websocket closed after what was sent. */
  const finish = (): void => {
    if (over) return;
    over = true;
    shim?.destroy();
    if (ws.isPaused) ws.resume(); // to read the client's close reply
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  ws.on('error', () => ws.terminate());
  const gone = new AbortController();
  void closed.then(() => {
    gone.abort(new SkiffError('Cancelled', 'client went away'));
    finish();
  });
  if (shim !== undefined && want.stdin && target.openStdin) {
    // docker watches for the detach keys (ctrl-p,ctrl-q unless set) only with a tty
    forwardInput(ws, shim, target.tty ? keys : undefined, finish);
  }

  try {
    if (logs && (want.stdout || want.stderr)) {
      const { records } = c.logs(target.id, { stdout: want.stdout, stderr: want.stderr, follow: false, signal: gone.signal });
      for await (const r of records) {
        if (over) break;
        if (ws.bufferedAmount > HIGH_WATER) await new Promise<void>((resolve) => ws.send(r.line, { binary }, () => resolve()));
        else send(r.line);
      }
    }
  } catch (err) {
    if (!over) send(Buffer.from(`Error attaching: ${(err as Error).message}\n`));
    finish();
  }
  if (shim === undefined || over) {
    finish();
    await closed;
    return;
  }
  const out = shim;
  out.on('data', (chunk: Buffer) => send(chunk, out));
  // the container's output ended (it exited and the shim drained it): close after the last frame
  finished(out, { writable: false }, finish); // also when it ended before this was called
  out.resume();
  await closed;
}
