import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorOf, goDuration, ProgressRenderer, progressString } from '../../../../src/cli/skiff/render/progress.js';
import type { JsonMessage } from '../../../../src/client/index.js';

const PULL: JsonMessage[] = [
  { status: 'Pulling from library/bb', id: '1' },
  { status: 'Pulling fs layer', progressDetail: {}, id: 'aaa' },
  { status: 'Downloading', progressDetail: { current: 500_000, total: 1_000_000 }, progress: '[==>  ]', id: 'aaa' },
  { status: 'Verifying Checksum', progressDetail: {}, id: 'aaa' },
  { status: 'Download complete', progressDetail: {}, id: 'aaa' },
  { status: 'Extracting', progressDetail: { current: 1_000_000, total: 1_000_000 }, id: 'aaa' },
  { status: 'Pull complete', progressDetail: {}, id: 'aaa' },
  { status: 'Digest: sha256:d8b8' },
  { status: 'Status: Downloaded newer image for bb:1' },
];

test('off a terminal: no progress bars, one line per status', () => {
  const r = new ProgressRenderer({ isTerminal: false });
  assert.equal(PULL.map((m) => r.render(m)).join(''), [
    '1: Pulling from library/bb',
    'aaa: Pulling fs layer',
    'aaa: Verifying Checksum',
    'aaa: Download complete',
    'aaa: Pull complete',
    'Digest: sha256:d8b8',
    'Status: Downloaded newer image for bb:1',
    '',
  ].join('\n'));
});

test('on a terminal: each layer keeps its line (cursor up/down, clear line)', () => {
  const r = new ProgressRenderer({ isTerminal: true, columns: 80, nowMs: () => 0 });
  const first = r.render(PULL[1]!);
  assert.equal(first, '\n\x1b[1A\x1b[2K\raaa: Pulling fs layer \r\x1b[1B');
  const second = r.render({ status: 'Pulling fs layer', progressDetail: {}, id: 'bbb' });
  assert.equal(second, '\n\x1b[1A\x1b[2K\rbbb: Pulling fs layer \r\x1b[1B');
  const update = r.render(PULL[2]!);
  assert.equal(update, '\x1b[2A\x1b[2K\raaa: Downloading    500kB/1MB\r\x1b[2B');
  // a record without id resets the line bookkeeping and prints a plain line
  assert.equal(r.render({ status: 'Digest: sha256:x' }), 'Digest: sha256:x\n');
});

test('progress bar and numbers (JSONProgress.String)', () => {
  assert.equal(progressString({ current: 500_000, total: 1_000_000 }, 200, 0), `[${'='.repeat(25)}>${' '.repeat(25)}]    500kB/1MB`);
  assert.equal(progressString({ current: 2_000_000, total: 1_000_000 }, 80, 0), '     2MB');
  assert.equal(progressString({}, 200, 0), '');
  assert.equal(progressString({ current: 3, total: 10, units: 'items' }, 80, 0), '3/10 items');
  assert.equal(progressString({ current: 250_000, total: 1_000_000, start: 100 }, 80, 110_000), '   250kB/1MB 30s');
  assert.equal(goDuration(90), '1m30s');
});

test('error records', () => {
  assert.equal(errorOf({ errorDetail: { message: 'manifest unknown' }, error: 'other' }), 'manifest unknown');
  assert.equal(errorOf({ error: 'boom' }), 'boom');
  assert.equal(errorOf({ status: 'ok' }), undefined);
});
