// skiff's container verbs against a real (private) dockerd, side by side with docker's own CLI: the
// same daemon, the same busybox image (imported from a tar of /bin/busybox and its applet links, no
// internet), `--network none` for every container. Outputs and exit codes must match; docker's
// "docker:" prefix in run errors is skiff's "skiff:", container-specific parts are masked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveDockerd, runCommand, startPrivateDockerd, type RunOptions, type RunResult } from '../../helpers/private-dockerd.js';
import { repoRoot } from '../../helpers/repo.js';

const SKIFF = join(repoRoot(), 'bin', 'skiff');
const notRoot = process.getuid?.() !== 0 ? 'needs root' : false;
const IMG = 'skc:1';
const NONE = ['--network', 'none'];

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/** skiff's texts with docker's name for the binary (run errors start with "<bin>: "). */
const asDocker = (s: string): string => s.replace(/\bskiff\b/g, 'docker');

test('skiff container verbs behave like docker', { skip: notRoot || haveDockerd, timeout: 300_000 }, async (t) => {
  const d = await startPrivateDockerd(t);
  const docker = d.docker;
  const skiff = (args: readonly string[], o: RunOptions = {}): Promise<RunResult> => runCommand(SKIFF, ['-H', d.host, ...args], { env: d.env, ...o });
  t.after(async () => {
    const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter((l) => l !== '');
    if (ids.length > 0) await docker(['rm', '-f', ...ids]);
  });

  /** Runs both CLIs; retried a few times for outputs that show ages. */
  const same = async (args: string[], o: RunOptions & { mask?: (s: string) => string } = {}): Promise<RunResult> => {
    const mask = o.mask ?? ((s: string): string => s);
    let last: [RunResult, RunResult] | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const a = await docker(args, o);
      const b = await skiff(args, o);
      last = [a, b];
      if (mask(a.stdout) === mask(b.stdout) && mask(a.stderr) === mask(asDocker(b.stderr)) && a.code === b.code) return b;
    }
    const [a, b] = last!;
    const what = args.join(' ');
    assert.equal(mask(b.stdout), mask(a.stdout), `${what}: stdout`);
    assert.equal(mask(asDocker(b.stderr)), mask(a.stderr), `${what}: stderr`);
    assert.equal(b.code, a.code, `${what}: exit code`);
    return b;
  };

  // A busybox image: /bin/busybox, sh and the applets the cases use, PATH=/bin.
  const rootfs = join(d.dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const applet of ['sh', 'echo', 'cat', 'sleep', 'tty', 'ls', 'true']) symlinkSync('busybox', join(rootfs, 'bin', applet));
  const rootfsTar = join(d.dir, 'rootfs.tar');
  ok(await runCommand('tar', ['-C', rootfs, '-cf', rootfsTar, '.']), 'tar');
  ok(await docker(['import', '-c', 'CMD ["/bin/sh"]', '-c', 'ENV PATH=/bin', rootfsTar, IMG]), 'docker import');

  await t.test('run: output, exit status, not found, stdin', async () => {
    const hi = await same(['run', '--rm', ...NONE, IMG, 'echo', 'hi']);
    assert.equal(hi.stdout, 'hi\n');
    assert.equal((await same(['run', '--rm', ...NONE, IMG, 'sh', '-c', 'echo out; echo err >&2; exit 3'])).code, 3);
    const missing = await same(['run', '--rm', ...NONE, IMG, 'nosuchcmd']);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /^skiff: Error response from daemon: .*executable file not found/);
    assert.equal((await same(['run', '--rm', ...NONE, IMG, '/bin/'])).code, 126);
    assert.equal((await same(['run', '--rm', '--pull', 'never', ...NONE, 'nosuch:1', 'true'])).code, 125);
    const cat = await same(['run', '-i', '--rm', ...NONE, IMG, 'cat'], { input: 'piped line\nsecond\n' });
    assert.equal(cat.stdout, 'piped line\nsecond\n');
    await same(['run', '--rm', ...NONE, '-e', 'A=1', '-w', '/bin', '-u', '1:2', IMG, 'sh', '-c', 'echo $A $PWD; id -u 2>/dev/null; true']);
  });

  await t.test('run -d, ps, logs, exec, top, inspect, stats', async () => {
    const id = ok(await skiff(['run', '-d', ...NONE, '--name', 'sk1', IMG, 'sh', '-c', 'echo out; echo err >&2; sleep 30']), 'skiff run -d').trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    await same(['ps']);
    await same(['ps', '-a', '--no-trunc']);
    await same(['ps', '-q']);
    await same(['ps', '-l', '--format', '{{.Names}} {{.Image}} {{.Command}} {{.State}}']);
    await same(['ps', '-s']);
    const logs = await same(['logs', 'sk1']);
    assert.equal(logs.stdout, 'out\n');
    assert.equal(logs.stderr, 'err\n');
    await same(['logs', '--tail', '1', 'sk1']);
    assert.equal((await same(['exec', 'sk1', 'echo', 'in'])).stdout, 'in\n');
    assert.equal((await same(['exec', '-i', 'sk1', 'cat'], { input: 'to exec\n' })).stdout, 'to exec\n');
    assert.equal((await same(['exec', 'sk1', 'sh', '-c', 'exit 5'])).code, 5);
    await same(['exec', 'nosuch', 'true']);
    // top: the C (cpu) and TIME columns move; the rest must match.
    const maskTop = (s: string): string => s.split('\n').map((l) => l.split(/\s+/).filter((_, i) => i !== 3 && i !== 6).join(' ')).join('\n');
    await same(['top', 'sk1'], { mask: maskTop });
    await same(['inspect', '-f', '{{.Name}} {{.State.Status}} {{json .Config.Cmd}} {{.HostConfig.NetworkMode}}', 'sk1']);
    await same(['inspect', '--type', 'image', '-f', '{{.Id}}', IMG]);
    await same(['inspect', 'nosuch']);
    await same(['container', 'inspect', '-f', '{{.Config.Image}}', 'sk1']);
    const maskStats = (s: string): string => s.replace(/\d+(\.\d+)?%/g, 'P%').replace(/[\d.]+[KMG]?i?B \//, 'M /');
    await same(['stats', '--no-stream', 'sk1'], { mask: maskStats });
    await same(['port', 'sk1']);
  });

  await t.test('cp both ways, diff, commit, export', async () => {
    ok(await skiff(['run', '-d', ...NONE, '--name', 'sk2', IMG, 'sleep', '30']), 'skiff run sk2');
    ok(await docker(['run', '-d', ...NONE, '--name', 'dk2', IMG, 'sleep', '30']), 'docker run dk2');
    const local = join(d.dir, 'local');
    mkdirSync(join(local, 'sub'), { recursive: true });
    writeFileSync(join(local, 'sub', 'a.txt'), 'alpha\n');
    writeFileSync(join(d.dir, 'one.txt'), 'one\n');
    // into the container: skiff's copy read back by docker and the other way round
    await Promise.all([skiff(['cp', join(d.dir, 'one.txt'), 'sk2:/']), docker(['cp', join(d.dir, 'one.txt'), 'dk2:/'])]).then(([a, b]) => {
      ok(a, 'skiff cp in');
      ok(b, 'docker cp in');
    });
    ok(await skiff(['cp', local, 'sk2:/copied']), 'skiff cp dir in');
    ok(await docker(['cp', local, 'dk2:/copied']), 'docker cp dir in');
    const lsR = async (c: string): Promise<string> => ok(await docker(['exec', c, 'ls', '-lR', '/copied', '/one.txt']), 'ls').replace(/\s+\S+\s+\d+\s+\d\d:\d\d\s+/g, ' T ');
    assert.equal(await lsR('sk2'), await lsR('dk2'));
    // out of the container
    ok(await skiff(['cp', 'sk2:/copied', join(d.dir, 'out-s')]), 'skiff cp dir out');
    ok(await docker(['cp', 'sk2:/copied', join(d.dir, 'out-d')]), 'docker cp dir out');
    assert.equal(readFileSync(join(d.dir, 'out-s', 'sub', 'a.txt'), 'utf8'), 'alpha\n');
    const tree = async (p: string): Promise<string> => ok(await runCommand('ls', ['-lR', p]), 'ls').split(p).join('');
    assert.equal(await tree(join(d.dir, 'out-s')), await tree(join(d.dir, 'out-d')));
    ok(await skiff(['cp', 'sk2:/one.txt', join(d.dir, 'one-back.txt')]), 'skiff cp file out');
    assert.equal(readFileSync(join(d.dir, 'one-back.txt'), 'utf8'), 'one\n');
    await same(['cp', 'sk2:/nosuch', join(d.dir, 'x')]);
    // diff (the daemon's order is a map's): same lines
    const sorted = (s: string): string => s.split('\n').sort().join('\n');
    await same(['diff', 'sk2'], { mask: sorted });
    // commit
    assert.match(ok(await skiff(['commit', '-c', 'ENV A=1', '-m', 'msg', '-a', 'me', 'sk2', 'cm:s']), 'skiff commit'), /^sha256:[0-9a-f]{64}\n$/);
    ok(await docker(['commit', '-c', 'ENV A=1', '-m', 'msg', '-a', 'me', 'dk2', 'cm:d']), 'docker commit');
    const fmt = '{{.Comment}} {{.Author}} {{json .Config.Env}} {{json .Config.Cmd}}';
    assert.equal(ok(await docker(['image', 'inspect', '-f', fmt, 'cm:s']), 'inspect'), ok(await docker(['image', 'inspect', '-f', fmt, 'cm:d']), 'inspect'));
    // export | tar t
    const exported = await skiff(['export', 'sk2']);
    assert.equal(exported.code, 0, exported.stderr);
    const tarFile = join(d.dir, 'export.tar');
    writeFileSync(tarFile, exported.stdoutBytes);
    const names = ok(await runCommand('tar', ['-tf', tarFile]), 'tar t').split('\n').sort();
    const dockerNames = (await docker(['export', 'sk2'])).stdoutBytes;
    writeFileSync(join(d.dir, 'export-d.tar'), dockerNames);
    assert.deepEqual(names, ok(await runCommand('tar', ['-tf', join(d.dir, 'export-d.tar')]), 'tar t').split('\n').sort());
    assert.ok(names.includes('bin/busybox') && names.includes('one.txt'));
    ok(await skiff(['export', '-o', join(d.dir, 'export-o.tar'), 'sk2']), 'export -o');
  });

  await t.test('stop, wait, rm, restart, kill, rename, pause', async () => {
    const stop = async (name: string): Promise<void> => {
      const a = await docker(['stop', '-t', '1', `dk-${name}`]);
      const b = await skiff(['stop', '-t', '1', `sk-${name}`]);
      assert.equal(b.stdout.replace('sk-', 'dk-'), a.stdout);
      assert.equal(b.code, a.code);
    };
    for (const n of ['dk-3', 'sk-3']) ok(await skiff(['run', '-d', ...NONE, '--name', n, IMG, 'sleep', '30']), `run ${n}`);
    await stop('3');
    const wd = await docker(['wait', 'dk-3']);
    const ws = await skiff(['wait', 'sk-3']);
    assert.deepEqual([ws.stdout, ws.code], [wd.stdout, wd.code]);
    assert.equal(ws.stdout, '137\n');
    await same(['ps', '-a', '--filter', 'name=-3', '--format', '{{.Names}} {{.Status}}'], { mask: (s) => s.replace(/dk-|sk-/g, 'x-').split('\n').sort().join('\n') });
    for (const v of ['start', 'restart', 'pause', 'unpause', 'kill']) {
      const a = await docker([v, 'dk-3']);
      const b = await skiff([v, 'sk-3']);
      assert.deepEqual([b.stdout.replace('sk-', 'dk-'), b.stderr, b.code], [a.stdout, a.stderr, a.code], v);
    }
    await same(['stop', 'nosuch']);
    await same(['kill', 'nosuch']);
    ok(await skiff(['rename', 'sk-3', 'sk-4']), 'rename');
    const rmd = await docker(['rm', 'dk-3']);
    const rms = await skiff(['rm', 'sk-4']);
    assert.deepEqual([rms.stdout.replace('sk-4', 'dk-3'), rms.code], [rmd.stdout, rmd.code]);
    await same(['rm', 'nosuch']);
    await same(['rm', '-f', 'nosuch']);
    await same(['wait', 'nosuch']);
  });

  await t.test('volumes and system df', async () => {
    await same(['volume', 'create', 'vol1'], {});
    await same(['volume', 'ls']);
    await same(['volume', 'ls', '-q']);
    await same(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Mountpoint}}', 'vol1']);
    const rmS = await skiff(['volume', 'rm', 'vol1']);
    assert.deepEqual([rmS.stdout, rmS.code], ['vol1\n', 0]);
    await same(['volume', 'rm', 'vol1']);
    await same(['system', 'df']);
  });

  await t.test('run -t under a pseudo-terminal', async () => {
    const inPty = (cli: string): Promise<RunResult> => runCommand('script', ['-qec', `${cli} -H ${d.host} run -t --rm --network none ${IMG} sh -c tty`, '/dev/null'], { env: d.env });
    const a = await inPty('docker');
    const b = await inPty(SKIFF);
    assert.equal(b.stdout, a.stdout);
    assert.match(b.stdout, /^\/dev\/pts\/\d+\r\r?\n$/);
    assert.equal(b.code, a.code);
    // -it: the terminal in raw mode (no second \r), input typed into the shell, its exit status
    const script = join(d.dir, 'typed.txt');
    writeFileSync(script, 'echo hi-from-tty; exit 7\n');
    const typed = async (cli: string): Promise<RunResult> => runCommand('sh', ['-c', `script -qec "${cli} -H ${d.host} run -it --rm --network none ${IMG} sh" /dev/null < ${script}`], { env: d.env });
    const ta = await typed('docker');
    const tb = await typed(SKIFF);
    assert.equal(tb.code, 7);
    assert.equal(tb.code, ta.code);
    assert.ok(tb.stdout.endsWith('\nhi-from-tty\r\n'), JSON.stringify(tb.stdout.slice(-60)));
    assert.ok(ta.stdout.endsWith('\nhi-from-tty\r\n'), JSON.stringify(ta.stdout.slice(-60)));
    // ctrl-p ctrl-q detaches: exit 0, the container keeps running
    const detach = async (cli: string, name: string): Promise<RunResult> => runCommand('sh', ['-c',
      `(printf 'echo before\\n'; sleep 2; printf '\\020\\021'; sleep 3) | script -qec "${cli} -H ${d.host} run -it --network none --name ${name} ${IMG} sh" /dev/null`], { env: d.env });
    const da = await detach('docker', 'det-d');
    const db = await detach(SKIFF, 'det-s');
    assert.deepEqual([db.code, da.code], [0, 0]);
    assert.ok(db.stdout.includes('before\r\n'), JSON.stringify(db.stdout));
    const running = ok(await docker(['ps', '--filter', 'name=det-', '--format', '{{.Names}} {{.State}}']), 'ps').split('\n').sort().join('\n');
    assert.equal(running, '\ndet-d running\ndet-s running');
    ok(await docker(['rm', '-f', 'det-d', 'det-s']), 'rm det');
  });

  await t.test('start -a, attach, logs -f, update, events, prune', async () => {
    const t0 = Math.floor(Date.now() / 1000) - 1;
    for (const n of ['dk-5', 'sk-5']) ok(await docker(['create', ...NONE, '--name', n, IMG, 'sh', '-c', 'echo started; echo e >&2; exit 2']), `create ${n}`);
    const sa = await docker(['start', '-a', 'dk-5']);
    const sb = await skiff(['start', '-a', 'sk-5']);
    assert.deepEqual([sb.stdout, sb.stderr, sb.code], [sa.stdout, sa.stderr, sa.code]);
    assert.equal(sb.code, 2);
    for (const n of ['dk-6', 'sk-6']) ok(await docker(['run', '-d', ...NONE, '--name', n, IMG, 'sh', '-c', 'echo a; sleep 1; echo b; exit 4']), `run ${n}`);
    const att = await skiff(['attach', 'sk-6']);
    assert.deepEqual([att.stdout, att.code], ['b\n', 4]);
    await same(['attach', 'sk-6']);
    const la = await docker(['logs', '-f', 'dk-6']);
    const lb = await skiff(['logs', '-f', 'sk-6']);
    assert.deepEqual([lb.stdout, lb.code], [la.stdout, la.code]);
    for (const n of ['dk-7', 'sk-7']) ok(await docker(['run', '-d', ...NONE, '--name', n, IMG, 'sleep', '30']), `run ${n}`);
    const ua = await docker(['update', '--memory', '64m', '--memory-swap', '128m', '--pids-limit', '50', 'dk-7']);
    const ub = await skiff(['update', '--memory', '64m', '--memory-swap', '128m', '--pids-limit', '50', 'sk-7']);
    assert.deepEqual([ub.stdout.replace('sk-', 'dk-'), ub.code], [ua.stdout, ua.code]);
    const limits = '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}';
    assert.equal(ok(await docker(['inspect', '-f', limits, 'sk-7']), 'inspect'), ok(await docker(['inspect', '-f', limits, 'dk-7']), 'inspect'));
    const until = String(Math.floor(Date.now() / 1000) + 1);
    await new Promise((r) => setTimeout(r, 1500));
    await same(['events', '--since', String(t0), '--until', until]);
    await same(['events', '--since', String(t0), '--until', until, '--filter', 'type=container', '--filter', 'event=start', '--format', '{{json .}}']);
    await same(['events', '--since', String(t0), '--until', until, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.exitCode}}']);
    ok(await docker(['rm', '-f', 'dk-7', 'sk-7']), 'rm');
    const pa = await skiff(['container', 'prune', '-f']);
    assert.match(pa.stdout, /^Deleted Containers:\n([0-9a-f]{64}\n)+\nTotal reclaimed space: .*\n$/);
    await same(['container', 'prune', '-f']);
    ok(await docker(['volume', 'create', 'anon-ish']), 'volume create');
    await same(['volume', 'prune', '-f', '--all']); // API 1.41 (dockerd 20.10): refused client-side
    await same(['volume', 'prune', '-f']);
  });
});
