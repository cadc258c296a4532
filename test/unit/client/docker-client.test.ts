// The client against a small HTTP server on a unix socket: version negotiation, error mapping,
// query encoding, X-Registry-Auth, and JSON progress streams split across chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DockerClient, encodeRegistryAuth, isDaemonError, jsonMessages, compareApiVersions } from '../../../src/client/index.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function fakeDaemon(t: { after: (fn: () => Promise<void> | void) => void }, apiVersion: string, handler: (req: Seen, res: http.ServerResponse) => void): Promise<{ host: string; seen: Seen[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'skc-'));
  const sock = join(dir, 'd.sock');
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(s);
      res.setHeader('Api-Version', apiVersion);
      if (s.url === '/_ping') {
        res.end('OK');
        return;
      }
      handler(s, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });
  return { host: `unix://${sock}`, seen };
}

test('negotiates down to the server\'s API version and maps errors', async (t) => {
  const { host, seen } = await fakeDaemon(t, '1.41', (req, res) => {
    if (req.url.startsWith('/v1.41/images/json')) {
      res.setHeader('Content-Type', 'application/json');
      res.end('[{"Id":"sha256:x","RepoTags":["a:1"]}]');
    } else {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'application/json');
      res.end('{"message":"No such image: nosuch:latest"}');
    }
  });
  const client = new DockerClient({ host });
  t.after(() => client.close());
  const images = await client.listImages({ all: true, filters: { dangling: ['true'] } });
  assert.equal(images[0]!.Id, 'sha256:x');
  assert.equal(await client.apiVersion(), '1.41');
  const url = new URL(seen[1]!.url, 'http://x');
  assert.equal(url.searchParams.get('all'), '1');
  assert.deepEqual(JSON.parse(url.searchParams.get('filters')!), { dangling: { true: true } });
  await assert.rejects(client.removeImage('nosuch'), (err: unknown) => isDaemonError(err) && err.statusCode === 404 && err.code === 'NotFound' && err.message === 'No such image: nosuch:latest');
});

test('never negotiates above its own version', async (t) => {
  const { host } = await fakeDaemon(t, '1.99', (_req, res) => res.end('{}'));
  const client = new DockerClient({ host });
  t.after(() => client.close());
  assert.equal(await client.apiVersion(), '1.50');
  assert.ok(compareApiVersions('1.9', '1.10') < 0);
});

test('pull: X-Registry-Auth and a JSON stream split in odd places', async (t) => {
  const { host, seen } = await fakeDaemon(t, '1.50', (_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.write('{"status":"Pulling from x","id":"1"}\n{"status":"Pull');
    setTimeout(() => res.end(' complete","id":"l","progressDetail":{}}\r\n{"errorDetail":{"message":"boom"},"error":"boom"}'), 10);
  });
  const client = new DockerClient({ host });
  t.after(() => client.close());
  const res = await client.pullImage({ fromImage: '127.0.0.1:5000/x', tag: '1', auth: { username: 'u', password: 'p?>' } });
  const got = [];
  for await (const m of res.messages) got.push(m);
  assert.deepEqual(got.map((m) => m.status ?? m.error), ['Pulling from x', 'Pull complete', 'boom']);
  const req = seen[1]!;
  assert.equal(req.method, 'POST');
  const url = new URL(req.url, 'http://x');
  assert.equal(url.pathname, '/v1.50/images/create');
  assert.equal(url.searchParams.get('fromImage'), '127.0.0.1:5000/x');
  assert.equal(url.searchParams.get('tag'), '1');
  const auth = req.headers['x-registry-auth'] as string;
  assert.equal(auth, encodeRegistryAuth({ username: 'u', password: 'p?>' }));
  assert.deepEqual(JSON.parse(Buffer.from(auth, 'base64url').toString()), { username: 'u', password: 'p?>' });
  assert.equal(encodeRegistryAuth(undefined), 'e30=');
});

test('a daemon that is not there: docker\'s message', async () => {
  const client = new DockerClient({ host: 'unix:///nonexistent/skiff.sock' });
  await assert.rejects(client.info(), { message: 'Cannot connect to the Docker daemon at unix:///nonexistent/skiff.sock. Is the docker daemon running?' });
  await client.close();
});

test('jsonMessages: concatenated objects on one line', async () => {
  const got = [];
  for await (const m of jsonMessages(Readable.from(['{"status":"a"}{"status":"b"}\n', '{"stream":"c\\n"}']))) got.push(m);
  assert.deepEqual(got, [{ status: 'a' }, { status: 'b' }, { stream: 'c\n' }]);
});
