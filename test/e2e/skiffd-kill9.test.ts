// kill -9 of skiffd with 50 running containers: every container keeps running (their shims are
// their parents and write their logs), and after a restart all 50 are listed, manageable (exec,
// stop, rm) and their logs hold every line written while the daemon was dead, without a gap.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { killPid } from '../helpers/cleanup.js';
import { docker, haveDockerCli, runCmd, startSkiffd, type CmdResult } from '../helpers/skiffd.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;
const COUNT = 50;

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

test(`kill -9 skiffd with ${COUNT} running containers: all survive, are re-adopted, logs complete`, { skip, timeout: 300_000 }, async (t) => {
  let d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const dir = await mkdtemp('/tmp/skiff-k9-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'root/bin'), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'root/bin/busybox'));
  for (const a of ['sh', 'echo', 'sleep', 'cat']) await symlink('busybox', join(dir, `root/bin/${a}`));
  assert.equal((await runCmd('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'r.tar'), '.'])).code, 0);
  ok(await docker(d, ['import', '-c', 'ENV PATH=/bin', join(dir, 'r.tar'), 'bb:1']), 'import');

  const names = Array.from({ length: COUNT }, (_, i) => `c${i}`);
  for (const n of names) {
    ok(await docker(d, ['run', '-d', '--name', n, '--network', 'none', 'bb:1', 'sh', '-c', 'i=0; while true; do echo "line $i"; i=$((i+1)); sleep 0.1; done']), `run ${n}`);
  }
  const pids = ok(await docker(d, ['inspect', '-f', '{{.State.Pid}}', ...names]), 'pids').trim().split('\n').map(Number);
  assert.equal(pids.length, COUNT);

  killPid(d.process.pid!, 'SIGKILL');
  await d.stop();
  for (const pid of pids) process.kill(pid, 0); // every container still runs
  await new Promise((r) => setTimeout(r, 1500)); // they keep logging while the daemon is dead

  d = await startSkiffd(t, { dir: d.dir, daemonJson: { 'cgroup-parent': 'skiff-test' } });
  assert.equal(ok(await docker(d, ['ps', '-q']), 'ps').trim().split('\n').length, COUNT);
  assert.deepEqual(ok(await docker(d, ['inspect', '-f', '{{.State.Pid}}', ...names]), 'pids again').trim().split('\n').map(Number), pids);
  for (const n of names) {
    const lines = ok(await docker(d, ['logs', n]), `logs ${n}`).trim().split('\n');
    assert.ok(lines.length >= 15, `${n}: ${lines.length} lines`);
    lines.forEach((l, i) => assert.equal(l, `line ${i}`, `${n}: a gap or a repeat at line ${i}`));
  }
  assert.equal(ok(await docker(d, ['exec', 'c7', 'echo', 'managed']), 'exec'), 'managed\n');
  ok(await docker(d, ['stop', '-t', '1', 'c0', 'c1']), 'stop');
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Running}}', 'c0']), 'inspect').trim(), 'false');
  ok(await docker(d, ['rm', '-f', ...names]), 'rm -f');
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), `container process ${pid} is gone`);
});
