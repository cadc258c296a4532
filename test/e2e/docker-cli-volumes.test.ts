// Volumes through skiffd with the docker CLI: named volumes with copy-up of the image's content,
// data kept across containers, anonymous volumes for an image VOLUME removed by rm -v, in-use
// refusal, read-only binds, and a tmpfs volume (local driver options) mounted on first use.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { docker, haveDockerCli, runCmd, startSkiffd, type CmdResult } from '../helpers/skiffd.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;
const NET = ['--network', 'none'];

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

test('volumes: named with copy-up, anonymous, in use, read-only binds, tmpfs driver options', { skip, timeout: 120_000 }, async (t) => {
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const dir = await mkdtemp('/tmp/skiff-vol-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'root/bin'), { recursive: true });
  await mkdir(join(dir, 'root/srv/sub'), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'root/bin/busybox'));
  for (const a of ['sh', 'cat', 'echo', 'ls', 'grep', 'sleep', 'head']) await symlink('busybox', join(dir, `root/bin/${a}`));
  await writeFile(join(dir, 'root/srv/seed'), 'seed content\n');
  await writeFile(join(dir, 'root/srv/sub/deep'), 'deep\n');
  const tar = join(dir, 'rootfs.tar');
  assert.equal((await runCmd('tar', ['-C', join(dir, 'root'), '-cf', tar, '.'])).code, 0);
  ok(await docker(d, ['import', '-c', 'ENV PATH=/bin', '-c', 'VOLUME /srv', tar, 'vol:1']), 'import');

  assert.equal(ok(await docker(d, ['volume', 'create', 'data']), 'volume create').trim(), 'data');
  const mountpoint = ok(await docker(d, ['volume', 'inspect', '-f', '{{.Mountpoint}}', 'data']), 'inspect').trim();
  assert.equal(mountpoint, join(d.dataRoot, 'volumes', 'data', '_data'));
  assert.equal(ok(await docker(d, ['run', '--rm', ...NET, '-v', 'data:/srv', 'vol:1', 'cat', '/srv/seed', '/srv/sub/deep']), 'copy-up'), 'seed content\ndeep\n');
  ok(await docker(d, ['run', '--rm', ...NET, '-v', 'data:/srv', 'vol:1', 'sh', '-c', 'echo kept > /srv/new']), 'write');
  assert.equal(ok(await docker(d, ['run', '--rm', ...NET, '--mount', 'type=volume,source=data,target=/other', 'vol:1', 'cat', '/other/new']), 'read back'), 'kept\n');
  assert.equal(await readFile(join(mountpoint, 'new'), 'utf8'), 'kept\n');

  // An image VOLUME gets an anonymous volume, with the image's content; rm -v removes it.
  ok(await docker(d, ['run', '--name', 'anon', ...NET, 'vol:1', 'cat', '/srv/seed']), 'anonymous');
  const anonName = ok(await docker(d, ['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'anon']), 'mounts').trim();
  assert.match(anonName, /^[0-9a-f]{64}$/);
  assert.match(ok(await docker(d, ['volume', 'ls', '-q']), 'ls'), new RegExp(anonName));
  ok(await docker(d, ['rm', '-v', 'anon']), 'rm -v');
  assert.doesNotMatch(ok(await docker(d, ['volume', 'ls', '-q']), 'ls'), new RegExp(anonName));

  ok(await docker(d, ['run', '-d', '--name', 'user', ...NET, '-v', 'data:/srv', 'vol:1', 'sh', '-c', 'head -c 300000 /dev/zero > /big; sleep 30']), 'run user');
  const df = ok(await docker(d, ['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}']), 'system df');
  assert.match(df, /^Images 1 1\nContainers 1 1\nLocal Volumes 1 1\n/);
  for (let i = 0; i < 100 && !/\d+kB/.test((await docker(d, ['ps', '-s', '--format', '{{.Size}}'])).stdout); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(ok(await docker(d, ['ps', '-s', '--format', '{{.Size}}']), 'ps -s'), /^\d+(\.\d+)?kB \(virtual \d+(\.\d+)?MB\)\n$/);
  const inUse = await docker(d, ['volume', 'rm', 'data']);
  assert.equal(inUse.code, 1);
  assert.match(inUse.stderr, /remove data: volume is in use - \[[0-9a-f]{64}\]/);
  ok(await docker(d, ['rm', '-f', 'user']), 'rm -f');
  ok(await docker(d, ['volume', 'rm', 'data']), 'volume rm');
  const gone = await docker(d, ['volume', 'inspect', 'data']);
  assert.equal(gone.code, 1);

  // A read-only bind.
  const host = join(dir, 'hostdir');
  await mkdir(host);
  await writeFile(join(host, 'from-host'), 'host file\n');
  assert.equal(ok(await docker(d, ['run', '--rm', ...NET, '-v', `${host}:/mnt:ro`, 'vol:1', 'cat', '/mnt/from-host']), 'bind'), 'host file\n');
  const roWrite = await docker(d, ['run', '--rm', ...NET, '-v', `${host}:/mnt:ro`, 'vol:1', 'sh', '-c', 'echo x > /mnt/nope']);
  assert.notEqual(roWrite.code, 0);
  assert.match(roWrite.stderr, /Read-only file system/);

  // --volumes-from: another container's volumes and binds, read-write or :ro; rm -v of the
  // borrower leaves the lender's anonymous volume alone.
  ok(await docker(d, ['create', '--name', 'lender', ...NET, '-v', '/shared', '-v', `${host}:/hostdir:ro`, 'vol:1', 'true']), 'create lender');
  ok(await docker(d, ['run', '--name', 'borrower', ...NET, '--volumes-from', 'lender', 'vol:1', 'sh', '-c', 'echo lent > /shared/f; cat /hostdir/from-host']), 'volumes-from');
  assert.equal(ok(await docker(d, ['run', '--rm', ...NET, '--volumes-from', 'lender:ro', 'vol:1', 'cat', '/shared/f']), 'read through :ro'), 'lent\n');
  const roLent = await docker(d, ['run', '--rm', ...NET, '--volumes-from', 'lender:ro', 'vol:1', 'sh', '-c', 'echo x > /shared/g']);
  assert.match(roLent.stderr, /Read-only file system/, ':ro is read-only');
  const lenderVolume = ok(await docker(d, ['inspect', '-f', '{{range .Mounts}}{{if eq .Destination "/shared"}}{{.Name}}{{end}}{{end}}', 'lender']), 'lender volume').trim();
  ok(await docker(d, ['rm', '-v', 'borrower']), 'rm -v borrower');
  assert.equal(ok(await docker(d, ['volume', 'ls', '-q', '--filter', `name=${lenderVolume}`]), 'still there').trim(), lenderVolume);
  // an unknown container is docker's 404 (the CLI then tries a pull first, which fails here)
  const noLender = await docker(d, ['create', ...NET, '--volumes-from', 'nobody', 'vol:1', 'true']);
  assert.notEqual(noLender.code, 0);
  assert.match(noLender.stderr, /No such container: nobody|Unable to find image/);
  ok(await docker(d, ['rm', '-v', 'lender']), 'rm -v lender');

  // The local driver's options: a tmpfs mounted at the volume's path on first use.
  ok(await docker(d, ['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', 'tv']), 'create tmpfs');
  const mounts = ok(await docker(d, ['run', '--rm', ...NET, '-v', 'tv:/t', 'vol:1', 'grep', ' /t ', '/proc/mounts']), 'tmpfs volume');
  assert.match(mounts, /^tmpfs \/t tmpfs .*size=1024k/);
  ok(await docker(d, ['volume', 'rm', 'tv']), 'rm tmpfs volume');
  const bad = await docker(d, ['volume', 'create', '--opt', 'bogus=1', 'bad']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid option key: "bogus"/);
});
