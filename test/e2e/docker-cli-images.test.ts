// The real docker CLI (docker.io 28, API 1.50) against skiffd for images: version/info, import,
// images/inspect/history/tag, push to and pull from a local docker-registry with docker's progress
// lines, rmi (untag, delete, errors), prune, events, save | load; and the daemon's own contract:
// a second daemon on the same data root is refused, a bad daemon.json names the key, SIGTERM exits 0.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, mkdir, copyFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { docker, haveDockerCli, runCmd, startSkiffd } from '../helpers/skiffd.js';
import { startRegistry } from '../integration/registry/registry-helpers.js';
import { repoRoot } from '../helpers/repo.js';
import { removeContainersCacheAfter } from '../helpers/cleanup.js';

removeContainersCacheAfter(after);

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;

async function busyboxRootfsTar(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp('/tmp/skiff-rootfs-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'root/bin'), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'root/bin/busybox'));
  await symlink('busybox', join(dir, 'root/bin/sh'));
  const tar = join(dir, 'rootfs.tar');
  const r = await runCmd('tar', ['-C', join(dir, 'root'), '-cf', tar, '.']);
  assert.equal(r.code, 0, r.stderr);
  return tar;
}

function ok(r: { code: number | null; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

test('docker CLI: import, images, inspect, history, tag, push, rmi, pull, prune, events', { skip, timeout: 180_000 }, async (t) => {
  const d = await startSkiffd(t);
  const reg = await startRegistry(t);
  const tar = await busyboxRootfsTar(t);
  const ref = `${reg.host}/skiff/bb:1`;

  const version = ok(await docker(d, ['version', '--format', '{{.Server.APIVersion}} {{.Server.Platform.Name}}']), 'version');
  assert.equal(version.trim(), '1.50 Skiff Engine');
  ok(await docker(d, ['info']), 'info');
  const since = Math.floor(Date.now() / 1000) - 1;

  const id = ok(await docker(d, ['import', '-c', 'CMD ["/bin/sh"]', '-c', 'ENV A=1', '-m', 'test import', tar, ref]), 'import').trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  const images = ok(await docker(d, ['images', '--format', '{{.Repository}} {{.Tag}} {{.ID}}']), 'images');
  assert.equal(images.trim(), `${reg.host}/skiff/bb 1 ${id.slice(7, 19)}`);
  const inspect = JSON.parse(ok(await docker(d, ['image', 'inspect', ref]), 'inspect')) as Record<string, unknown>[];
  assert.equal(inspect[0]!.Id, id);
  assert.deepEqual((inspect[0]!.Config as { Cmd: string[]; Env: string[] }).Cmd, ['/bin/sh']);
  assert.deepEqual((inspect[0]!.Config as { Env: string[] }).Env, ['A=1']);
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{.Comment}} {{.Os}}', id.slice(7, 15)]), 'inspect -f').trim(), 'test import linux');
  const history = ok(await docker(d, ['history', '--format', '{{.ID}} {{.Comment}}', ref]), 'history');
  assert.equal(history.trim(), `${id.slice(7, 19)} test import`);

  ok(await docker(d, ['tag', ref, 'mine:v1']), 'tag');
  const pushed = ok(await docker(d, ['push', ref]), 'push');
  const pushLines = pushed.trim().split('\n');
  assert.equal(pushLines[0], `The push refers to repository [${reg.host}/skiff/bb]`);
  assert.match(pushLines.at(-1)!, /^1: digest: sha256:[0-9a-f]{64} size: \d+$/);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)![1]!;

  // rmi: by tag only untags while another tag exists; then deletes with the layer.
  assert.equal(ok(await docker(d, ['rmi', 'mine:v1']), 'rmi tag').trim(), 'Untagged: mine:v1');
  const rmi = ok(await docker(d, ['rmi', ref]), 'rmi').trim().split('\n');
  assert.deepEqual(rmi.slice(0, 3), [`Untagged: ${ref}`, `Untagged: ${reg.host}/skiff/bb@${digest}`, `Deleted: ${id}`]);
  const missing = await docker(d, ['rmi', 'nosuch']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim(), 'Error response from daemon: No such image: nosuch:latest');

  const pulled = ok(await docker(d, ['pull', ref]), 'pull').trim().split('\n');
  assert.equal(pulled[0], '1: Pulling from skiff/bb');
  assert.match(pulled.find((l) => l.endsWith('Pull complete')) ?? '', /^[0-9a-f]{12}: Pull complete$/);
  assert.deepEqual(pulled.slice(-3), [`Digest: ${digest}`, `Status: Downloaded newer image for ${ref}`, ref]);
  const again = ok(await docker(d, ['pull', ref]), 'pull again').trim().split('\n');
  assert.equal(again.at(-2), `Status: Image is up to date for ${ref}`);
  assert.equal(ok(await docker(d, ['images', '-q', '--no-trunc']), 'images -q').trim(), id);
  const digests = ok(await docker(d, ['images', '--digests', '--format', '{{.Digest}}']), 'digests');
  assert.equal(digests.trim(), digest);

  const badPull = await docker(d, ['pull', `${reg.host}/skiff/bb:nope`]);
  assert.equal(badPull.code, 1);
  assert.match(badPull.stderr, /Error response from daemon: manifest for 127\.0\.0\.1:\d+\/skiff\/bb:nope not found/);

  // A dangling image for prune: tag, then untag the original reference while keeping the image.
  ok(await docker(d, ['tag', ref, 'keep:1']), 'tag keep');
  const prune = ok(await docker(d, ['image', 'prune', '-f']), 'prune');
  assert.match(prune, /Total reclaimed space: 0B/);
  ok(await docker(d, ['rmi', 'keep:1', ref]), 'rmi both');
  assert.equal(ok(await docker(d, ['images', '-q']), 'images').trim(), '');

  const until = Math.ceil(Date.now() / 1000) + 1;
  const events = ok(await docker(d, ['events', '--since', String(since), '--until', String(until), '--filter', 'type=image', '--format', '{{.Action}}']), 'events');
  const actions = events.trim().split('\n');
  for (const a of ['import', 'tag', 'push', 'untag', 'delete', 'pull']) assert.ok(actions.includes(a), `${a} in ${actions.join(',')}`);

  assert.equal(await d.stop(), 0, d.log());
  assert.ok(!existsSync(d.socket), 'the socket is removed on shutdown');
});

test('docker save | docker load through skiffd; the archive loads into docker-format tools', { skip, timeout: 120_000 }, async (t) => {
  const d = await startSkiffd(t);
  const tar = await busyboxRootfsTar(t);
  const id = ok(await docker(d, ['import', tar, 'bb:saved']), 'import').trim();
  ok(await docker(d, ['tag', 'bb:saved', 'bb:second']), 'tag');
  const out = join(d.dir, 'saved.tar');
  ok(await docker(d, ['save', '-o', out, 'bb:saved', 'bb:second']), 'save');
  const skopeo = await runCmd('skopeo', ['inspect', '--format', '{{.Digest}} {{.Os}}', `docker-archive:${out}:bb:saved`]);
  assert.equal(skopeo.code, 0, skopeo.stderr);
  ok(await docker(d, ['rmi', 'bb:saved', 'bb:second']), 'rmi');
  const loaded = ok(await docker(d, ['load', '-i', out]), 'load');
  assert.deepEqual(loaded.trim().split('\n').filter((l) => l.startsWith('Loaded')).sort(), ['Loaded image: bb:saved', 'Loaded image: bb:second']);
  assert.equal(ok(await docker(d, ['images', '-q', '--no-trunc', 'bb:saved']), 'images').trim(), id);
  const corrupt = await docker(d, ['load'], { input: Buffer.from('this is not a tar archive at all') });
  assert.equal(corrupt.code, 1);
  assert.match(corrupt.stderr, /Error/);
});

test('skiffd: a second daemon on the same data root is refused; a bad daemon.json names the key', { skip, timeout: 60_000 }, async (t) => {
  const d = await startSkiffd(t);
  const bin = join(repoRoot(), 'bin', 'skiffd');
  const second = await runCmd(bin, ['-H', `unix://${d.dir}/other.sock`, '--data-root', d.dataRoot, '--exec-root', `${d.dir}/y`, '--config-file', `${d.dir}/daemon.json`]);
  assert.equal(second.code, 1);
  assert.match(second.stderr, new RegExp(`another skiffd is running with data root ${d.dataRoot} \\(pid ${d.process.pid}\\)`));
  const sameSocket = await runCmd(bin, ['-H', d.host, '--data-root', `${d.dir}/data2`, '--exec-root', `${d.dir}/z`, '--config-file', `${d.dir}/daemon.json`]);
  assert.equal(sameSocket.code, 1);
  assert.match(sameSocket.stderr, /another daemon is listening on/);

  const badDir = await mkdtemp('/tmp/skd-bad-');
  t.after(() => rm(badDir, { recursive: true, force: true }));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(badDir, 'daemon.json'), JSON.stringify({ 'max-concurrent-downloads': 'three', bogus: 1 }));
  const bad = await runCmd(bin, ['--config-file', join(badDir, 'daemon.json'), '--data-root', join(badDir, 'data')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /the following directives don't match any configuration option: bogus/);
  await writeFile(join(badDir, 'daemon.json'), JSON.stringify({ 'max-concurrent-downloads': 'three' }));
  const bad2 = await runCmd(bin, ['--config-file', join(badDir, 'daemon.json'), '--data-root', join(badDir, 'data')]);
  assert.equal(bad2.code, 1);
  assert.match(bad2.stderr, /max-concurrent-downloads: /);
});
