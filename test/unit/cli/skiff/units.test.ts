import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ansic, bytesSize, formatG, goTimeString, humanDuration, humanSize, humanSizeWithPrecision, rfc3339 } from '../../../../src/cli/skiff/render/units.js';

test("Go's %g", () => {
  assert.equal(formatG(1.982263, 3), '1.98');
  assert.equal(formatG(1.5, 3), '1.5');
  assert.equal(formatG(100, 3), '100');
  assert.equal(formatG(999.9, 3), '1e+03');
  assert.equal(formatG(0, 3), '0');
  assert.equal(formatG(12.3456, 4), '12.35');
});

test('human sizes: decimal units, 3 or 4 significant digits', () => {
  assert.equal(humanSizeWithPrecision(1982263, 3), '1.98MB');
  assert.equal(humanSize(1982263), '1.982MB');
  assert.equal(humanSizeWithPrecision(0, 3), '0B');
  assert.equal(humanSizeWithPrecision(999, 3), '999B');
  assert.equal(humanSizeWithPrecision(1000, 3), '1kB');
  assert.equal(humanSizeWithPrecision(4_400_000, 3), '4.4MB');
  assert.equal(humanSizeWithPrecision(77_800_000, 3), '77.8MB');
  assert.equal(humanSizeWithPrecision(1_234_567_890, 3), '1.23GB');
  assert.equal(bytesSize(23.54 * 1024 ** 3), '23.54GiB');
});

test('human durations (go-units HumanDuration)', () => {
  const s = 1000;
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1 * s), '1 second');
  assert.equal(humanDuration(59 * s), '59 seconds');
  assert.equal(humanDuration(60 * s), 'About a minute');
  assert.equal(humanDuration(119 * s), 'About a minute');
  assert.equal(humanDuration(120 * s), '2 minutes');
  assert.equal(humanDuration(3599 * s), '59 minutes');
  assert.equal(humanDuration(3600 * s), 'About an hour');
  assert.equal(humanDuration(5 * 3600 * s), '5 hours');
  assert.equal(humanDuration(47 * 3600 * s), '47 hours');
  assert.equal(humanDuration(48 * 3600 * s), '2 days');
  assert.equal(humanDuration(15 * 86400 * s), '2 weeks');
  assert.equal(humanDuration(90 * 86400 * s), '3 months');
  assert.equal(humanDuration(800 * 86400 * s), '2 years');
});

test('times as Go prints them (UTC test environment)', { skip: new Date().getTimezoneOffset() !== 0 ? 'needs TZ=UTC' : false }, () => {
  assert.equal(goTimeString(1796091339), '2026-12-01 02:15:39 +0000 UTC');
  assert.equal(rfc3339(1796091339), '2026-12-01T02:15:39Z');
});

test('ANSIC keeps the offset of the text', () => {
  assert.equal(ansic('2026-05-07T21:09:36.000000000+00:00'), 'Thu May  7 21:09:36 2026');
  assert.equal(ansic('2025-05-30T12:07:14Z'), 'Fri May 30 12:07:14 2025');
  assert.equal(ansic('not a date'), 'not a date');
});
