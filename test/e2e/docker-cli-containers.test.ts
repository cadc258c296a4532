// The docker CLI runs containers through skiffd: run (attach, exit codes 0/3/127, --rm, -i with
// stdin, -d), ps, logs (stdout and stderr apart), exec (-i), stop, kill, restart, wait, rm, rename,
// the image-in-use conflict, and live restore: containers keep running while skiffd is down and are
// re-adopted (ps, logs, exec, stop) when it comes back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { docker, haveDockerCli, importBusybox, runCmd, startSkiffd, type CmdResult, type Skiffd } from '../helpers/skiffd.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;
const NET = ['--network', 'none'];

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function busyboxImage(t: { after: (fn: () => Promise<void>) => void }, d: Skiffd): Promise<string> {
  return importBusybox(t, d, 'bb:1', {
    applets: ['sh', 'echo', 'cat', 'sleep', 'ls', 'id', 'hostname', 'ps', 'head', 'tr'],
    files: { 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n', 'etc/group': 'root:x:0:\napp:x:1000:\n' },
    changes: ['CMD ["/bin/sh"]'],
  });
}

test('docker CLI: run, ps, logs, exec, stop, kill, restart, wait, rm through skiffd', { skip, timeout: 240_000 }, async (t) => {
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const img = await busyboxImage(t, d);

  const hi = await docker(d, ['run', '--rm', ...NET, img, 'echo', 'hi']);
  assert.deepEqual([hi.code, hi.stdout, hi.stderr], [0, 'hi\n', '']);
  const three = await docker(d, ['run', '--rm', ...NET, img, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.deepEqual([three.code, three.stdout, three.stderr], [3, 'out\n', 'err\n']);
  const missing = await docker(d, ['run', '--rm', ...NET, img, 'nosuchcmd']);
  assert.equal(missing.code, 127, missing.stderr);
  assert.match(missing.stderr, /nosuchcmd/);
  const piped = await docker(d, ['run', '-i', '--rm', ...NET, img, 'cat'], { input: 'through stdin\n' });
  assert.deepEqual([piped.code, piped.stdout], [0, 'through stdin\n']);
  const user = await docker(d, ['run', '--rm', ...NET, '-u', 'app', '-w', '/tmp', '-h', 'boxy', img, 'sh', '-c', 'id -u; pwd; hostname']);
  assert.equal(ok(user, 'run -u'), '1000\n/tmp\nboxy\n');
  assert.equal(ok(await docker(d, ['ps', '-aq']), 'ps after --rm'), '', 'every --rm container is gone');

  const id = ok(await docker(d, ['run', '-d', '--name', 'web', ...NET, img, 'sh', '-c', 'echo started; trap "echo bye; exit 0" TERM; while true; do sleep 0.1; done']), 'run -d').trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ps = ok(await docker(d, ['ps', '--format', '{{.ID}} {{.Image}} {{.Names}} {{.Status}}']), 'ps');
  assert.match(ps, new RegExp(`^${id.slice(0, 12)} ${img} web Up `));
  assert.equal(ok(await docker(d, ['exec', 'web', 'echo', 'in']), 'exec'), 'in\n');
  assert.equal(ok(await docker(d, ['exec', '-i', 'web', 'cat'], { input: 'exec stdin\n' }), 'exec -i'), 'exec stdin\n');
  assert.equal(ok(await docker(d, ['exec', '-u', 'app', 'web', 'id', '-u']), 'exec -u'), '1000\n');
  // --pid container:web sees web's processes; its pid 1 is web's init
  const joined = ok(await docker(d, ['run', '--rm', ...NET, '--pid', 'container:web', img, 'cat', '/proc/1/cmdline']), 'pid container:');
  assert.match(joined, /trap/);
  const notRunning = await docker(d, ['run', '--rm', '--network', 'container:nosuch', img, 'true']);
  assert.equal(notRunning.code, 125);
  const execFail = await docker(d, ['exec', 'web', 'sh', '-c', 'exit 5']);
  assert.equal(execFail.code, 5);
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.Name}}', 'web']), 'inspect'), 'running true /web\n');
  ok(await docker(d, ['stop', '-t', '5', 'web']), 'stop');
  assert.equal(ok(await docker(d, ['logs', 'web']), 'logs'), 'started\nbye\n');
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'web']), 'inspect'), 'exited 0\n');
  ok(await docker(d, ['start', 'web']), 'start again');
  ok(await docker(d, ['kill', '-s', 'KILL', 'web']), 'kill');
  assert.equal(ok(await docker(d, ['wait', 'web']), 'wait'), '137\n');
  ok(await docker(d, ['restart', '-t', '1', 'web']), 'restart');
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Running}}', 'web']), 'inspect').trim(), 'true');
  const rmRunning = await docker(d, ['rm', 'web']);
  assert.equal(rmRunning.code, 1);
  assert.match(rmRunning.stderr, /container is running: stop the container before removing or force remove/);
  const rmi = await docker(d, ['rmi', img]);
  assert.equal(rmi.code, 1);
  assert.match(rmi.stderr, /conflict: unable to remove repository reference "bb:1" \(must force\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}/);
  const rmiId = await docker(d, ['rmi', ok(await docker(d, ['inspect', '-f', '{{.Image}}', 'web']), 'image id').trim()]);
  assert.match(rmiId.stderr, /conflict: unable to delete [0-9a-f]{12} \(cannot be forced\) - image is being used by running container [0-9a-f]{12}/);
  ok(await docker(d, ['rename', 'web', 'renamed']), 'rename');
  ok(await docker(d, ['rm', '-f', 'renamed']), 'rm -f');

  ok(await docker(d, ['run', '--name', 'logs', ...NET, img, 'sh', '-c', 'echo to-out; echo to-err >&2']), 'run logs');
  const logs = await docker(d, ['logs', 'logs']);
  assert.deepEqual([logs.stdout, logs.stderr], ['to-out\n', 'to-err\n']);
  assert.equal(ok(await docker(d, ['logs', '--tail', '1', 'logs']), 'tail').length + (await docker(d, ['logs', '--tail', '1', 'logs'])).stderr.length, 'to-err\n'.length);
  const dup = await docker(d, ['run', '--name', 'logs', ...NET, img, 'true']);
  assert.equal(dup.code, 125);
  assert.match(dup.stderr, /Conflict\. The container name "\/logs" is already in use by container/);
  ok(await docker(d, ['rm', 'logs']), 'rm');
  const noImage = await docker(d, ['run', '--rm', ...NET, 'nosuchimage:1', 'true']);
  assert.equal(noImage.code, 125);
  assert.equal(await d.stop(), 0, d.log());
});

