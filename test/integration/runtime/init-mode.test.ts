// The shim binary as `docker run --init`'s pid 1 (bind-mounted read-only at /sbin/docker-init and
// started as `docker-init -- cmd`, tini's command line): it reaps orphans, forwards signals to the
// command and exits with the command's status. Checked from inside the container.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeBundle } from '../../helpers/bundle.js';
import { cleanupFor } from '../../helpers/cleanup.js';
import { repoRoot } from '../../helpers/repo.js';
import { RuntimeCli } from '../../helpers/runtime-cli.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;
const SHIM = join(repoRoot(), 'native', 'build', 'skiff-shim');
const RUNTIME = join(repoRoot(), 'bin', 'skiff-runtime');

function withInit(args: string[]) {
  return {
    args: ['/sbin/docker-init', '--', ...args],
    edit: (spec: import('../../../src/oci/index.js').Spec) => {
      spec.mounts!.push({ destination: '/sbin/docker-init', type: 'bind', source: SHIM, options: ['rbind', 'ro'] });
    },
  };
}

test('--init: pid 1 is the init, the command its child, orphans reaped, exit status passed on', { skip }, async (t) => {
  const cleanup = cleanupFor(t);
  const rt = await RuntimeCli.create(cleanup, RUNTIME);
  const id = rt.newId('init');
  rt.track(id);
  // the orphan (a backgrounded sleep whose parent sh exits) is re-parented to pid 1 and must not
  // stay a zombie once it exits
  const script = '(sleep 0.2 &); sleep 0.6; cat /proc/1/cmdline | tr "\\0" " "; echo; echo ppid=$PPID; ps -o stat,comm | grep -c "^Z" ; exit 6';
  const bundle = await writeBundle(cleanup, { id, ...withInit(['sh', '-c', script]) });
  const r = await rt.cli(['run', '--bundle', bundle.dir, id]);
  assert.equal(r.code, 6, r.stderr);
  const [cmdline, ppid, zombies] = r.stdout.trim().split('\n');
  assert.equal(cmdline!.trim(), '/sbin/docker-init -- sh -c ' + script);
  assert.equal(ppid, 'ppid=1', 'the command is the init\'s child');
  assert.equal(zombies, '0', 'no zombie left');
});

test('--init: a signal to pid 1 reaches the command; a missing command is exit 127', { skip }, async (t) => {
  const cleanup = cleanupFor(t);
  const rt = await RuntimeCli.create(cleanup, RUNTIME);
  const id = rt.newId('initsig');
  rt.track(id);
  const bundle = await writeBundle(cleanup, { id, ...withInit(['sh', '-c', 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.05; done']) });
  const run = await rt.cliDetached(['run', '--detach', '--bundle', bundle.dir, id]);
  assert.equal(run.code, 0, run.stderr);
  await run.output.waitFor(/ready/);
  const k = await rt.cli(['kill', id, 'TERM']);
  assert.equal(k.code, 0, k.stderr);
  await run.output.waitFor(/got-term/);
  await rt.waitForStatus(id, 'stopped');

  const id2 = rt.newId('init127');
  rt.track(id2);
  const bundle2 = await writeBundle(cleanup, { id: id2, ...withInit(['/no/such/command']) });
  const r = await rt.cli(['run', '--bundle', bundle2.dir, id2]);
  assert.equal(r.code, 127);
  assert.match(r.stderr, /skiff-init: exec \/no\/such\/command: No such file or directory/);
});
