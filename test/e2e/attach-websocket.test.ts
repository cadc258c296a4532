// GET /containers/{id}/attach/ws against a private skiffd, with the `ws` client over the unix socket:
// raw (never multiplexed) output frames and stdin from client frames without a tty and with one, the
// stdout/stderr selection, API < 1.42 (all streams) and < 1.28 (text frames), the logs=1 replay, the
// tty's detach keys, the websocket closing when the container exits, and the HTTP errors before the
// handshake (404, 400). Every container runs with `--network none`.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import WebSocket from 'ws';
import { docker, haveDockerCli, importBusybox, logsHold, startSkiffd, type CmdResult, type Skiffd } from '../helpers/skiffd.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;
const NET = ['--network', 'none'];
const ALL = 'stream=1&stdin=1&stdout=1&stderr=1';
const WAIT_MS = 20_000;

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function busyboxImage(t: TestContext, d: Skiffd): Promise<string> {
  return importBusybox(t, d, 'bbws:1', { applets: ['sh', 'echo', 'cat', 'sleep'], changes: ['CMD ["/bin/sh"]'] });
}

interface Frame { data: Buffer; binary: boolean }

/** An open websocket, what it received, and how it closed. */
interface Conn {
  ws: WebSocket;
  frames: Frame[];
  text(): string;
  /** Resolves once the received text satisfies `pred`; fails with what arrived after WAIT_MS. */
  until(pred: (text: string) => boolean, what: string): Promise<void>;
  closed: Promise<{ code: number }>;
}

type Opened = { conn: Conn } | { status: number; body: string };

function connect(t: TestContext, d: Skiffd, path: string): Promise<Opened> {
  const ws = new WebSocket(`ws+unix://${d.socket}:${path}`);
  t.after(() => ws.terminate());
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  let closeCode: number | undefined;
  const closed = new Promise<{ code: number }>((resolve) => ws.once('close', (code) => {
    closeCode = code;
    resolve({ code });
    for (const w of waiters) w();
  }));
  ws.on('message', (data, binary) => {
    frames.push({ data: Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), binary });
    for (const w of waiters) w();
  });
  const text = (): string => Buffer.concat(frames.map((f) => f.data)).toString();
  const until = (pred: (s: string) => boolean, what: string): Promise<void> => new Promise((resolve, reject) => {
    const check = (): void => {
      if (pred(text())) {
        done();
        resolve();
      } else if (closeCode !== undefined) {
        done();
        reject(new Error(`${what}: closed (${closeCode}) with ${JSON.stringify(text())}`));
      }
    };
    const timer = setTimeout(() => { done(); reject(new Error(`${what}: got ${JSON.stringify(text())}`)); }, WAIT_MS);
    const done = (): void => { clearTimeout(timer); waiters.delete(check); };
    waiters.add(check);
    check();
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ conn: { ws, frames, text, until, closed } }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', reject); // stays: terminate() in the after-hook may report an error on an unopened socket
  });
}

async function open(t: TestContext, d: Skiffd, path: string): Promise<Conn> {
  const r = await connect(t, d, path);
  if (!('conn' in r)) assert.fail(`${path}: HTTP ${r.status} ${r.body}`);
  return r.conn;
}

function send(c: Conn, data: string | Buffer): void {
  c.ws.send(Buffer.from(data), { binary: true });
}

async function run(d: Skiffd, args: string[]): Promise<string> {
  const id = ok(await docker(d, ['create', ...NET, ...args]), `create ${args.join(' ')}`).trim();
  ok(await docker(d, ['start', id]), 'start');
  return id;
}

async function inspect(d: Skiffd, id: string, format: string): Promise<string> {
  return ok(await docker(d, ['inspect', '-f', format, id]), 'inspect').trim();
}

