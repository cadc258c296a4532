// POST /containers/{id}/attach (the hijacked HTTP stream) beyond what the docker CLI asks for, as
// docker-py, compose and raw clients use it: `logs=1` replays the json log (alone it ends there, with
// `stream=1` the live output and stdin follow), the tty's detach keys (docker's ctrl-p,ctrl-q or the
// client's own) end the attach while the container runs on (a `detach` event), the same for an exec
// with a tty, and the errors before the hijack (bad detach keys, a paused container). The project's
// own client does the hijack; every container runs with `--network none`.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { DockerClient, DaemonError } from '../../src/client/index.js';
import { docker, haveDockerCli, importBusybox, logsHold, startSkiffd, type CmdResult, type Skiffd } from '../helpers/skiffd.js';
import { stdcopyStreams } from '../helpers/stdcopy.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;
const NET = ['--network', 'none'];
const WAIT_MS = 20_000;

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function busyboxImage(t: TestContext, d: Skiffd): Promise<string> {
  return importBusybox(t, d, 'bbat:1', { applets: ['sh', 'echo', 'cat', 'sleep'], changes: ['CMD ["/bin/sh"]'] });
}

/** What a hijacked connection received, and when it ended. */
interface Received {
  socket: Socket;
  raw(): Buffer;
  ended: Promise<void>;
  /** Resolves once the received bytes satisfy `pred`; fails with what arrived after WAIT_MS. */
  until(pred: (raw: Buffer) => boolean, what: string): Promise<void>;
}

function receive(t: TestContext, socket: Socket): Received {
  t.after(() => socket.destroy());
  const chunks: Buffer[] = [];
  const waiters = new Set<() => void>();
  let over = false;
  const ended = new Promise<void>((resolve) => socket.once('close', () => { over = true; resolve(); for (const w of waiters) w(); }));
  socket.on('data', (c: Buffer) => { chunks.push(c); for (const w of waiters) w(); });
  socket.on('error', () => {});
  socket.resume(); // the hijack hands it over paused
  const raw = (): Buffer => Buffer.concat(chunks);
  const until = (pred: (b: Buffer) => boolean, what: string): Promise<void> => new Promise((resolve, reject) => {
    const check = (): void => {
      if (pred(raw())) { done(); resolve(); } else if (over) { done(); reject(new Error(`${what}: ended with ${JSON.stringify(raw().toString('latin1'))}`)); }
    };
    const timer = setTimeout(() => { done(); reject(new Error(`${what}: got ${JSON.stringify(raw().toString('latin1'))}`)); }, WAIT_MS);
    const done = (): void => { clearTimeout(timer); waiters.delete(check); };
    waiters.add(check);
    check();
  });
  return { socket, raw, ended, until };
}

