// The native shim as skiffd will use it: detached, parent of the container's init, reachable on a
// path socket by any later client (wait, kill, pid), writing the exit status atomically; and the
// security duties that live in C, each with a check that would catch it coming back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { openSync, closeSync, mkdtempSync, readFileSync, readlinkSync, rmSync, existsSync, writeFileSync, mkdirSync, symlinkSync, cpSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  planContainer, encodePlan, ShimProcess, encodeMessage, MSG, sealedShimImage, type PreparedContainer,
} from '../../../src/runtime/index.js';
import { runcDefaultSpec } from '../../helpers/bundle.js';
import { busyboxRootfs } from '../../fixtures/busybox-rootfs.js';
import { Cleanup, cleanupFor, killPid } from '../../helpers/cleanup.js';
import { repoRoot } from '../../helpers/repo.js';
import type { Spec } from '../../../src/oci/index.js';

const SHIM = join(repoRoot(), 'native', 'build', 'skiff-shim');
const RUNTIME = join(repoRoot(), 'bin', 'skiff-runtime');

function prep(rootfs: string): PreparedContainer {
  return { rootfs, bindSourceIsDir: new Map(), joinFds: new Map(), preserveFds: 0, cgroupMounts: [], noPivot: false, hookState: '{}' };
}

function specRunning(args: string[]): Spec {
  const spec = runcDefaultSpec();
  spec.process!.terminal = false;
  spec.process!.args = args;
  spec.mounts = spec.mounts!.filter((m) => m.type !== 'cgroup');
  spec.linux!.resources = undefined;
  return spec;
}

/** One 16-byte request on the shim's control socket, one reply. */
function ask(path: string, kind: number, a = 0): Promise<{ kind: number; a: number }> {
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    s.once('error', reject);
    s.once('data', (buf: Buffer) => {
      s.destroy();
      resolve({ kind: buf.readUInt32LE(0), a: buf.readInt32LE(4) });
    });
    s.write(encodeMessage(kind, a));
  });
}

async function startShim(cleanup: Cleanup, spec: Spec, shimPath = SHIM) {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-shim-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }), `rm ${dir}`);
  const controlSocket = join(dir, 'shim.sock');
  const exitFile = join(dir, 'exit');
  const plan = planContainer(spec, prep(await busyboxRootfs()), { mode: 'shim', relayConsole: false, controlSocket, exitFile });
  const shim = new ShimProcess({
    shimPath, plan: encodePlan(plan.ops), stdio: ['ignore', 'ignore', 'ignore'], preservedFds: [], extraFds: [],
    detached: true, onSync: async () => {},
  });
  cleanup.add(() => killPid(shim.child.pid!), 'kill shim');
  const outcome = await shim.launched;
  assert.equal(outcome.kind, 'execed');
  cleanup.add(() => killPid(outcome.pid), 'kill init');
  return { shim, controlSocket, exitFile, initPid: outcome.pid };
}

test('a detached shim serves pid/kill/wait on its socket and records the exit status atomically', async (t) => {
  const cleanup = cleanupFor(t);
  const { shim, controlSocket, exitFile, initPid } = await startShim(cleanup, specRunning(['sleep', '1000']));
  // the launcher goes away: the shim and the container stay
  shim.unref();
  shim.child.stdio.forEach((s) => s?.destroy());
  assert.equal(readFileSync(`/proc/${initPid}/stat`, 'utf8').split(' ')[3], String(shim.child.pid), 'the shim is the init\'s parent');
  const pid = await ask(controlSocket, MSG.GET_PID);
  assert.deepEqual(pid, { kind: MSG.PID, a: initPid });
  const waiting = ask(controlSocket, MSG.WAIT);
  const killed = await ask(controlSocket, MSG.KILL, 9);
  assert.deepEqual(killed, { kind: MSG.OK, a: 0 });
  const exited = await waiting;
  assert.equal(exited.kind, MSG.EXITED);
  assert.equal(exited.a & 0x7f, 9, 'killed by SIGKILL');
  assert.equal(readFileSync(exitFile, 'utf8').trim(), String(exited.a));
  assert.equal(existsSync(`${exitFile}.tmp`), false);
});