function plainGet(d: Skiffd, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

test('attach/ws: raw frames both ways, tty, logs replay, detach keys, close on exit, errors', { skip, timeout: 300_000 }, async (t) => {
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const img = await busyboxImage(t, d);

  await t.test('without a tty: raw output frames, stdin from frames, stream selection, closes on exit', async (t) => {
    const loop = 'while read l; do [ "$l" = quit ] && exit 3; echo "out:$l"; echo "err:$l" >&2; done';
    const id = await run(d, ['-i', img, 'sh', '-c', loop]);
    const all = await open(t, d, `/containers/${id}/attach/ws?${ALL}`);
    const outOnly = await open(t, d, `/v1.47/containers/${id.slice(0, 12)}/attach/ws?stream=1&stdout=1`);
    const errOnly = await open(t, d, `/containers/${id}/attach/ws?stream=1&stderr=1`);
    send(all, 'one\n');
    await all.until((s) => s.includes('out:one\n') && s.includes('err:one\n'), 'echo of one');
    // no stdcopy headers: the frames are exactly the bytes the container wrote, in binary frames
    assert.deepEqual(all.text().split('\n').filter((l) => l !== '').sort(), ['err:one', 'out:one']);
    assert.ok(all.frames.every((f) => f.binary), 'binary frames from API 1.28 on');
    await outOnly.until((s) => s === 'out:one\n', 'stdout only');
    await errOnly.until((s) => s === 'err:one\n', 'stderr only');
    // frames sent on a connection that did not ask for stdin do not reach the container
    send(outOnly, 'ignored\n');
    send(all, 'two\n');
    await outOnly.until((s) => s === 'out:one\nout:two\n', 'stdout only, second line');
    assert.doesNotMatch(all.text(), /ignored/);

    // API < 1.42 attaches all three streams whatever the query says; < 1.28 sends text frames
    const old = await open(t, d, `/v1.25/containers/${id}/attach/ws?stream=1`);
    send(old, 'three\n');
    await old.until((s) => s.includes('out:three\n') && s.includes('err:three\n'), 'v1.25 echo');
    assert.ok(old.frames.every((f) => !f.binary), 'text frames before API 1.28');

    // the container exits: every websocket is closed (normal closure) after the last output
    send(all, 'quit\n');
    for (const c of [all, outOnly, errOnly, old]) assert.equal((await c.closed).code, 1000);
    assert.match(outOnly.text(), /out:three\n$/);
    // the close can come before the engine records the exit: wait for it
    assert.equal(ok(await docker(d, ['wait', id]), 'wait').trim(), '3');
    assert.equal(await inspect(d, id, '{{.State.Running}} {{.State.ExitCode}}'), 'false 3');
  });

  await t.test('with a tty: raw terminal bytes, input through the pty, ctrl-p ctrl-q detaches', async (t) => {
    const id = await run(d, ['-i', '-t', img, 'cat']);
    const c = await open(t, d, `/containers/${id}/attach/ws?${ALL}`);
    send(c, 'typed\n');
    // the terminal echoes the line and cat writes it back, both with the tty's \r\n
    await c.until((s) => s === 'typed\r\ntyped\r\n', 'tty echo');
    // docker's default detach keys, across two frames: the websocket closes, the container runs on
    send(c, Buffer.from([0x10]));
    send(c, Buffer.from([0x11]));
    assert.equal((await c.closed).code, 1000);
    assert.equal(await inspect(d, id, '{{.State.Running}}'), 'true');
    // a custom sequence; a held-back partial match is released when the next byte does not match
    const custom = await open(t, d, `/containers/${id}/attach/ws?${ALL}&detachKeys=ctrl-x,x`);
    send(custom, Buffer.from([0x18, 0x61, 0x0a])); // ctrl-x a \n: not the sequence
    await custom.until((s) => s === '^Xa\r\n\x18a\r\n', 'partial match released');
    send(custom, Buffer.from([0x18, 0x78]));
    assert.equal((await custom.closed).code, 1000);
    assert.equal(await inspect(d, id, '{{.State.Running}}'), 'true');
    ok(await docker(d, ['rm', '-f', id]), 'rm -f');
  });

  await t.test('logs=1 replays the log before the live stream; logs without stream closes after it', async (t) => {
    const id = await run(d, ['-i', img, 'sh', '-c', 'echo before; echo before-err >&2; cat']);
    await logsHold(d, id, 'before-err');
    const c = await open(t, d, `/containers/${id}/attach/ws?logs=1&${ALL}`);
    await c.until((s) => s.includes('before\n') && s.includes('before-err\n'), 'replay');
    send(c, 'live\n');
    await c.until((s) => s.endsWith('live\n'), 'live after replay');
    assert.deepEqual(c.text().split('\n').filter((l) => l !== '').sort(), ['before', 'before-err', 'live']);

    const replayOnly = await open(t, d, `/containers/${id}/attach/ws?logs=1&stdout=1`);
    assert.equal((await replayOnly.closed).code, 1000);
    assert.equal(replayOnly.text(), 'before\nlive\n', 'stdout of the log only, then closed');
    ok(await docker(d, ['rm', '-f', id]), 'rm -f');
    assert.equal((await c.closed).code, 1000);
  });

  await t.test('errors before the handshake are HTTP replies', async (t) => {
    const missing = await connect(t, d, `/containers/nosuchcontainer/attach/ws?${ALL}`);
    assert.ok('status' in missing);
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body), { message: 'No such container: nosuchcontainer' });

    const id = await run(d, ['-i', img, 'cat']);
    const badKeys = await connect(t, d, `/containers/${id}/attach/ws?${ALL}&detachKeys=ctrl-P`);
    assert.ok('status' in badKeys);
    assert.equal(badKeys.status, 400);
    assert.deepEqual(JSON.parse(badKeys.body), { message: 'Invalid detach keys (ctrl-P) provided' });

    const plain = await plainGet(d, `/containers/${id}/attach/ws?${ALL}`);
    assert.equal(plain.status, 400);
    assert.equal(plain.body, 'not websocket protocol'); // x/net/websocket's plain-text answer
    assert.equal((await plainGet(d, `/containers/nosuchcontainer/attach/ws?${ALL}`)).status, 404);
    // neither logs nor stream: the handshake succeeds and the websocket is closed at once
    const nothing = await open(t, d, `/containers/${id}/attach/ws`);
    assert.equal((await nothing.closed).code, 1000);
    assert.equal(nothing.frames.length, 0);
    ok(await docker(d, ['rm', '-f', id]), 'rm -f');
  });

  // a websocket still open at shutdown does not hold the daemon up; the container outlives it
  // (live restore) and the helper's after-hook removes it with a daemon started once more
  const id = await run(d, ['-i', img, 'cat']);
  const held = await open(t, d, `/containers/${id}/attach/ws?${ALL}`);
  send(held, 'ping\n');
  await held.until((s) => s === 'ping\n', 'echo before shutdown');
  assert.equal(await d.stop(), 0, d.log());
  assert.equal((await held.closed).code, 1006, 'the connection is dropped with the daemon');
});
