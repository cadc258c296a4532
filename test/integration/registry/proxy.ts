// A tiny HTTP proxy on 127.0.0.1 in front of the test registry: records every request (method, path,
// Range) and can cut or corrupt the body of one blob's GET, to test resume and verification.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface ProxyRule {
  /** Applies to GETs whose path ends with this (e.g. `/blobs/sha256:…`). */
  pathSuffix: string;
  /** Cut the connection after this many body bytes, for the first `times` matching requests. */
  cutAfterBytes?: number;
  /** Flip one byte of the body at this offset (every matching request). */
  corruptAt?: number;
  times?: number;
}

export interface Proxy {
  host: string;
  log: { method: string; path: string; range?: string; status?: number }[];
}

export async function startProxy(t: TestContext, upstream: string, rules: ProxyRule[]): Promise<Proxy> {
  const log: Proxy['log'] = [];
  const used = new Map<ProxyRule, number>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const entry: Proxy['log'][number] = { method: req.method ?? 'GET', path, ...(req.headers.range === undefined ? {} : { range: req.headers.range }) };
    log.push(entry);
    // Keep the Host the client sent: the registry builds upload Locations from it, so they point back here.
    const headers = { ...req.headers };
    const up = http.request(`http://${upstream}${path}`, { method: req.method, headers }, (upRes) => {
      entry.status = upRes.statusCode;
      const rule = req.method === 'GET' ? rules.find((r) => path.split('?')[0]!.endsWith(r.pathSuffix)) : undefined;
      const n = rule === undefined ? 0 : (used.get(rule) ?? 0);
      const active = rule !== undefined && (rule.times === undefined || n < rule.times);
      if (rule !== undefined) used.set(rule, n + 1);
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      if (!active) {
        upRes.pipe(res);
        return;
      }
      let sent = 0;
      upRes.on('data', (chunk: Buffer) => {
        let c = chunk;
        if (rule.corruptAt !== undefined && rule.corruptAt >= sent && rule.corruptAt < sent + c.length) {
          c = Buffer.from(c);
          c[rule.corruptAt - sent] = c[rule.corruptAt - sent]! ^ 0xff;
        }
        if (rule.cutAfterBytes !== undefined && sent + c.length >= rule.cutAfterBytes) {
          res.write(c.subarray(0, rule.cutAfterBytes - sent));
          sent = rule.cutAfterBytes;
          upRes.destroy();
          res.destroy(); // drop the connection half-way
          return;
        }
        sent += c.length;
        res.write(c);
      });
      upRes.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}
