// A tiny Docker API on a unix socket that records each request and answers minimal JSON: enough
// for `docker create` / `docker run -d` to send their create body, so tests compare it with skiff's.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeDaemon {
  host: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function startFakeDaemon(apiVersion = '1.41'): Promise<FakeDaemon> {
  const dir = mkdtempSync('/tmp/skfake-');
  const sock = join(dir, 'd.sock');
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = req.url ?? '';
      res.setHeader('Api-Version', apiVersion);
      res.setHeader('Ostype', 'linux');
      res.setHeader('Content-Type', 'application/json');
      if (url === '/_ping' || url.endsWith('/_ping')) {
        res.setHeader('Content-Type', 'text/plain');
        res.end('OK');
      } else if (url.includes('/containers/create')) {
        res.statusCode = 201;
        res.end(JSON.stringify({ Id: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00', Warnings: [] }));
      } else if (/\/containers\/[^/]+\/exec/.test(url)) {
        res.statusCode = 201;
        res.end(JSON.stringify({ Id: 'e1e1' }));
      } else if (url.includes('/wait')) {
        res.end(JSON.stringify({ StatusCode: 0 }));
      } else if (url.includes('/start')) {
        res.statusCode = 204;
        res.end();
      } else {
        res.end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  return {
    host: `unix://${sock}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
