// bin/skiff against skiffd prints what the docker CLI prints against skiffd, verb by verb (the same
// comparison test/integration/cli makes against a real dockerd).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, copyFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { docker, haveDockerCli, runCmd, startSkiffd, type CmdResult, type Skiffd } from '../helpers/skiffd.js';
import { startRegistry } from '../integration/registry/registry-helpers.js';
import { repoRoot } from '../helpers/repo.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;

function skiff(d: Skiffd, args: string[]): Promise<CmdResult> {
  return runCmd(join(repoRoot(), 'bin', 'skiff'), ['-H', d.host, ...args], { env: { ...process.env, DOCKER_CONFIG: join(d.dir, 'skiff-config') } });
}

test('skiff and docker print the same for the image verbs against skiffd', { skip, timeout: 120_000 }, async (t) => {
  const d = await startSkiffd(t);
  const reg = await startRegistry(t);
  const dir = await mkdtemp('/tmp/skiff-cli-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'root/bin'), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'root/bin/busybox'));
  await symlink('busybox', join(dir, 'root/bin/sh'));
  assert.equal((await runCmd('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'rootfs.tar'), '.'])).code, 0);
  const ref = `${reg.host}/cli/bb:1`;
  const imported = await skiff(d, ['import', '-c', 'CMD ["/bin/sh"]', join(dir, 'rootfs.tar'), ref]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const push = await skiff(d, ['push', ref]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /1: digest: sha256:[0-9a-f]{64} size: \d+/);

  // The two commands run a moment apart: an age can cross a second ("Less than a second ago" vs
  // "1 second ago"), which also changes the column's width.
  const norm = (s: string): string => s.replace(/(Less than a second|\d+ seconds?|About a minute) ago/g, 'recently').replace(/ {2,}/g, '  ');
  const same = async (args: string[]): Promise<void> => {
    const [a, b] = [await docker(d, args), await skiff(d, args)];
    assert.deepEqual({ code: b.code, stdout: norm(b.stdout), stderr: b.stderr }, { code: a.code, stdout: norm(a.stdout), stderr: a.stderr }, `skiff ${args.join(' ')}`);
  };
  await same(['images']);
  await same(['images', '-q', '--no-trunc']);
  await same(['images', '--digests']);
  await same(['images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}']);
  await same(['image', 'inspect', ref]);
  await same(['inspect', '-f', '{{.Id}} {{.Config.Cmd}}', ref]);
  await same(['history', ref]);
  await same(['history', '--no-trunc', '-q', ref]);
  await same(['rmi', 'nosuch']);
  await same(['image', 'inspect', 'nosuch']);
  await same(['pull', `${reg.host}/cli/bb:nope`]);

  assert.equal((await skiff(d, ['tag', ref, 'other:2'])).code, 0);
  const rmi = await skiff(d, ['rmi', 'other:2']);
  assert.equal(rmi.stdout, 'Untagged: other:2\n');
  assert.equal((await skiff(d, ['rmi', ref])).code, 0);
  const pull = await skiff(d, ['pull', ref]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/cli\/bb:1\n127\.0\.0\.1:\d+\/cli\/bb:1\n$/);
  await same(['pull', ref]);
  const out = join(dir, 'saved.tar');
  assert.equal((await skiff(d, ['save', '-o', out, ref])).code, 0);
  assert.equal((await skiff(d, ['rmi', ref])).code, 0);
  const load = await skiff(d, ['load', '-i', out]);
  assert.equal(load.stdout.trim().split('\n').at(-1), `Loaded image: ${ref}`);
  await same(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}']);
  await same(['info', '--format', '{{.Images}} {{.Driver}}']);
});
