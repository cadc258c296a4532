import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveCgroupPath } from '../../../../src/runtime/cgroups/index.js';
import { isCode } from '../../../../src/base/index.js';

void test('absent cgroupsPath → <parent>/<id>, default parent skiff', () => {
  assert.equal(resolveCgroupPath({ containerId: 'abc' }), '/skiff/abc');
  assert.equal(resolveCgroupPath({ containerId: 'abc', parent: '/docker/' }), '/docker/abc');
});

void test('absolute cgroupsPath is taken from the hierarchy root', () => {
  assert.equal(resolveCgroupPath({ containerId: 'x', cgroupsPath: '/machine/ctr1' }), '/machine/ctr1');
  assert.equal(resolveCgroupPath({ containerId: 'x', cgroupsPath: '/a/../b//c/' }), '/b/c');
});

void test('relative cgroupsPath goes under the parent and cannot climb out of it', () => {
  assert.equal(resolveCgroupPath({ containerId: 'x', cgroupsPath: 'pod1/ctr' }), '/skiff/pod1/ctr');
  assert.equal(resolveCgroupPath({ containerId: 'x', cgroupsPath: '../../etc', parent: 'p' }), '/p/etc');
});

void test('systemd slice:prefix:name is refused naming linux.cgroupsPath', () => {
  assert.throws(() => resolveCgroupPath({ containerId: 'x', cgroupsPath: 'system.slice:docker:abc' }), (err: unknown) => {
    assert.ok(isCode(err, 'InvalidArgument'));
    assert.match((err as Error).message, /^linux\.cgroupsPath: .*systemd/);
    assert.equal((err as { field?: string }).field, 'linux.cgroupsPath');
    return true;
  });
});

void test('the hierarchy root itself and bad container ids are refused', () => {
  assert.throws(() => resolveCgroupPath({ containerId: 'x', cgroupsPath: '/..' }), /hierarchy root/);
  assert.throws(() => resolveCgroupPath({ containerId: '../x' }), /invalid container ID format/);
});
