// A full disk while a container logs (the json-file log the shim writes, native/src/io.c): the
// container keeps running and its output keeps being drained, `docker logs` returns only whole,
// in-order lines, the shim notes the loss in its shim.log, and logging resumes by itself once
// there is space again. Only the log starves: a small tmpfs is mounted over the container's
// directory (where LogPath is) between create and start; the image and the rootfs's upper dir
// live elsewhere in the data root. The writer's edge cases (a write cut short, a rotation that
// cannot create its new file or rename, a torn last line) are the C test native/tests/log-write-test.c,
// built with the shim's flags and run by the second test here; the third checks that `docker logs
// --follow` reads on while the shim writes into <log>.1 because it could not create a new <log>.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readLogs } from '../../src/engine/logs/index.js';
import { MNT_DETACH, mountPoints, umount } from '../../src/sys/index.js';
import { repoRoot } from '../helpers/repo.js';
import { docker, haveDockerCli, importBusybox, runCmd, startSkiffd, type CmdResult, type Skiffd } from '../helpers/skiffd.js';

const skipRoot = process.getuid?.() !== 0 ? 'needs root' : false;
const skip = skipRoot === false ? haveDockerCli : skipRoot;
const NET = ['--network', 'none'];
const PAD = '0'.repeat(300);
// ~1000 lines of ~310 bytes a second, each one's number also written to /tmp/n inside the container
const SCRIPT = `pad=$(printf "%0300d" 0); i=0; while true; do i=$((i+1)); echo "line $i $pad"; echo $i > /tmp/n; [ $((i % 10)) -eq 0 ] && sleep 0.01; done`;

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function busyboxImage(t: { after: (fn: () => Promise<void>) => void }, d: Skiffd): Promise<string> {
  return importBusybox(t, d, 'bb:logfull', { applets: ['sh', 'echo', 'cat', 'sleep', 'printf'], files: { 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n' } });
}

/** Polls `probe` until it returns a value (not undefined), for at most `ms`. */
async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `docker logs` of the container: every line whole and numbered in increasing order. */
async function loggedNumbers(d: Skiffd, name: string): Promise<number[]> {
  const r = await docker(d, ['logs', name]);
  const out = ok(r, 'logs');
  assert.equal(r.stderr, '', 'nothing on stderr');
  const lines = out.split('\n');
  assert.equal(lines.pop(), '', 'the output ends with a whole line');
  const numbers = lines.map((l, i) => {
    const m = /^line (\d+) (0+)$/.exec(l);
    assert.ok(m !== null && m[2] === PAD, `line ${i} is not a whole line: ${l.slice(0, 120)}`);
    return Number(m[1]);
  });
  numbers.forEach((n, i) => assert.ok(i === 0 || n > numbers[i - 1]!, `line ${n} after ${numbers[i - 1]}`));
  return numbers;
}

async function counter(d: Skiffd, name: string): Promise<number> {
  return Number(ok(await docker(d, ['exec', name, 'cat', '/tmp/n']), 'exec cat /tmp/n').trim());
}

async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isFile() && e.name === name) return p;
    if (e.isDirectory()) {
      const found = await findFile(p, name);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

test('a full disk while logging: the container runs on, the log stays whole, logging resumes', { skip, timeout: 240_000 }, async (t) => {
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const img = await busyboxImage(t, d);
  const name = 'chatty';
  const id = ok(await docker(d, ['create', '--name', name, ...NET, img, 'sh', '-c', SCRIPT]), 'create').trim();
  const logPath = ok(await docker(d, ['inspect', '-f', '{{.LogPath}}', id]), 'inspect LogPath').trim();
  const dir = dirname(logPath);
  assert.equal(dir, join(d.dataRoot, 'containers', id));
  const unmount = (): void => {
    if (mountPoints().includes(dir)) umount(dir, MNT_DETACH);
  };
  // after the daemon's own hook (which unmounts what is left under its dir): a last resort
  t.after(unmount);
  // rotation (max-size 20m by default) never happens here: nothing but the filler frees space
  ok(await runCmd('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0710', 'tmpfs', dir]), 'mount tmpfs');
  const filler = join(dir, 'filler');
  try {
    ok(await docker(d, ['start', name]), 'start');
    await until('the first lines in docker logs', 30_000, async () => ((await loggedNumbers(d, name)).length >= 50 ? true : undefined));

    // fill the tmpfs: from now on no record fits
    const dd = await runCmd('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k']);
    assert.match(dd.stderr, /No space left on device/);
    const atFull = await counter(d, name);
    // The pipe holds 64 KiB (~200 lines): 3000 more lines means the shim kept draining it.
    await until('the container to print 3000 more lines', 60_000, async () => ((await counter(d, name)) >= atFull + 3000 ? true : undefined));
    assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Running}}', name]), 'inspect').trim(), 'true');
    const whileFull = await loggedNumbers(d, name);
    const lastKept = whileFull[whileFull.length - 1]!;
    assert.ok(lastKept < atFull + 3000, `line ${lastKept} was logged on a full disk`);
    // the file itself: whole JSON records only
    const raw = await readFile(logPath, 'utf8');
    assert.ok(raw.endsWith('\n'), 'the log file ends with a whole record');
    for (const line of raw.slice(0, -1).split('\n')) {
      const r = JSON.parse(line) as { log: string; stream: string; time: string };
      assert.match(r.log, /^line \d+ 0+\n$/);
      assert.equal(r.stream, 'stdout');
    }
    const shimLog = await findFile(d.execRoot, 'shim.log');
    assert.ok(shimLog !== undefined, 'the shim noted the failure in its shim.log');
    assert.match(await readFile(shimLog, 'utf8'), /skiff-shim: log .*-json\.log: cannot write: No space left on device; dropping records until it can be written\n$/);

    // free the space: logging resumes by itself
    await rm(filler);
    const atFree = await counter(d, name);
    const after = await until('new lines in docker logs', 30_000, async () => {
      const numbers = await loggedNumbers(d, name);
      return numbers[numbers.length - 1]! > atFree ? numbers : undefined;
    });
    assert.ok(after.length > whileFull.length, 'new lines were logged');
    assert.deepEqual(after.slice(0, whileFull.length), whileFull, 'what was logged before stays');
    const notes = await readFile(shimLog, 'utf8');
    assert.match(notes, /writing again; \d+ records \(\d+ bytes of output\) were dropped\n$/);
    // (a shorter record may still fit once or twice just after the disk filled: the last outage counts)
    const dropped = Number([...notes.matchAll(/writing again; (\d+) records/g)].pop()![1]);
    const gap = after[whileFull.length]! - lastKept - 1;
    assert.ok(dropped === gap && gap >= atFull + 3000 - lastKept, `${dropped} records dropped, ${gap} lines missing`);
    assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Running}}', name]), 'inspect').trim(), 'true');

    ok(await docker(d, ['kill', name]), 'kill');
    assert.equal(ok(await docker(d, ['wait', name]), 'wait').trim(), '137');
  } finally {
    // the container's rootfs is unmounted when its run ends; then the tmpfs can go
    await docker(d, ['kill', name]);
    await docker(d, ['wait', name]);
    if (mountPoints().includes(dir)) ok(await runCmd('umount', [dir]), 'umount tmpfs');
  }
  ok(await docker(d, ['rm', name]), 'rm');
  assert.ok(!mountPoints().some((m) => m.startsWith(dir)), 'nothing stays mounted');
});

