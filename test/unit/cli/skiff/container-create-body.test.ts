// `run`/`create`/`exec` flags → request bodies, compared with what the docker CLI itself sends: both
// CLIs talk to a fake daemon on a unix socket that records the requests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../../../src/cli/skiff/main.js';
import type { CliIo } from '../../../../src/cli/skiff/context.js';
import { startFakeDaemon, type Recorded } from './fake-daemon.js';

const noDocker = existsSync('/usr/bin/docker') ? false : 'the docker CLI is not installed';

function dockerCli(host: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('docker', ['-H', host, ...args], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/nonexistent', DOCKER_CONFIG: '/nonexistent/docker-config' } }, (err, _o, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 255, stderr: String(stderr) });
    });
  });
}

async function skiffCli(host: string, args: string[]): Promise<{ code: number; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  stdout.resume();
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io: CliIo = { stdout, stderr, stdin: Readable.from([]), isStdoutTty: false, isStdinTty: false, columns: undefined };
  const code = await main(['-H', host, ...args], io, { PATH: '/usr/bin:/bin' });
  return { code, stderr: err };
}

/** docker 28 merges -e values and -v binds through Go maps: their order varies from run to run. */
function sortMapOrdered(body: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(body['Env'])) body['Env'] = [...(body['Env'] as string[])].sort();
  const host = body['HostConfig'] as Record<string, unknown> | undefined;
  if (host !== undefined && Array.isArray(host['Binds'])) host['Binds'] = [...(host['Binds'] as string[])].sort();
  return body;
}

/** The requests of one CLI run: method, path (without the version), query and parsed body. */
async function record(cli: 'docker' | 'skiff', args: string[]): Promise<{ requests: { method: string; path: string; body: unknown }[]; code: number; stderr: string }> {
  const d = await startFakeDaemon();
  try {
    const r = cli === 'docker' ? await dockerCli(d.host, args) : await skiffCli(d.host, args);
    const requests = d.requests
      .filter((q: Recorded) => !q.url.endsWith('/_ping') && q.method !== 'HEAD')
      .map((q: Recorded) => ({ method: q.method, path: q.url.replace(/^\/v[\d.]+/, ''), body: q.body === '' ? undefined : sortMapOrdered(JSON.parse(q.body) as Record<string, unknown>) }));
    return { requests, ...r };
  } finally {
    await d.close();
  }
}

const FLAG_SETS: string[][] = [
  ['create', 'img'],
  ['create', '--name', 'c1', '--network', 'none', 'img', 'sh', '-c', 'echo hi'],
  ['create', '-i', '-t', '-e', 'A=1', '-e', 'B=two words', '-e', 'A=0', '-e', 'UNSET_HERE', '-u', '1:2', '-w', '/w', '--entrypoint', '/bin/sh', '--hostname', 'h', '-l', 'k=v', '--label', 'flag', 'img', 'x'],
  ['create', '-v', '/a:/b:ro', '-v', 'vol:/c', '-v', '/anon', '--mount', 'type=tmpfs,dst=/t,tmpfs-size=1m', '--mount', 'type=bind,src=/x,dst=/y,readonly', '--tmpfs', '/run:size=1m', 'img'],
  ['create', '-p', '8080:80', '-p', '127.0.0.1::53/udp', '-p', '1000-1001:2000-2001', '--expose', '9000', '-P', '--network', 'bridge', 'img'],
  ['create', '-m', '64m', '--memory-swap', '-1', '--cpus', '1.5', '--cpu-shares', '10', '--pids-limit', '5', '--shm-size', '1g', '--ulimit', 'nofile=10:20', '--ulimit', 'nproc=7', 'img'],
  ['create', '--cap-add', 'net_admin', '--cap-add', 'CAP_SYS_TIME', '--cap-drop', 'ALL', '--privileged', '--security-opt', 'no-new-privileges', '--read-only', '--init', '--group-add', '10', 'img'],
  ['create', '--restart', 'on-failure:3', '--stop-signal', 'SIGINT', '--stop-timeout', '4', '--device', '/dev/null:/dev/xnull', '--device', '/dev/zero', '--sysctl', 'net.core.somaxconn=10', '--add-host', 'h2:1.2.3.4', '--dns', '8.8.8.8', 'img'],
  ['create', '--health-cmd', 'true', '--health-interval', '5s', '--health-timeout', '1m30s', '--health-start-period', '100ms', '--health-retries', '2', 'img'],
  ['create', '--no-healthcheck', '--platform', 'linux/amd64', '--rm', 'img'],
];

for (const args of FLAG_SETS) {
  test(`same create request as docker: ${args.slice(1).join(' ')}`, { skip: noDocker }, async () => {
    const want = await record('docker', args);
    const got = await record('skiff', args);
    assert.equal(want.code, 0, want.stderr);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(got.requests, want.requests);
  });
}

test('run -d posts the wait before /start, like docker', { skip: noDocker }, async () => {
  for (const args of [['run', '-d', '--network', 'none', 'img', 'true'], ['run', '-d', '--rm', 'img']]) {
    const want = await record('docker', args);
    const got = await record('skiff', args);
    assert.deepEqual(got.requests.map((r) => `${r.method} ${r.path}`), want.requests.map((r) => `${r.method} ${r.path}`));
    assert.deepEqual(got.requests[0]?.body, want.requests[0]?.body);
    assert.match(got.requests[1]?.path ?? '', /\/wait\?condition=(next-exit|removed)$/);
  }
});

test('exec -d sends docker\'s exec body', { skip: noDocker }, async () => {
  const args = ['exec', '-d', '-e', 'X=1', '-u', 'nobody', '-w', '/tmp', '--privileged', 'c1', 'sh', '-c', 'true'];
  const want = await record('docker', args);
  const got = await record('skiff', args);
  const pick = (rs: { method: string; path: string; body: unknown }[]): unknown[] => rs.filter((r) => r.path.includes('exec')).map((r) => [r.path.replace(/e1e1/, 'ID'), r.body]);
  assert.deepEqual(pick(got.requests), pick(want.requests));
});

test('flag errors exit 125 with docker\'s texts', async () => {
  const r = await skiffCli('unix:///nonexistent.sock', ['run', '--rm', '--restart', 'always', 'img']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, "skiff: conflicting options: cannot specify both --restart and --rm\n\nRun 'skiff run --help' for more information\n");
  const bad = await skiffCli('unix:///nonexistent.sock', ['create', '--pull', 'sometimes', 'img']);
  assert.equal(bad.code, 125);
});
