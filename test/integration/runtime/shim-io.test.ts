// The detached shim as skiffd's per-container monitor of I/O (P_IO): it writes docker's json-file log
// byte for byte (escaping, partial lines, rotation), serves attach streams from `created` on (framed
// for no tty, raw for a tty), passes stdin through with stdin-once EOF, resizes the pty, and holds the
// container's output while an attached client does not read (backpressure instead of loss).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  planContainer, encodePlan, ShimProcess, ShimClient, extraFdNumber, type PreparedContainer, type ShimIo,
} from '../../../src/runtime/index.js';
import { mkfifo, openPath, closeFd } from '../../../src/sys/index.js';
import type { Spec } from '../../../src/oci/index.js';
import { runcDefaultSpec } from '../../helpers/bundle.js';
import { busyboxRootfs } from '../../fixtures/busybox-rootfs.js';
import { cleanupFor, killPid, type Cleanup } from '../../helpers/cleanup.js';
import { repoRoot } from '../../helpers/repo.js';

const SHIM = join(repoRoot(), 'native', 'build', 'skiff-shim');
const skip = process.getuid?.() !== 0 ? 'needs root' : false;

function spec(args: string[], terminal = false): Spec {
  const s = runcDefaultSpec();
  s.process!.terminal = terminal;
  s.process!.args = args;
  s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
  s.linux!.resources = undefined;
  return s;
}

interface Started {
  client: ShimClient;
  dir: string;
  log: string;
  /** Releases the init blocked on the exec fifo (what `start` does). */
  start: () => Promise<void>;
}

/** A detached shim in `created` state with the given I/O; nothing runs until start(). */
async function createShim(cleanup: Cleanup, s: Spec, io: Omit<ShimIo, 'log'> & { log?: { maxSizeBytes: number; maxFiles: number } }): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-shimio-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }), `rm ${dir}`);
  const controlSocket = join(dir, 'shim.sock');
  const log = join(dir, 'ctr-json.log');
  const fifo = join(dir, 'exec.fifo');
  mkfifo(fifo, 0o622);
  const fifoFd = openPath(fifo);
  cleanup.add(() => closeFd(fifoFd), 'close fifo fd');
  const prep: PreparedContainer = {
    rootfs: await busyboxRootfs(), bindSourceIsDir: new Map(), joinFds: new Map(), preserveFds: 0, cgroupMounts: [],
    noPivot: false, hookState: '{}', execFifoFd: extraFdNumber(0, 0),
  };
  const shimIo: ShimIo = { ...io, log: io.log === undefined ? undefined : { path: log, ...io.log } };
  const plan = planContainer(s, prep, { mode: 'shim', relayConsole: false, controlSocket, exitFile: join(dir, 'exit'), io: shimIo });
  const shim = new ShimProcess({
    shimPath: SHIM, plan: encodePlan(plan.ops), stdio: ['ignore', 'ignore', 'ignore'], preservedFds: [], extraFds: [fifoFd],
    detached: true, onSync: async () => {},
  });
  cleanup.add(() => killPid(shim.child.pid!), 'kill shim');
  const outcome = await shim.launched;
  assert.equal(outcome.kind, 'created');
  cleanup.add(() => killPid(outcome.pid), 'kill init');
  shim.unref();
  return {
    client: new ShimClient(controlSocket, join(dir, 'exit')),
    dir,
    log,
    start: async () => {
      const fh = await open(fifo, 'r');
      await fh.read(Buffer.alloc(1), 0, 1, null);
      await fh.close();
    },
  };
}

/** Collects an attach stream until it ends. */
function collect(sock: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    sock.once('end', () => resolve(Buffer.concat(chunks)));
    sock.once('error', reject);
  });
}