test('the log writer on a full filesystem (native/tests/log-write-test.c)', { skip: skipRoot }, () => {
  const native = join(repoRoot(), 'native');
  // the shim's own flags (native/Makefile), plus the sanitizers the decoder test uses
  execFileSync('make', ['-s', '-C', native, '--eval=build/log-write-test: tests/log-write-test.c src/io.c include/io.h ; $(CC) $(CFLAGS) -fsanitize=address,undefined -o $@ tests/log-write-test.c src/io.c', 'build/log-write-test']);
  const r = spawnSync(join(native, 'build', 'log-write-test'), { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /log-write-test: ok\n$/);
});

test('docker logs --follow reads on in <log>.1 while the shim cannot create a new <log>', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-logread-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'c-json.log');
  const rec = (n: number): string => `{"log":"line ${n}\\n","stream":"stdout","time":"2026-01-01T00:00:0${n}Z"}\n`;
  await writeFile(`${path}.2`, rec(0));
  await writeFile(`${path}.1`, rec(1) + rec(2)); // rotation renamed the live file and stopped there
  let stop!: () => void;
  const stopWhen = new Promise<void>((resolve) => { stop = resolve; });
  const seen: string[] = [];
  const reading = (async () => {
    for await (const r of readLogs({ path, maxFiles: 3, follow: true, stopWhen })) seen.push(r.line.toString());
  })();
  try {
    await until('the first records', 10_000, async () => (seen.length >= 3 ? true : undefined));
    await appendFile(`${path}.1`, rec(3)); // the shim writes on into <log>.1
    await until('line 3', 10_000, async () => (seen.length >= 4 ? true : undefined));
    await writeFile(path, rec(4)); // and creates <log> once it can
    await until('line 4', 10_000, async () => (seen.length >= 5 ? true : undefined));
  } finally {
    stop();
    await reading;
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4].map((n) => `line ${n}\n`));
  const all: string[] = [];
  for await (const r of readLogs({ path, maxFiles: 3, tail: 2 })) all.push(r.line.toString());
  assert.deepEqual(all, ['line 3\n', 'line 4\n']);
});
