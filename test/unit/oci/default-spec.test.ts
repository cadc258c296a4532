// defaultSpec against the `runc spec` and `runc spec --rootless` installed here (skipped without runc):
// byte-for-byte, since objects are built in runc's key order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSpec, RUNC_SPEC_VERSION, DEFAULT_CAPABILITIES } from '../../../src/oci/index.js';

function runcPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const runc = runcPath();
// runc adds a cgroup namespace only on a cgroup v2 (unified) host
const unified = existsSync('/sys/fs/cgroup/cgroup.controllers');

function runcSpec(args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-runc-spec-'));
  try {
    execFileSync(runc!, ['spec', ...args], { cwd: dir });
    return readFileSync(join(dir, 'config.json'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void test('defaultSpec() is byte-for-byte `runc spec`', { skip: runc === undefined ? 'runc is not on PATH' : false }, (t) => {
  const version = execFileSync(runc!, ['--version'], { encoding: 'utf8' });
  if (!/^spec: 1\.0\.2-dev$/m.test(version)) {
    t.skip(`runc writes another spec version: ${version.split('\n').find((l) => l.startsWith('spec:')) ?? '?'}`);
    return;
  }
  const ours = JSON.stringify(defaultSpec({ cgroupNamespace: unified }), null, '\t');
  assert.equal(ours, runcSpec([]));
});

void test('defaultSpec({ rootless }) is byte-for-byte `runc spec --rootless`', { skip: runc === undefined ? 'runc is not on PATH' : false }, (t) => {
  const version = execFileSync(runc!, ['--version'], { encoding: 'utf8' });
  if (!/^spec: 1\.0\.2-dev$/m.test(version)) {
    t.skip('runc writes another spec version');
    return;
  }
  const ours = defaultSpec({ rootless: true, cgroupNamespace: unified, hostUid: process.geteuid!(), hostGid: process.getegid!() });
  assert.equal(JSON.stringify(ours, null, '\t'), runcSpec(['--rootless']));
});

void test('defaultSpec: the fields the brief names, independent of runc', () => {
  const s = defaultSpec();
  assert.equal(s.ociVersion, RUNC_SPEC_VERSION);
  assert.equal(s.process!.terminal, true);
  assert.deepEqual(s.process!.args, ['sh']);
  assert.ok(s.process!.env!.includes('TERM=xterm'));
  assert.equal(s.process!.cwd, '/');
  assert.deepEqual(s.process!.capabilities!.bounding, [...DEFAULT_CAPABILITIES]);
  assert.deepEqual(s.process!.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
  assert.equal(s.process!.noNewPrivileges, true);
  assert.deepEqual(s.root, { path: 'rootfs', readonly: true });
  assert.equal(s.hostname, 'runc');
  assert.deepEqual(s.mounts!.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
  assert.deepEqual(s.linux!.namespaces!.map((n) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
  assert.deepEqual(defaultSpec({ cgroupNamespace: false }).linux!.namespaces!.map((n) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount']);
});

void test('defaultSpec({ rootless }): userns mapping, no netns, /sys rbind, no gid= options, no resources', () => {
  const s = defaultSpec({ rootless: true, hostUid: 1000, hostGid: 100 });
  assert.deepEqual(s.linux!.namespaces!.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount', 'cgroup', 'user']);
  assert.deepEqual(s.linux!.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
  assert.deepEqual(s.linux!.gidMappings, [{ containerID: 0, hostID: 100, size: 1 }]);
  assert.equal(s.linux!.resources, undefined);
  const sys = s.mounts!.find((m) => m.destination === '/sys')!;
  assert.deepEqual(sys, { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  assert.ok(!s.mounts!.some((m) => m.options?.some((o) => o.startsWith('gid='))));
});

void test('defaultSpec returns fresh objects', () => {
  const a = defaultSpec();
  a.process!.capabilities!.bounding!.push('CAP_SYS_ADMIN');
  a.mounts![1]!.options!.push('ro');
  const b = defaultSpec();
  assert.equal(b.process!.capabilities!.bounding!.length, 3);
  assert.equal(b.mounts![1]!.options!.length, 4);
});