test('live restore: a container keeps running while skiffd is down and is re-adopted', { skip, timeout: 120_000 }, async (t) => {
  let d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const dir = d.dir;
  const img = await busyboxImage(t, d);
  ok(await docker(d, ['run', '-d', '--name', 'survivor', ...NET, img, 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']), 'run -d');
  ok(await docker(d, ['run', '-d', '--name', 'ended', ...NET, img, 'sh', '-c', 'sleep 1; exit 4']), 'run -d ended');
  const pid = Number(ok(await docker(d, ['inspect', '-f', '{{.State.Pid}}', 'survivor']), 'pid').trim());
  assert.ok(pid > 0);
  assert.equal(await d.stop(), 0, d.log());
  process.kill(pid, 0); // still running with the daemon down
  await new Promise((r) => setTimeout(r, 1500)); // 'ended' exits while the daemon is down
  d = await startSkiffd(t, { dir, daemonJson: { 'cgroup-parent': 'skiff-test' } });
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', 'survivor']), 'inspect').trim(), `true ${pid}`);
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'ended']), 'inspect ended').trim(), 'exited 4');
  assert.equal(ok(await docker(d, ['exec', 'survivor', 'echo', 'still here']), 'exec'), 'still here\n');
  const logs = ok(await docker(d, ['logs', '--tail', '2', 'survivor']), 'logs');
  assert.match(logs, /^tick \d+\ntick \d+\n$/);
  ok(await docker(d, ['stop', '-t', '1', 'survivor']), 'stop');
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Running}}', 'survivor']), 'inspect').trim(), 'false');
  ok(await docker(d, ['rm', 'survivor', 'ended']), 'rm');
});

