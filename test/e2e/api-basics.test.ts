// The Docker API's edges, over raw HTTP on skiffd's socket: version prefixes (1.24–1.51 and none),
// docker's headers on /_ping, docker's error bodies and statuses, and bad input named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startSkiffd } from '../helpers/skiffd.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;

function call(socket: string, method: string, path: string, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

test('versions, headers, errors', { skip, timeout: 60_000 }, async (t) => {
  const d = await startSkiffd(t);
  const s = d.socket;
  const head = await call(s, 'HEAD', '/_ping');
  assert.equal(head.status, 200);
  assert.equal(head.headers['api-version'], '1.50');
  assert.equal(head.headers['ostype'], 'linux');
  assert.equal((await call(s, 'GET', '/v1.51/_ping')).body, 'OK');
  assert.equal((await call(s, 'GET', '/v1.24/version')).status, 200);
  const tooNew = await call(s, 'GET', '/v1.52/version');
  assert.equal(tooNew.status, 400);
  assert.deepEqual(JSON.parse(tooNew.body), { message: 'client version 1.52 is too new. Maximum supported API version is 1.51' });
  const tooOld = await call(s, 'GET', '/v1.23/version');
  assert.equal(tooOld.status, 400);
  assert.match(JSON.parse(tooOld.body).message as string, /client version 1\.23 is too old\. Minimum supported API version is 1\.24/);
  const nosuch = await call(s, 'GET', '/v1.50/nosuch');
  assert.deepEqual([nosuch.status, JSON.parse(nosuch.body)], [404, { message: 'page not found' }]);
  const rmi = await call(s, 'DELETE', '/v1.50/images/nosuch');
  assert.deepEqual([rmi.status, JSON.parse(rmi.body)], [404, { message: 'No such image: nosuch:latest' }]);
  const inspect = await call(s, 'GET', '/images/Bad:Ref/json');
  assert.equal(inspect.status, 400);
  assert.match(JSON.parse(inspect.body).message as string, /invalid reference format/);
  const badFilters = await call(s, 'GET', '/images/json?filters=%7Bnot-json');
  assert.equal(badFilters.status, 400);
  assert.match(JSON.parse(badFilters.body).message as string, /invalid filters/);
  const unknownFilter = await call(s, 'GET', `/images/json?filters=${encodeURIComponent('{"bogus":["x"]}')}`);
  assert.deepEqual([unknownFilter.status, JSON.parse(unknownFilter.body)], [400, { message: "invalid filter 'bogus'" }]);
  const wrongMethod = await call(s, 'PUT', '/images/json');
  assert.equal(wrongMethod.status, 405);
  const pullNothing = await call(s, 'POST', '/images/create');
  assert.equal(pullNothing.status, 400);
  const badTag = await call(s, 'POST', '/images/nosuch/tag?repo=x');
  assert.equal(badTag.status, 404);
});

test('bad input to the container endpoints: docker error bodies, nothing created, no crash', { skip, timeout: 60_000 }, async (t) => {
  const d = await startSkiffd(t);
  const s = d.socket;
  const malformed = await call(s, 'POST', '/containers/create', '{"Image": "x", ');
  assert.equal(malformed.status, 400);
  assert.match(JSON.parse(malformed.body).message as string, /container config: invalid JSON/);
  const wrongType = await call(s, 'POST', '/containers/create', JSON.stringify({ Image: 'x', Cmd: 42 }));
  assert.deepEqual([wrongType.status, JSON.parse(wrongType.body)], [400, { message: 'json: cannot unmarshal number into Go struct field Config.Cmd of type []string' }]);
  const wrongHc = await call(s, 'POST', '/containers/create', JSON.stringify({ Image: 'x', HostConfig: { Memory: '1g' } }));
  assert.equal(wrongHc.status, 400);
  assert.match(JSON.parse(wrongHc.body).message as string, /HostConfig\.Memory of type int64/);
  const badName = await call(s, 'POST', '/containers/create?name=../../etc', JSON.stringify({ Image: 'x' }));
  assert.equal(badName.status, 400);
  assert.match(JSON.parse(badName.body).message as string, /Invalid container name \(\.\.\/\.\.\/etc\)/);
  const noImage = await call(s, 'POST', '/containers/create', JSON.stringify({ Image: 'nosuch:1', Cmd: ['true'] }));
  assert.deepEqual([noImage.status, JSON.parse(noImage.body)], [404, { message: 'No such image: nosuch:1' }]);
  const traversal = await call(s, 'GET', '/containers/..%2F..%2Fetc/json');
  assert.equal(traversal.status, 404);
  const huge = await call(s, 'POST', '/containers/create', JSON.stringify({ Image: 'x', Labels: { big: 'x'.repeat(17 << 20) } }));
  assert.equal(huge.status, 400);
  assert.match(JSON.parse(huge.body).message as string, /request body over/);
  const list = await call(s, 'GET', '/containers/json?all=1');
  assert.equal(list.body.trim(), '[]', 'nothing half-created');
  assert.equal((await call(s, 'GET', '/_ping')).status, 200, 'still serving');
});