test('CVE-2019-5736: the shim and its children run from a sealed memfd, never the host binary', async (t) => {
  const cleanup = cleanupFor(t);
  const { shim } = await startShim(cleanup, specRunning(['sleep', '1000']));
  const exe = readlinkSync(`/proc/${shim.child.pid}/exe`);
  assert.match(exe, /^\/memfd:skiff-shim/);
  // the sealed memfd cannot be opened for writing even by root
  const r = spawnSync('sh', ['-c', `exec 3>>/proc/${shim.child.pid}/exe`], { encoding: 'utf8' });
  assert.notEqual(r.status, 0, 'writing to the shim\'s exe must fail');
});

test('shims exec\'d from one shared sealed image run from it and cannot write it', async (t) => {
  const cleanup = cleanupFor(t);
  const image = sealedShimImage(SHIM);
  cleanup.add(() => image.close());
  const a = await startShim(cleanup, specRunning(['sleep', '1000']), image.path);
  const b = await startShim(cleanup, specRunning(['sleep', '1000']), image.path);
  for (const { shim } of [a, b]) assert.match(readlinkSync(`/proc/${shim.child.pid}/exe`), /^\/memfd:skiff-shim/);
  const inode = (pid: number): number => statSync(`/proc/${pid}/exe`).ino;
  assert.equal(inode(a.shim.child.pid!), inode(b.shim.child.pid!), 'both shims map the same image');
  const r = spawnSync('sh', ['-c', `exec 3>>${image.path}`], { encoding: 'utf8' });
  assert.notEqual(r.status, 0, 'the sealed image cannot be opened for writing');
});

test('CVE-2024-21626: the container sees only fds 0-2, and a cwd outside the root is refused', async (t) => {
  const cleanup = cleanupFor(t);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-fds-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  const state = join(dir, 'state');
  const spec = specRunning(['ls', '/proc/self/fd']);
  spec.root = { path: await busyboxRootfs(), readonly: true };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  const r = spawnSync(RUNTIME, ['--root', state, 'run', '--bundle', dir, 'fds-1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map(Number).sort(), [0, 1, 2, 3], 'ls sees 0-2 and its own directory fd');
  // a host directory reaching the container as fd 3 (here on purpose, with --preserve-fds): a cwd
  // through it would leave the root, and must be refused
  spec.process!.cwd = '/proc/self/fd/3';
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  const hostDir = openSync(dir, 'r');
  cleanup.add(() => closeSync(hostDir));
  const leak = spawnSync(RUNTIME, ['--root', state, 'run', '--preserve-fds', '1', '--bundle', dir, 'fds-2'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', hostDir],
  });
  assert.notEqual(leak.status, 0, leak.stdout);
  assert.match(leak.stderr, /process\.cwd: current working directory \/proc\/self\/fd\/3 is outside of the container root/);
});

test('a /proc that is a symlink in the rootfs is refused, naming the mount', async (t) => {
  const cleanup = cleanupFor(t);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-proc-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  const rootfs = join(dir, 'rootfs');
  cpSync(await busyboxRootfs(), rootfs, { recursive: true, verbatimSymlinks: true });
  rmSync(join(rootfs, 'proc'), { recursive: true, force: true });
  mkdirSync(join(rootfs, 'evil'));
  symlinkSync('/evil', join(rootfs, 'proc'));
  const spec = specRunning(['true']);
  spec.root = { path: rootfs, readonly: false };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  const r = spawnSync(RUNTIME, ['--root', join(dir, 'state'), 'run', '--bundle', dir, 'proc-1'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /mounts\[0\] \(\/proc\): \/proc must not be a symlink/);
  assert.ok(statSync(join(rootfs, 'evil')).isDirectory());
});
