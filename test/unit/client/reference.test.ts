import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarName, familiarString, parseHost, parseReference, referenceString, serverKey, withDefaultTag, DEFAULT_HOST, INDEX_SERVER } from '../../../src/client/index.js';

test('references normalise like distribution/reference', () => {
  assert.deepEqual(parseReference('busybox'), { domain: 'docker.io', path: 'library/busybox' });
  assert.deepEqual(parseReference('me/x:1.0'), { domain: 'docker.io', path: 'me/x', tag: '1.0' });
  assert.deepEqual(parseReference('127.0.0.1:5000/a/b:t'), { domain: '127.0.0.1:5000', path: 'a/b', tag: 't' });
  assert.deepEqual(parseReference('localhost/x'), { domain: 'localhost', path: 'x' });
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseReference(`bb@${d}`), { domain: 'docker.io', path: 'library/bb', digest: d });
  assert.equal(referenceString(withDefaultTag(parseReference('bb'))), 'docker.io/library/bb:latest');
  assert.equal(referenceString(withDefaultTag(parseReference('127.0.0.1:5055/bb'))), '127.0.0.1:5055/bb:latest');
  assert.equal(familiarString(parseReference('docker.io/library/bb:1')), 'bb:1');
  assert.equal(familiarName(parseReference('index.docker.io/me/x')), 'me/x');
});

test('invalid references: docker\'s messages', () => {
  assert.throws(() => parseReference('bb@sha256:abc'), { message: 'invalid reference format' });
  assert.throws(() => parseReference('Bad'), { message: 'invalid reference format: repository name (library/Bad) must be lowercase' });
  assert.throws(() => parseReference(''), { message: 'invalid reference format' });
  assert.throws(() => parseReference('a//b'), { message: 'invalid reference format' });
  assert.throws(() => parseReference('bb:bad tag'), { message: 'invalid reference format' });
});

test('registry keys for config.json', () => {
  assert.equal(serverKey(undefined), INDEX_SERVER);
  assert.equal(serverKey('docker.io'), INDEX_SERVER);
  assert.equal(serverKey('https://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.equal(serverKey('registry.example.com'), 'registry.example.com');
});

test('-H / DOCKER_HOST', () => {
  assert.deepEqual(parseHost(undefined), { kind: 'unix', socketPath: '/run/skiff/skiff.sock', display: DEFAULT_HOST });
  assert.deepEqual(parseHost('unix:///tmp/d.sock'), { kind: 'unix', socketPath: '/tmp/d.sock', display: 'unix:///tmp/d.sock' });
  assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { kind: 'tcp', origin: 'http://127.0.0.1:2375', display: 'tcp://127.0.0.1:2375' });
  assert.throws(() => parseHost('ssh://x'), /unsupported daemon address/);
  assert.throws(() => parseHost('unix://'), /empty path/);
});