async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${WAIT_MS} ms`)), WAIT_MS); });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function inspect(d: Skiffd, id: string, format: string): Promise<string> {
  return ok(await docker(d, ['inspect', '-f', format, id]), 'inspect').trim();
}

test('attach over HTTP: logs replay with and without stream, detach keys of attach and exec, errors', { skip, timeout: 300_000 }, async (t) => {
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const image = await busyboxImage(t, d);
  const api = new DockerClient({ host: d.host });
  const since = Math.floor(Date.now() / 1000);

  await t.test('logs=1 without stream: the log so far, both streams framed, then the end (the container runs on)', async () => {
    const id = ok(await docker(d, ['run', '-d', ...NET, image, 'sh', '-c', 'echo one; echo two >&2; sleep 1000']), 'run').trim();
    await logsHold(d, id, 'two');
    const conn = await api.attachContainer(id, { stdin: false, stdout: true, stderr: true, stream: false, logs: true });
    assert.equal(conn.multiplexed, true);
    const got = receive(t, conn.socket);
    await within(got.ended, 'the replay ends the attach');
    assert.deepEqual(stdcopyStreams(got.raw()), { out: 'one\n', err: 'two\n' });
    assert.equal(await inspect(d, id, '{{.State.Running}}'), 'true');
    // only stderr asked for: only stderr replayed
    const errOnly = await api.attachContainer(id, { stdin: false, stdout: false, stderr: true, stream: false, logs: true });
    const e = receive(t, errOnly.socket);
    await within(e.ended, 'the stderr replay ends');
    assert.deepEqual(stdcopyStreams(e.raw()), { out: '', err: 'two\n' });
  });

  await t.test('logs=1 with stream: the replay, then live output and stdin', async () => {
    const id = ok(await docker(d, ['run', '-d', '-i', ...NET, image, 'sh', '-c', 'echo ready; while read l; do echo "got $l"; done']), 'run').trim();
    await logsHold(d, id, 'ready');
    const conn = await api.attachContainer(id, { stdin: true, stdout: true, stderr: true, stream: true, logs: true });
    const got = receive(t, conn.socket);
    await got.until((b) => stdcopyStreams(b).out === 'ready\n', 'the replay');
    conn.socket.write('live\n');
    await got.until((b) => stdcopyStreams(b).out === 'ready\ngot live\n', 'the live answer after the replay');
    conn.socket.destroy();
  });

  await t.test('a tty\'s detach keys end the attach, the container runs on, a detach event', async () => {
    const id = ok(await docker(d, ['run', '-dit', ...NET, image, 'sh']), 'run').trim();
    const conn = await api.attachContainer(id, { stdin: true, stdout: true, stderr: true });
    assert.equal(conn.multiplexed, false, 'a tty\'s stream is raw');
    const got = receive(t, conn.socket);
    conn.socket.write('echo a$((40+2))b\n');
    await got.until((b) => b.toString().includes('a42b'), 'the shell answers');
    conn.socket.write(Buffer.from([0x10, 0x11])); // ctrl-p ctrl-q
    await within(got.ended, 'ctrl-p ctrl-q ends the attach');
    assert.equal(await inspect(d, id, '{{.State.Running}}'), 'true', 'the container runs on');
    // the client's own keys; the default ones then reach the shell
    const own = await api.attachContainer(id, { stdin: true, stdout: true, stderr: true, detachKeys: 'ctrl-x,y' });
    const o = receive(t, own.socket);
    own.socket.write(Buffer.from([0x10, 0x11]));
    own.socket.write('echo c$((1+2))d\n');
    await o.until((b) => b.toString().includes('c3d'), 'the shell still answers after ctrl-p ctrl-q');
    own.socket.write(Buffer.from([0x18]));
    own.socket.write('y');
    await within(o.ended, 'ctrl-x y ends the attach');
    assert.equal(await inspect(d, id, '{{.State.Running}}'), 'true');
    const events = ok(await docker(d, ['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', `container=${id}`, '--format', '{{.Action}}']), 'events');
    assert.equal(events.split('\n').filter((a) => a === 'detach').length, 2, events);
  });

  await t.test('an exec with a tty detaches the same way and runs on', async () => {
    const id = ok(await docker(d, ['run', '-d', ...NET, image, 'sleep', '1000']), 'run').trim();
    const exec = await api.createExec(id, { AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Cmd: ['sh'] });
    const conn = await api.startExec(exec.Id, { Detach: false, Tty: true });
    const got = receive(t, conn!.socket);
    conn!.socket.write('echo e$((3*3))x\n');
    await got.until((b) => b.toString().includes('e9x'), 'the exec\'s shell answers');
    conn!.socket.write(Buffer.from([0x10, 0x11]));
    await within(got.ended, 'ctrl-p ctrl-q ends the exec\'s stream');
    assert.equal((await api.inspectExec(exec.Id)).Running, true, 'the exec runs on');
  });

  await t.test('errors before the hijack: bad detach keys, a paused container', async () => {
    const id = ok(await docker(d, ['run', '-dit', ...NET, image, 'sh']), 'run').trim();
    await assert.rejects(api.attachContainer(id, { stdin: true, stdout: true, stderr: true, detachKeys: 'ctrl-P' }),
      (err: unknown) => err instanceof DaemonError && err.statusCode === 400 && /Invalid detach keys \(ctrl-P\) provided/.test(err.message));
    await assert.rejects(api.createExec(id, { AttachStdin: true, Tty: true, Cmd: ['sh'], DetachKeys: 'nope' }),
      (err: unknown) => err instanceof DaemonError && err.statusCode === 400 && /Invalid detach keys \(nope\) provided/.test(err.message));
    ok(await docker(d, ['pause', id]), 'pause');
    await assert.rejects(api.attachContainer(id, { stdin: false, stdout: true, stderr: true }),
      (err: unknown) => err instanceof DaemonError && err.statusCode === 409 && /is paused, unpause the container before attach/.test(err.message));
    ok(await docker(d, ['unpause', id]), 'unpause');
  });
});
