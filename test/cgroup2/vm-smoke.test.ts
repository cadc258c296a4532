// Smoke test of the cgroup v2 VM (scripts/test-cgroup2.sh): the VM's /sys/fs/cgroup is a pure
// cgroup2 hierarchy with the controllers Skiff uses, and a memory limit really OOM-kills.
// Skipped unless SKIFF_CGROUP2_ROOT is set (the VM sets it; the host's cgroups are hybrid).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = process.env['SKIFF_CGROUP2_ROOT'];
const skip = root === undefined ? 'SKIFF_CGROUP2_ROOT is not set: run it with scripts/test-cgroup2.sh' : false;
const CGROUP2_SUPER_MAGIC = 0x63677270;

function read(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

/** Parses a flat-keyed cgroup file ("key value" lines) such as memory.events. */
function keyed(file: string): Map<string, number> {
  const entries = read(file).trim().split('\n').map((line) => line.split(' '));
  return new Map(entries.map(([k, v]) => [k ?? '', Number(v)]));
}

/** rmdir of a cgroup can fail with EBUSY for a moment after its last process was reaped. */
async function removeCgroup(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 50) throw err;
      await sleep(100);
    }
  }
}

void test('/sys/fs/cgroup is a cgroup2 mount', { skip }, () => {
  const dir = root ?? '';
  assert.equal(fs.statfsSync(dir).type, CGROUP2_SUPER_MAGIC);
  const mounts = read('/proc/mounts').split('\n').map((line) => line.split(' '));
  assert.ok(mounts.some((m) => m[1] === dir && m[2] === 'cgroup2'), `no cgroup2 line for ${dir} in /proc/mounts`);
  assert.ok(!mounts.some((m) => m[2] === 'cgroup'), 'a cgroup v1 hierarchy is mounted');
});

void test('the root cgroup offers the memory, cpu, pids and io controllers', { skip }, () => {
  const controllers = read(path.join(root ?? '', 'cgroup.controllers')).trim().split(' ');
  for (const c of ['memory', 'cpu', 'pids', 'io']) assert.ok(controllers.includes(c), `${c} in ${controllers.join(' ')}`);
});

void test('memory.max OOM-kills a process of a child cgroup that allocates more', { skip, timeout: 120_000 }, async (t) => {
  const parent = root ?? '';
  fs.writeFileSync(path.join(parent, 'cgroup.subtree_control'), '+memory');
  const cg = path.join(parent, `skiff-vm-smoke-${process.pid}`);
  fs.mkdirSync(cg);
  t.after(() => removeCgroup(cg));
  fs.writeFileSync(path.join(cg, 'memory.max'), String(96 << 20));
  if (fs.existsSync(path.join(cg, 'memory.swap.max'))) fs.writeFileSync(path.join(cg, 'memory.swap.max'), '0');

  // The shell joins the cgroup before it execs node, so every page node touches is charged to it.
  // node allocates and touches 16 MiB buffers up to 1 GiB, then exits 0 (the limit did not bite).
  const allocate = 'const a = []; for (let i = 0; i < 64; i++) a.push(Buffer.alloc(16 << 20, 1)); console.log("survived")';
  const child = spawn('/bin/sh', ['-c', 'echo $$ > "$1/cgroup.procs" && exec "$2" -e "$3"', 'sh', cg, process.execPath, allocate], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];

  assert.equal(signal, 'SIGKILL', `expected an OOM kill, got exit code ${code} signal ${signal}: ${output}`);
  const events = keyed(path.join(cg, 'memory.events'));
  assert.ok((events.get('oom_kill') ?? 0) >= 1, `memory.events: ${JSON.stringify([...events])}`);
  assert.ok((events.get('max') ?? 0) >= 1);
});
