// Reference normalisation against the cases in distribution/reference's normalize_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarString, formatReference, normalizeReference, parseAnyReference, validateTag } from '../../../src/registry/index.js';

const D = 'sha256:' + 'ab'.repeat(32);

test('short names get docker.io/library and :latest', () => {
  const cases: [string, string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['library/busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
    ['index.docker.io/user/app:v1', 'docker.io/user/app:v1', 'user/app:v1'],
    ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
    ['127.0.0.1:5000/x', '127.0.0.1:5000/x:latest', '127.0.0.1:5000/x:latest'],
    ['[::1]:5000/x:1', '[::1]:5000/x:1', '[::1]:5000/x:1'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`, `busybox@${D}`],
    [`busybox:1@${D}`, `docker.io/library/busybox:1@${D}`, `busybox:1@${D}`],
  ];
  for (const [input, full, familiar] of cases) {
    const ref = normalizeReference(input);
    assert.equal(formatReference(ref), full, input);
    assert.equal(familiarString(ref), familiar, input);
  }
});

test('bad references name what is wrong, in docker\'s words', () => {
  assert.throws(() => normalizeReference('Busybox'), /repository name \(library\/Busybox\) must be lowercase/);
  assert.throws(() => normalizeReference(''), /invalid reference format/);
  assert.throws(() => normalizeReference('busybox:'), /invalid reference format/);
  assert.throws(() => normalizeReference('a'.repeat(64)), /cannot specify 64-byte hexadecimal strings/);
  assert.throws(() => normalizeReference('busybox@sha256:xyz'), /invalid reference format/);
  assert.throws(() => validateTag('-bad'), /invalid tag format/);
  assert.throws(() => normalizeReference(`x/${'a'.repeat(260)}`), /must not be more than 255 characters/);
});

test('an image id or digest alone is a digest reference', () => {
  assert.deepEqual(parseAnyReference('ab'.repeat(32)), { digest: D });
  assert.deepEqual(parseAnyReference(D), { digest: D });
  assert.equal(formatReference(parseAnyReference('busybox') as never), 'docker.io/library/busybox');
});
