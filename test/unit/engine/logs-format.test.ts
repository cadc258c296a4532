import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimeFixed, frameRecord, parseTimeNs } from '../../../src/engine/logs/index.js';

test('times: RFC3339Nano parsed to ns; --timestamps prints 9 fixed digits as docker does', () => {
  assert.equal(parseTimeNs('2026-11-24T15:37:26.859005959Z'), 1795534646859005959n);
  assert.equal(parseTimeNs('2026-11-24T15:37:26.8Z'), 1795534646800000000n);
  assert.equal(parseTimeNs('2026-11-24T15:37:26Z'), 1795534646000000000n);
  assert.equal(formatTimeFixed(1795534646800000000n), '2026-11-24T15:37:26.800000000Z');
  assert.equal(formatTimeFixed(1795534646000000001n), '2026-11-24T15:37:26.000000001Z');
});

test('a record becomes a stdcopy frame, optionally with the timestamp', () => {
  const r = { stream: 'stderr' as const, line: Buffer.from('oops\n'), time: '2026-11-24T15:37:26.8Z', timeNs: 1795534646800000000n };
  assert.deepEqual([...frameRecord(r, false)], [2, 0, 0, 0, 0, 0, 0, 5, ...Buffer.from('oops\n')]);
  const withTime = frameRecord(r, true);
  assert.equal(withTime.subarray(8).toString(), '2026-11-24T15:37:26.800000000Z oops\n');
  assert.equal(withTime.readUInt32BE(4), withTime.length - 8);
});
