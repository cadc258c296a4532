import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageFormat, imageRows, IMAGE_HEADERS, truncateId } from '../../../../src/cli/skiff/commands/image-list.js';
import { ellipsis, historyRows } from '../../../../src/cli/skiff/commands/image-history.js';
import { renderList } from '../../../../src/cli/skiff/render/list-format.js';
import type { ImageSummary } from '../../../../src/client/index.js';

const NOW = 1_796_091_400_000;
const ID = 'sha256:ae11e054405348b0cc48aa4cb4213fa6e2aa203a2e8bbbca8e11faaf73381c4f';
const img = (over: Partial<ImageSummary>): ImageSummary => ({
  Id: ID, ParentId: '', RepoTags: [], RepoDigests: [], Created: NOW / 1000 - 90, Size: 1982263, SharedSize: -1, Labels: null, Containers: -1, ...over,
});

test('one row per repository:tag, digests only with --digests, dangling as <none>', () => {
  const images = [
    img({ RepoTags: ['bb:1', '127.0.0.1:5055/bb:1', 'docker.io/library/busybox:latest'], RepoDigests: ['127.0.0.1:5055/bb@sha256:' + 'd'.repeat(64)] }),
    img({ RepoTags: null, RepoDigests: null }),
    img({ RepoTags: [], RepoDigests: ['me/x@sha256:' + 'e'.repeat(64)] }),
  ];
  const rows = imageRows(images, { trunc: true, digests: false, nowMs: NOW });
  assert.deepEqual(rows.map((r) => `${r.Repository} ${r.Tag} ${r.Digest}`), [
    'bb 1 <none>', '127.0.0.1:5055/bb 1 <none>', 'busybox latest <none>', '<none> <none> <none>', 'me/x <none> ',
  ]);
  assert.equal(rows[0]!.ID, 'ae11e0544053');
  assert.equal(rows[0]!.Size, '1.98MB');
  assert.equal(rows[0]!.VirtualSize, '1.982MB');
  assert.equal(rows[0]!.CreatedSince, 'About a minute ago');
  assert.equal(rows[0]!.SharedSize, 'N/A');
  assert.equal(rows[0]!.Containers, 'N/A');
  const withDigests = imageRows(images, { trunc: false, digests: true, nowMs: NOW });
  assert.equal(withDigests[1]!.Digest, `sha256:${'d'.repeat(64)}`);
  assert.equal(withDigests[4]!.Digest, `sha256:${'e'.repeat(64)}`);
  assert.equal(withDigests[0]!.ID, ID);
});

test('default table, -q, custom formats', () => {
  const rows = imageRows([img({ RepoTags: ['bb:1'] })], { trunc: true, digests: false, nowMs: NOW });
  assert.equal(renderList(imageFormat(undefined, false, false), rows, IMAGE_HEADERS),
    'REPOSITORY   TAG       IMAGE ID       CREATED              SIZE\nbb           1         ae11e0544053   About a minute ago   1.98MB\n');
  assert.equal(renderList(imageFormat(undefined, true, false), rows, IMAGE_HEADERS), 'ae11e0544053\n');
  assert.equal(imageFormat('{{.ID}}', true, false), '{{.ID}}', 'a custom format wins over -q');
  assert.equal(truncateId('abc'), 'abc');
});

test('history rows: <missing> ids, ellipsis at 45, -H=false', () => {
  const items = [{ Id: '<missing>', Created: NOW / 1000 - 7200, CreatedBy: `/bin/sh -c\t#(nop) ${'x'.repeat(60)}`, Tags: null, Size: 0, Comment: '' }];
  const [row] = historyRows(items, { trunc: true, human: true, nowMs: NOW });
  assert.equal(row!.ID, '<missing>');
  assert.equal(row!.CreatedBy.length, 45);
  assert.ok(row!.CreatedBy.startsWith('/bin/sh -c #(nop) '));
  assert.ok(row!.CreatedBy.endsWith('…'));
  assert.equal(row!.CreatedSince, '2 hours ago');
  assert.equal(row!.Size, '0B');
  const [raw] = historyRows(items, { trunc: false, human: false, nowMs: NOW });
  assert.equal(raw!.Size, '0');
  assert.equal(ellipsis('abc', 3), 'abc');
});
