// skiff-runtime as the OCI runtime of the real peers: podman (`--runtime <abs>/bin/skiff-runtime`,
// conmon as the monitor) and dockerd (`runtimes` in its config, containerd-shim-runc-v2 as the
// monitor). Each drives run/exec/stop/rm through its own CLI; checks are made from inside the
// container (hostname, pid 1, a tty) and from the exit codes the peer reports.
//
// Both run on private state: podman with its own --root/--runroot/--tmpdir and no network, dockerd on
// a private socket, data root and exec root with bridge, iptables and masquerading off, so nothing of
// the host's networking or storage is touched. podman refuses this hybrid-cgroup host, so each podman
// command runs in `unshare -m` with /sys/fs/cgroup/unified unmounted (only in that mount namespace).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxRootfs, copyRootfs } from '../../fixtures/busybox-rootfs.js';
import { cleanupFor, killPid, type Cleanup } from '../../helpers/cleanup.js';
import { repoRoot } from '../../helpers/repo.js';
import { pidsMentioning, unmountBelow } from '../../helpers/private-dockerd.js';

const RUNTIME = join(repoRoot(), 'bin', 'skiff-runtime');
const notRoot = process.getuid?.() !== 0 ? 'needs root' : false;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 255;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

function ok(r: Result, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/** A short temp dir (containerd's socket path under it must stay below 108 bytes). */
function shortTemp(cleanup: Cleanup, prefix: string): string {
  const dir = mkdtempSync(join('/tmp', prefix));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }), `rm ${dir}`);
  return dir;
}

const havePodman = existsSync('/usr/bin/podman') ? false : 'podman is not installed (scripts/install-system-deps.sh)';

test('podman --runtime skiff-runtime: run, exec (exit code, tty), stop, rm', { skip: notRoot || havePodman, timeout: 240_000 }, async (t) => {
  const cleanup = cleanupFor(t);
  const dir = shortTemp(cleanup, 'skpm-');
  const rootfs = join(dir, 'rootfs');
  await copyRootfs(rootfs); // podman --rootfs uses the directory itself: never the shared cache
  const conf = join(dir, 'containers.conf');
  writeFileSync(
    conf,
    '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' +
      '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n',
  );
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'), '--cgroup-manager', 'cgroupfs', '--runtime', RUNTIME];
  const podman = (args: string[], timeoutMs?: number): Promise<Result> =>
    run('unshare', ['-m', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', 'sh', 'podman', ...base, ...args], {
      env,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  cleanup.add(async () => {
    await podman(['rm', '--force', '--all', '--time', '0']);
    for (const pid of pidsMentioning(dir)) killPid(pid);
    await unmountBelow(dir);
  }, 'podman rm -af');

  const once = ok(await podman(['run', '--rm', '--network', 'none', '--hostname', 'pm-box', '--rootfs', rootfs, '/bin/sh', '-c', 'hostname; echo $$; cat /proc/1/comm; true']), 'podman run --rm');
  assert.deepEqual(once.trim().split('\n'), ['pm-box', '1', 'sh']);

  // A terminal for the init: conmon hands skiff-runtime a --console-socket and receives the pty master.
  assert.equal(ok(await podman(['run', '--rm', '-t', '--network', 'none', '--rootfs', rootfs, 'tty']), 'podman run -t').trim(), '/dev/pts/0');

  const detached = ['run', '-d', '--name', 'peer1', '--network', 'none', '--rootfs', rootfs, '/bin/sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.1; done'];
  ok(await podman(detached), 'podman run -d');
  const ps = ok(await podman(['ps', '--format', '{{.Names}} {{.Status}}']), 'podman ps');
  assert.match(ps, /^peer1 Up/m);

  assert.equal(ok(await podman(['exec', 'peer1', 'sh', '-c', 'echo $PPID; cat /proc/1/cmdline | tr "\\0" " "']), 'podman exec').split('\n')[1]?.startsWith('/bin/sh -c trap'), true);
  assert.equal((await podman(['exec', 'peer1', 'sh', '-c', 'exit 3'])).code, 3, 'exec exit code passes through');
  assert.equal(ok(await podman(['exec', '-t', 'peer1', 'tty']), 'podman exec -t').trim(), '/dev/pts/0');

  ok(await podman(['stop', '--time', '10', 'peer1']), 'podman stop');
  const state = ok(await podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'peer1']), 'podman inspect');
  assert.equal(state.trim(), 'exited 7', 'SIGTERM reached the trap in the container');
  ok(await podman(['rm', 'peer1']), 'podman rm');
  assert.equal(ok(await podman(['ps', '--all', '--quiet']), 'podman ps -a').trim(), '');
});