/** Splits docker's stdcopy frames into [stream, payload] pairs. */
function deframe(buf: Buffer): [number, string][] {
  const out: [number, string][] = [];
  for (let at = 0; at < buf.length;) {
    assert.ok(at + 8 <= buf.length, 'truncated frame header');
    const len = buf.readUInt32BE(at + 4);
    assert.deepEqual([...buf.subarray(at + 1, at + 4)], [0, 0, 0]);
    out.push([buf[at]!, buf.subarray(at + 8, at + 8 + len).toString('latin1')]);
    at += 8 + len;
  }
  return out;
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/;

test('json-file log: docker\'s escaping, streams, partial lines, RFC3339Nano times', { skip }, async (t) => {
  const cleanup = cleanupFor(t);
  // printf in busybox: \xHH bytes; 20000 bytes without a newline become a 16 KiB partial + the rest
  const script = [
    'printf \'plain\\n\'',
    'printf \'q"b\\\\s<>&\\t\\001\\r\\n\'',
    'printf \'bad\\377utf8 \\342\\200\\250 \\303\\251\\n\'',
    'printf \'to stderr\\n\' >&2',
    'head -c 20000 /dev/zero | tr "\\0" x',
    'printf \'\\nno newline at the end\'',
  ].join('; ');
  const c = await createShim(cleanup, spec(['sh', '-c', script]), { stdin: false, stdinOnce: false, outputPipes: true, log: { maxSizeBytes: 0, maxFiles: 1 } });
  await c.start();
  const status = await c.client.wait();
  assert.equal(status, 0);
  const lines = readFileSync(c.log, 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'every record ends with a newline');
  const records = lines.map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
  for (const r of records) assert.match(r.time, TIME);
  // byte-exact escaping as moby's jsonlog writes it
  assert.match(lines[0]!, /^\{"log":"plain\\n","stream":"stdout","time":"[^"]+"\}$/);
  assert.equal(lines[1]!.slice(0, lines[1]!.indexOf(',"stream"')), '{"log":"q\\"b\\\\s\\u003c\\u003e\\u0026\\u0009\\u0001\\r\\n"');
  assert.equal(lines[2]!.slice(0, lines[2]!.indexOf(',"stream"')), '{"log":"bad\\ufffdutf8 \\u2028 é\\n"');
  const byStream = (s: string): string[] => records.filter((r) => r.stream === s).map((r) => r.log);
  assert.deepEqual(byStream('stderr'), ['to stderr\n']);
  const out = byStream('stdout');
  assert.equal(out.length, 6, JSON.stringify(out.map((l) => l.slice(0, 20))));
  assert.equal(out[3], 'x'.repeat(16384), 'a full buffer without a newline is a partial record');
  assert.equal(out[4], 'x'.repeat(20000 - 16384) + '\n');
  assert.equal(out[5], 'no newline at the end', 'what is left at EOF is logged without a newline');
});

test('json-file log rotates at max-size and keeps max-file files', { skip }, async (t) => {
  const cleanup = cleanupFor(t);
  const c = await createShim(cleanup, spec(['sh', '-c', 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done']), {
    stdin: false, stdinOnce: false, outputPipes: true, log: { maxSizeBytes: 2000, maxFiles: 3 },
  });
  await c.start();
  assert.equal(await c.client.wait(), 0);
  assert.ok(existsSync(`${c.log}.1`) && existsSync(`${c.log}.2`), 'two rotated files');
  assert.equal(existsSync(`${c.log}.3`), false, 'max-file 3 keeps three files in all');
  const logged = [`${c.log}.2`, `${c.log}.1`, c.log]
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l !== ''))
    .map((l) => (JSON.parse(l) as { log: string }).log);
  // the kept records are the newest ones, in order, ending with the last line
  assert.equal(logged.at(-1), 'line 299\n');
  const first = Number(/line (\d+)/.exec(logged[0]!)![1]);
  assert.deepEqual(logged, Array.from({ length: 300 - first }, (_, i) => `line ${first + i}\n`));
  for (const f of [`${c.log}.2`, `${c.log}.1`]) assert.ok(readFileSync(f).length >= 2000, `${f} reached max-size before rotating`);
});

test('attach before start gets all output in stdcopy frames; stdin and its EOF reach the container', { skip }, async (t) => {
  const cleanup = cleanupFor(t);
  const c = await createShim(cleanup, spec(['sh', '-c', 'echo ready; while read l; do echo "got $l"; echo "err $l" >&2; done; echo bye; exit 5']), {
    stdin: true, stdinOnce: true, outputPipes: true, log: { maxSizeBytes: 0, maxFiles: 1 },
  });
  const sock = await c.client.attach({ stdin: true, stdout: true, stderr: true, framed: true });
  const all = collect(sock);
  await c.start();
  sock.write('one\ntwo\n');
  sock.end(); // stdin-once: the container's stdin ends, `read` fails, the loop ends
  const frames = deframe(await all);
  const stdout = frames.filter(([s]) => s === 1).map(([, d]) => d).join('');
  const stderr = frames.filter(([s]) => s === 2).map(([, d]) => d).join('');
  assert.equal(stdout, 'ready\ngot one\ngot two\nbye\n');
  assert.equal(stderr, 'err one\nerr two\n');
  assert.equal((await c.client.wait()) >> 8, 5);
  assert.match(readFileSync(c.log, 'utf8'), /"log":"got two\\n","stream":"stdout"/, 'the log has the same output');
});

test('a tty: raw attach stream, resize seen by the container, output also logged as stdout', { skip }, async (t) => {
  const cleanup = cleanupFor(t);
  const c = await createShim(cleanup, spec(['sh', '-c', 'read x; stty size; echo "in:$x"; exit 3'], true), {
    stdin: false, stdinOnce: false, outputPipes: false, log: { maxSizeBytes: 0, maxFiles: 1 },
  });
  const sock = await c.client.attach({ stdin: true, stdout: true, framed: false });
  const all = collect(sock);
  await c.start();
  await c.client.resize(37, 101);
  sock.write('hello\r');
  const raw = (await all).toString();
  assert.match(raw, /37 101\r\n/, raw);
  assert.match(raw, /in:hello\r\n/, raw);
  assert.equal((await c.client.wait()) >> 8, 3);
  const logged = readFileSync(c.log, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { log: string; stream: string });
  assert.ok(logged.every((r) => r.stream === 'stdout'));
  assert.ok(logged.some((r) => r.log.includes('37 101')));
});

test('a client that does not read holds the container\'s output instead of losing it', { skip }, async (t) => {
  const cleanup = cleanupFor(t);
  // 4 MB: far more than the socket and pipe buffers together
  const c = await createShim(cleanup, spec(['sh', '-c', 'head -c 4194304 /dev/zero | tr "\\0" y; echo; echo done']), {
    stdin: false, stdinOnce: false, outputPipes: true,
  });
  const sock = await c.client.attach({ stdout: true, framed: true });
  sock.pause();
  await c.start();
  // the container is blocked on a full pipe while nobody reads: it has not exited
  await new Promise((r) => setTimeout(r, 300));
  const exitedEarly = await Promise.race([c.client.wait().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
  assert.equal(exitedEarly, false, 'the container waits for the slow client');
  const all = collect(sock);
  sock.resume();
  const stdout = deframe(await all).map(([, d]) => d).join('');
  assert.equal(stdout.length, 4194304 + 1 + 5);
  assert.ok(stdout.endsWith('y\ndone\n'));
  assert.equal(await c.client.wait(), 0);
});
