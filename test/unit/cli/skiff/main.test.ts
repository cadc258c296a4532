// The CLI's dispatch and error conventions, with in-memory streams and no daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../../../src/cli/skiff/main.js';
import type { CliIo } from '../../../../src/cli/skiff/context.js';

async function run(argv: string[], opts: { stdoutTty?: boolean; stdinTty?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io: CliIo = { stdout, stderr, stdin: Readable.from([]), isStdoutTty: opts.stdoutTty ?? false, isStdinTty: opts.stdinTty ?? false, columns: undefined };
  const code = await main(argv, io, opts.env ?? { DOCKER_HOST: 'unix:///nonexistent/skiff.sock' });
  return { code, stdout: out, stderr: err };
}

test('--version and help', async () => {
  assert.deepEqual(await run(['--version']), { code: 0, stdout: 'skiff version 0.1.0\n', stderr: '' });
  const help = await run([]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: {2}skiff \[OPTIONS\] COMMAND/);
  const group = await run(['image']);
  assert.equal(group.code, 0);
  assert.match(group.stdout, /^Usage: {2}skiff image COMMAND\n\nManage images\n\nCommands:\n {2}history /);
  const verb = await run(['images', '--help']);
  assert.match(verb.stdout, /Usage: {2}skiff images \[OPTIONS\] \[REPOSITORY\[:TAG\]\]/);
  assert.match(verb.stdout, / {2}-q, --quiet/);
});

test('unknown commands and flags', async () => {
  assert.deepEqual(await run(['nosuch']), { code: 1, stdout: '', stderr: "skiff: unknown command: skiff nosuch\n\nRun 'skiff --help' for more information\n" });
  const flag = await run(['image', 'ls', '-x']);
  assert.equal(flag.code, 125);
  assert.equal(flag.stderr, "unknown shorthand flag: 'x' in -x\n\nUsage:  skiff image ls [OPTIONS] [REPOSITORY[:TAG]]\n\nRun 'skiff image ls --help' for more information\n");
  const args = await run(['tag', 'a']);
  assert.equal(args.code, 1);
  assert.equal(args.stderr, "skiff: 'skiff tag' requires 2 arguments\n\nUsage:  skiff tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nRun 'skiff tag --help' for more information\n");
  assert.equal((await run(['info', 'x'])).stderr.split('\n')[0], "skiff: 'skiff info' accepts no arguments");
  assert.equal((await run(['-H', 'unix:///a', '-H', 'unix:///b', 'images'])).stderr, 'Specify only one -H\n');
});

test('save refuses a terminal; load refuses a terminal on stdin', async () => {
  assert.deepEqual(await run(['save', 'x'], { stdoutTty: true }), { code: 1, stdout: '', stderr: 'cowardly refusing to save to a terminal. Use the -o flag or redirect\n' });
  assert.deepEqual(await run(['load'], { stdinTty: true }), { code: 1, stdout: '', stderr: 'requested load from stdin, but stdin is empty\n' });
});

test('client-side checks before the daemon is asked', async () => {
  assert.equal((await run(['tag', 'a', 'b@sha256:abc'])).stderr, 'Error parsing reference: "b@sha256:abc" is not a valid repository/tag: invalid reference format\n');
  assert.equal((await run(['pull', 'Bad'])).stderr, 'invalid reference format: repository name (library/Bad) must be lowercase\n');
  assert.equal((await run(['login', '--password-stdin', 'r'])).stderr, 'Must provide --username with --password-stdin\n');
  assert.equal((await run(['images', '--filter', 'x'])).code, 125);
});

test('no daemon: docker\'s connect error, exit 1', async () => {
  assert.deepEqual(await run(['images']), { code: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon at unix:///nonexistent/skiff.sock. Is the docker daemon running?\n' });
  assert.deepEqual(await run(['-H', 'unix:///nonexistent/x.sock', 'rmi', 'a']), { code: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon at unix:///nonexistent/x.sock. Is the docker daemon running?\n' });
});