const haveDockerd = existsSync('/usr/sbin/dockerd') && existsSync('/usr/bin/docker') ? false : 'docker.io is not installed (scripts/install-system-deps.sh)';

test('dockerd with runtime "skiff": docker run --runtime skiff, exec, stop, rm', { skip: notRoot || haveDockerd, timeout: 240_000 }, async (t) => {
  const cleanup = cleanupFor(t);
  const dir = shortTemp(cleanup, 'skdk-');
  const sock = join(dir, 'docker.sock');
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ runtimes: { skiff: { path: RUNTIME } } }));
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'cli') };
  const docker = (args: string[], input?: string): Promise<Result> => run('docker', args, { env, ...(input !== undefined ? { input } : {}) });

  const daemon = spawn(
    'dockerd',
    [
      '--host', `unix://${sock}`, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'docker.pid'), '--config-file', join(dir, 'daemon.json'),
      '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let daemonLog = '';
  daemon.stderr.on('data', (b: Buffer) => (daemonLog = (daemonLog + b.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  cleanup.add(async () => {
    await unmountBelow(dir); // last: after dockerd and the shims are gone
  }, 'unmount');
  cleanup.add(async () => {
    killPid(daemon.pid!, 'SIGTERM');
    const timer = setTimeout(() => killPid(daemon.pid!, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    for (const pid of pidsMentioning(dir)) killPid(pid); // a containerd or shim left behind
  }, 'stop dockerd');
  cleanup.add(async () => {
    if (daemon.exitCode === null) await docker(['rm', '--force', 'peer2']);
  }, 'docker rm -f');

  for (let i = 0; ; i++) {
    if ((await docker(['version'])).code === 0) break;
    assert.ok(daemon.exitCode === null, `dockerd exited: ${daemonLog}`);
    assert.ok(i < 300, `dockerd did not answer on ${sock}: ${daemonLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const info = ok(await docker(['info', '--format', '{{json .Runtimes}}']), 'docker info');
  assert.ok('skiff' in (JSON.parse(info) as Record<string, unknown>), info);

  const tarball = await new Promise<Buffer>((resolve, reject) => {
    const rootfsDir = busyboxRootfs();
    void rootfsDir.then((rootfs) => {
      const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const chunks: Buffer[] = [];
      tar.stdout.on('data', (c: Buffer) => chunks.push(c));
      tar.once('exit', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`tar exit ${code}`))));
    }, reject);
  });
  const importer = spawn('docker', ['import', '-', 'skiff-peer:test'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  importer.stdin.end(tarball);
  const imported = await new Promise<number | null>((resolve) => importer.once('exit', resolve));
  assert.equal(imported, 0, 'docker import');

  const once = ok(await docker(['run', '--rm', '--runtime', 'skiff', '--network', 'none', '--hostname', 'dk-box', 'skiff-peer:test', 'sh', '-c', 'hostname; echo $$']), 'docker run --rm');
  assert.deepEqual(once.trim().split('\n'), ['dk-box', '1']);

  assert.equal(ok(await docker(['run', '--rm', '-t', '--runtime', 'skiff', '--network', 'none', 'skiff-peer:test', 'tty']), 'docker run -t').trim(), '/dev/pts/0');

  ok(await docker(['run', '-d', '--name', 'peer2', '--runtime', 'skiff', '--network', 'none', 'skiff-peer:test', 'sh', '-c', 'trap "exit 9" TERM; while :; do sleep 0.1; done']), 'docker run -d');
  assert.equal(ok(await docker(['inspect', '--format', '{{.HostConfig.Runtime}} {{.State.Running}}', 'peer2']), 'inspect').trim(), 'skiff true');
  assert.equal((await docker(['exec', 'peer2', 'sh', '-c', 'exit 4'])).code, 4, 'exec exit code passes through');
  assert.equal(ok(await docker(['exec', '-t', 'peer2', 'tty']), 'docker exec -t').trim(), '/dev/pts/0');
  assert.equal(ok(await docker(['top', 'peer2', '-o', 'pid,comm']), 'docker top').includes('sh'), true);

  ok(await docker(['stop', '--time', '10', 'peer2']), 'docker stop');
  assert.equal(ok(await docker(['inspect', '--format', '{{.State.ExitCode}}', 'peer2']), 'inspect').trim(), '9');
  ok(await docker(['rm', 'peer2']), 'docker rm');
  ok(await docker(['rmi', 'skiff-peer:test']), 'docker rmi');
});