/** Polls `docker inspect -f fmt` until it prints `want` (a real state change, bounded in time). */
async function until(d: Skiffd, name: string, fmt: string, want: RegExp, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const out = (await docker(d, ['inspect', '-f', fmt, name])).stdout.trim();
    if (want.test(out)) return out;
    if (Date.now() > end) assert.fail(`${name}: ${fmt} is ${out}, waited for ${want}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('restart policies, OOM kill, stats and top', { skip, timeout: 120_000 }, async (t) => {
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const img = await busyboxImage(t, d);
  ok(await docker(d, ['run', '-d', '--name', 'fails', '--restart', 'on-failure:2', ...NET, img, 'sh', '-c', 'exit 1']), 'run on-failure');
  assert.equal(await until(d, 'fails', '{{.RestartCount}} {{.State.Status}}', /^2 exited$/), '2 exited');
  ok(await docker(d, ['run', '-d', '--name', 'always', '--restart', 'always', ...NET, img, 'sh', '-c', 'sleep 0.3']), 'run always');
  await until(d, 'always', '{{.RestartCount}}', /^[1-9]/);
  ok(await docker(d, ['stop', '-t', '1', 'always']), 'stop always');
  const count = (await docker(d, ['inspect', '-f', '{{.RestartCount}}', 'always'])).stdout.trim();
  await new Promise((r) => setTimeout(r, 800)); // a restart would have happened by now (back-off ≤ 400 ms here)
  assert.equal((await docker(d, ['inspect', '-f', '{{.State.Running}} {{.RestartCount}}', 'always'])).stdout.trim(), `false ${count}`);

  const oom = await docker(d, ['run', '--name', 'oom', '-m', '16m', '--memory-swap', '16m', ...NET, img, 'sh', '-c', 'x=$(head -c 64000000 /dev/zero | tr "\\0" x); echo survived']);
  assert.equal(oom.code, 137, oom.stdout + oom.stderr);
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'oom']), 'inspect oom').trim(), 'true 137');

  ok(await docker(d, ['run', '-d', '--name', 'busy', '-m', '64m', ...NET, img, 'sleep', '60']), 'run busy');
  const stats = ok(await docker(d, ['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', 'busy']), 'stats');
  assert.match(stats, /^busy \d+(\.\d+)?[KM]iB \/ 64MiB 1\n$/);
  ok(await docker(d, ['update', '-m', '32m', '--memory-swap', '32m', '--pids-limit', '20', 'busy']), 'update');
  assert.match(ok(await docker(d, ['stats', '--no-stream', '--format', '{{.MemUsage}}', 'busy']), 'stats after update'), / \/ 32MiB\n$/);
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}', 'busy']), 'inspect update').trim(), `${32 * 1024 * 1024} 20`);
  const top = ok(await docker(d, ['top', 'busy']), 'top');
  assert.match(top, /^UID\s+PID\s+PPID/);
  assert.match(top, /sleep 60/);
});

test('cp both ways, diff, export and commit', { skip, timeout: 120_000 }, async (t) => {
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const img = await busyboxImage(t, d);
  const dir = await mkdtemp('/tmp/skiff-cp-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  ok(await docker(d, ['run', '-d', '--name', 'fs', ...NET, img, 'sh', '-c', 'mkdir -p /work/sub; echo one > /work/sub/a; rm /bin/ls; sleep 60']), 'run');
  await until(d, 'fs', '{{.State.Running}}', /^true$/);
  // the writes above happen right after start: wait until they show
  for (let i = 0; i < 100 && (await docker(d, ['exec', 'fs', 'cat', '/work/sub/a'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));

  ok(await docker(d, ['cp', 'fs:/work', dir]), 'cp out');
  assert.equal(await readFile(join(dir, 'work/sub/a'), 'utf8'), 'one\n');
  await writeFile(join(dir, 'in.txt'), 'from the host\n');
  ok(await docker(d, ['cp', join(dir, 'in.txt'), 'fs:/work/']), 'cp in');
  assert.equal(ok(await docker(d, ['exec', 'fs', 'cat', '/work/in.txt']), 'exec cat'), 'from the host\n');
  const missing = await docker(d, ['cp', 'fs:/nope', dir]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Could not find the file \/nope in container/);

  const diff = ok(await docker(d, ['diff', 'fs']), 'diff').trim().split('\n');
  for (const line of ['A /work', 'A /work/sub', 'A /work/sub/a', 'C /bin', 'D /bin/ls']) assert.ok(diff.includes(line), `${line} in ${diff.join(', ')}`);

  const exported = join(dir, 'fs.tar');
  ok(await docker(d, ['export', '-o', exported, 'fs']), 'export');
  const names = ok(await runCmd('tar', ['-tf', exported]), 'tar t').split('\n');
  assert.ok(names.includes('work/sub/a') && names.includes('bin/busybox') && !names.includes('bin/ls'), names.slice(0, 20).join(','));

  const committed = ok(await docker(d, ['commit', '-c', 'CMD ["cat", "/work/sub/a"]', '-m', 'a commit', 'fs', 'committed:1']), 'commit').trim();
  assert.match(committed, /^sha256:[0-9a-f]{64}$/);
  assert.equal(ok(await docker(d, ['run', '--rm', ...NET, 'committed:1']), 'run committed'), 'one\n');
  const hist = ok(await docker(d, ['history', '--format', '{{.Comment}}', 'committed:1']), 'history');
  assert.equal(hist.split('\n')[0], 'a commit');
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Running}}', 'fs']), 'still running').trim(), 'true');
});

test('health checks: starting, unhealthy after retries, healthy, shown by ps, health_status events', { skip, timeout: 120_000 }, async (t) => {
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const img = await busyboxImage(t, d);
  const since = Math.floor(Date.now() / 1000) - 1;
  ok(await docker(d, ['run', '-d', '--name', 'hc', ...NET, '--health-cmd', 'cat /tmp/ok', '--health-interval', '200ms', '--health-retries', '2', '--health-timeout', '2s',
    img, 'sh', '-c', 'sleep 1.5; echo fine > /tmp/ok; sleep 60']), 'run');
  await until(d, 'hc', '{{.State.Health.Status}}', /^unhealthy$/);
  const streak = Number((await docker(d, ['inspect', '-f', '{{.State.Health.FailingStreak}}', 'hc'])).stdout.trim());
  assert.ok(streak >= 2, `failing streak ${streak}`);
  await until(d, 'hc', '{{.State.Health.Status}}', /^healthy$/);
  assert.match(ok(await docker(d, ['ps', '--format', '{{.Status}}']), 'ps'), /^Up .* \(healthy\)\n$/);
  const log = ok(await docker(d, ['inspect', '-f', '{{range .State.Health.Log}}{{.ExitCode}}:{{.Output}}|{{end}}', 'hc']), 'log');
  assert.match(log, /0:fine\n\|\n$/);
  const events = ok(await docker(d, ['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=health_status', '--format', '{{.Action}}']), 'events');
  assert.deepEqual(events.trim().split('\n'), ['health_status: starting', 'health_status: unhealthy', 'health_status: healthy']);
});

test('run -it through a real pty (script): a tty inside, typed input, the exit code', { skip, timeout: 120_000 }, async (t) => {
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const img = await busyboxImage(t, d);
  const env = { ...process.env, DOCKER_CONFIG: join(d.dir, 'docker-config'), DOCKER_CLI_HINTS: 'false' };
  const tty = await runCmd('script', ['-qec', `docker -H ${d.host} run -it --rm --network none ${img} sh -c 'tty; echo in-tty'`, '/dev/null'], { env });
  assert.equal(tty.code, 0, tty.stdout + tty.stderr);
  // (script turns its closed stdin into a NUL the container's tty echoes as ^@, with dockerd too)
  assert.match(tty.stdout, /^(\^@)?\/dev\/pts\/0\r\nin-tty\r\n$/);
  const typed = await runCmd('script', ['-qec', `docker -H ${d.host} run -it --rm --network none ${img} sh`, '/dev/null'], { env, input: 'echo typed-$((6*7))\nexit 7\n' });
  assert.equal(typed.code, 7, typed.stdout + typed.stderr);
  assert.match(typed.stdout, /typed-42/);
  assert.equal((await docker(d, ['ps', '-aq'])).stdout, '', '--rm removed both');
});
