// The HTTP hijack (Connection: Upgrade / Upgrade: tcp → 101) and stdcopy frames, against a tiny
// server on a unix socket.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { demultiplex, frame, hijack } from '../../../src/client/index.js';

async function withServer(handler: (head: string, sock: Socket) => void, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync('/tmp/skhj-');
  const path = join(dir, 's.sock');
  const server = createServer((sock) => {
    let buf = '';
    const onData = (c: Buffer): void => {
      buf += c.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      handler(buf, sock);
    };
    sock.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(path, r));
  try {
    await fn(path);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
}

test('hijack: upgrade headers, 101, raw stream both ways, half-close', async () => {
  let seen = '';
  await withServer((head, sock) => {
    seen = head;
    sock.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    sock.write(frame(1, 'early '));
    let input = '';
    sock.on('data', (c: Buffer) => (input += c.toString()));
    sock.on('end', () => {
      sock.write(frame(1, `got ${input}`));
      sock.write(frame(2, 'on stderr'));
      sock.end();
    });
  }, async (path) => {
    const conn = await hijack({ kind: 'unix', socketPath: path, display: `unix://${path}` }, { method: 'POST', path: '/v1.41/containers/x/attach?stream=1&stdin=1' }, 'test');
    assert.equal(conn.statusCode, 101);
    assert.equal(conn.multiplexed, true);
    assert.match(seen, /^POST \/v1\.41\/containers\/x\/attach\?stream=1&stdin=1 HTTP\/1\.1\r\n/);
    assert.match(seen, /\r\nConnection: Upgrade\r\n/);
    assert.match(seen, /\r\nUpgrade: tcp\r\n/);
    conn.socket.end('hello');
    const out: string[] = [];
    await demultiplex(conn.socket, (s, d) => {
      out.push(`${s}:${d.toString()}`);
    });
    assert.deepEqual(out, ['stdout:early ', 'stdout:got hello', 'stderr:on stderr']);
  });
});

test('hijack: an error status is the daemon\'s message', async () => {
  await withServer((_head, sock) => {
    const body = JSON.stringify({ message: 'No such container: x' });
    sock.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  }, async (path) => {
    await assert.rejects(
      hijack({ kind: 'unix', socketPath: path, display: `unix://${path}` }, { method: 'POST', path: '/x' }, 'test'),
      (err: Error & { statusCode?: number }) => err.message === 'No such container: x' && err.statusCode === 404,
    );
  });
});

test('stdcopy: frames split across chunks, systemerr rejects', async () => {
  const bytes = Buffer.concat([frame(1, 'abc'), frame(2, 'de'), frame(1, '')]);
  const chunks = [bytes.subarray(0, 3), bytes.subarray(3, 12), bytes.subarray(12)];
  const got: string[] = [];
  await demultiplex(Readable.from(chunks), (s, d) => {
    got.push(`${s}:${d.toString()}`);
  });
  assert.deepEqual(got, ['stdout:abc', 'stderr:de', 'stdout:']);
  await assert.rejects(demultiplex(Readable.from([frame(3, 'boom')]), () => undefined), /boom/);
});
