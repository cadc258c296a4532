import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipFamily, ipInCidr, reverseName, upstreamsFromResolvConf } from '../../../src/network/index.js';

test('ipInCidr: IPv4 and IPv6, edges, families never mix', () => {
  assert.equal(ipInCidr('10.88.0.5', '10.88.0.0/16'), true);
  assert.equal(ipInCidr('10.89.0.5', '10.88.0.0/16'), false);
  assert.equal(ipInCidr('172.17.255.255', '172.17.0.0/16'), true);
  assert.equal(ipInCidr('1.2.3.4', '0.0.0.0/0'), true);
  assert.equal(ipInCidr('127.0.0.1', '127.0.0.1'), true);
  assert.equal(ipInCidr('fd00::1', 'fd00::/64'), true);
  assert.equal(ipInCidr('fd01::1', 'fd00::/64'), false);
  assert.equal(ipInCidr('::1', '::1/128'), true);
  assert.equal(ipInCidr('10.0.0.1', 'fd00::/8'), false);
  assert.equal(ipInCidr('not-an-ip', '10.0.0.0/8'), false);
});

test('ipFamily matches node:net isIP on common forms', () => {
  assert.equal(ipFamily('192.168.1.1'), 4);
  assert.equal(ipFamily('256.1.1.1'), 0);
  assert.equal(ipFamily('fe80::1'), 6);
  assert.equal(ipFamily('1::2::3'), 0);
  assert.equal(ipFamily('example.com'), 0);
});

test('reverse names and upstreams from resolv.conf (loopback servers dropped)', () => {
  assert.equal(reverseName('4.3.2.1.in-addr.arpa'), '1.2.3.4');
  assert.equal(reverseName('example.com'), undefined);
  const conf = '# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch example.com\nnameserver ::1\nnameserver fd00::53\noptions ndots:2\n';
  assert.deepEqual(upstreamsFromResolvConf(conf), [{ host: '10.0.0.2', port: 53 }, { host: 'fd00::53', port: 53 }]);
});
