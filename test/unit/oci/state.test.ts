// OCI state objects in Go's field order: the runtime-spec State (hooks' stdin) and `runc state`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ociState, runcState, formatGoTime, isContainerStatus, OCI_VERSION } from '../../../src/oci/index.js';

void test('ociState: field order, pid and annotations only when set', () => {
  const s = ociState({ ociVersion: '1.0.2-dev', id: 'c1', status: 'created', pid: 42, bundle: '/b', annotations: { a: 'b' } });
  assert.equal(JSON.stringify(s), '{"ociVersion":"1.0.2-dev","id":"c1","status":"created","pid":42,"bundle":"/b","annotations":{"a":"b"}}');
  const stopped = ociState({ id: 'c1', status: 'stopped', pid: 0, bundle: '/b', annotations: {} });
  assert.equal(JSON.stringify(stopped), `{"ociVersion":"${OCI_VERSION}","id":"c1","status":"stopped","bundle":"/b"}`);
});

void test('runcState: runc order, pid 0 when stopped, annotations before owner', () => {
  const s = runcState({ id: 'c1', pid: 42, status: 'running', bundle: '/b', rootfs: '/b/rootfs', created: '2024-01-02T03:04:05.123456789Z', owner: '', annotations: { x: 'y' } });
  assert.deepEqual(Object.keys(s), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner']);
  const stopped = runcState({ ociVersion: '1.0.2-dev', id: 'c1', pid: 42, status: 'stopped', bundle: '/b', rootfs: '/b/rootfs', created: 'x', owner: 'root' });
  assert.equal(stopped.pid, 0);
  assert.deepEqual(Object.keys(stopped), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner']);
});

void test('formatGoTime: RFC 3339 with trimmed nanoseconds', () => {
  const d = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120));
  assert.equal(formatGoTime(d), '2024-01-02T03:04:05.12Z');
  assert.equal(formatGoTime(d, 123456789), '2024-01-02T03:04:05.123456789Z');
  assert.equal(formatGoTime(d, 0), '2024-01-02T03:04:05Z');
  assert.equal(formatGoTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 0))), '2024-01-02T03:04:05Z');
});

void test('isContainerStatus', () => {
  for (const s of ['creating', 'created', 'running', 'stopped', 'paused']) assert.ok(isContainerStatus(s));
  assert.equal(isContainerStatus('exited'), false);
});
