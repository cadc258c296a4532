// skiff's image verbs against a real (private) dockerd, side by side with docker's own CLI: for
// each verb both CLIs run against the same daemon and their outputs must be the same (version: the
// Server section only). The image comes from a busybox rootfs tar built here (no internet); a local
// docker-registry on 127.0.0.1 (insecure for dockerd) serves push and pull.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, copyFileSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { haveDockerd, runCommand, startPrivateDockerd, type RunResult } from '../../helpers/private-dockerd.js';
import { repoRoot } from '../../helpers/repo.js';
import { startRegistry } from '../registry/registry-helpers.js';

const SKIFF = join(repoRoot(), 'bin', 'skiff');
const notRoot = process.getuid?.() !== 0 ? 'needs root' : false;

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

test('skiff image verbs print what docker prints', { skip: notRoot || haveDockerd, timeout: 300_000 }, async (t) => {
  const d = await startPrivateDockerd(t);
  const docker = d.docker;
  const skiff = (args: readonly string[], input?: string | Buffer): Promise<RunResult> =>
    runCommand(SKIFF, ['-H', d.host, ...args], { env: d.env, ...(input === undefined ? {} : { input }) });

  /** Runs both CLIs; outputs that show ages ("5 seconds ago") are retried across a second boundary. */
  const same = async (args: string[], what = args.join(' ')): Promise<RunResult> => {
    let last: [RunResult, RunResult] | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const a = await docker(args);
      const b = await skiff(args);
      last = [a, b];
      if (a.stdout === b.stdout && a.stderr === b.stderr && a.code === b.code) return b;
    }
    const [a, b] = last!;
    assert.equal(b.stdout, a.stdout, `${what}: stdout`);
    assert.equal(b.stderr, a.stderr, `${what}: stderr`);
    assert.equal(b.code, a.code, `${what}: exit code`);
    return b;
  };

  // A busybox rootfs tar → an image, through docker import.
  const rootfs = join(d.dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  symlinkSync('busybox', join(rootfs, 'bin', 'sh'));
  const rootfsTar = join(d.dir, 'rootfs.tar');
  ok(await runCommand('tar', ['-C', rootfs, '-cf', rootfsTar, '.']), 'tar');
  ok(await docker(['import', '-c', 'CMD ["/bin/sh"]', '-m', 'skiff test', rootfsTar, 'skt:1']), 'docker import');

  await t.test('images, ls -q, --format, --digests, filters', async () => {
    await same(['images']);
    await same(['image', 'ls', '-q']);
    await same(['images', '-a', '--no-trunc']);
    await same(['images', '--digests']);
    await same(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}} {{.VirtualSize}}']);
    await same(['images', '--format', 'table {{.Repository}}\\t{{.ID}}\\t{{.CreatedAt}}']);
    await same(['images', '--format', '{{json .}}']);
    await same(['images', '--filter', 'reference=skt*']);
    await same(['images', 'skt']);
    await same(['images', '--filter', 'bogus=1']);
  });

  await t.test('inspect and history', async () => {
    await same(['image', 'inspect', 'skt:1']);
    await same(['inspect', '--format', '{{.Id}} {{json .Config.Cmd}} {{.Comment}} {{.Size}} {{.RepoTags}}', 'skt:1']);
    await same(['image', 'inspect', '-f', '{{.Id}} {{.Nope}}', 'skt:1']);
    await same(['image', 'inspect', 'skt:1', 'nosuch']);
    await same(['history', 'skt:1']);
    await same(['history', '--no-trunc', '-H=false', 'skt:1']);
    await same(['history', '-q', 'skt:1']);
    await same(['history', '--format', '{{json .}}', 'skt:1']);
  });

  await t.test('tag and rmi, daemon errors', async () => {
    ok(await skiff(['tag', 'skt:1', 'skt:2']), 'skiff tag');
    const dockerRmi = await docker(['rmi', 'skt:2']);
    ok(await skiff(['tag', 'skt:1', 'skt:2']), 'skiff tag again');
    const skiffRmi = await skiff(['rmi', 'skt:2']);
    assert.equal(skiffRmi.stdout, dockerRmi.stdout);
    assert.equal(skiffRmi.stdout, 'Untagged: skt:2\n');
    const err = await same(['rmi', 'nosuch']);
    assert.equal(err.code, 1);
    assert.match(err.stderr, /^Error response from daemon: /);
    await same(['tag', 'skt:1', 'skt@sha256:abc']);
    await same(['history', 'nosuch']);
  });

  await t.test('save, load, import', async () => {
    const a = join(d.dir, 'docker-save.tar');
    const b = join(d.dir, 'skiff-save.tar');
    ok(await docker(['save', '-o', a, 'skt:1']), 'docker save');
    ok(await skiff(['save', '-o', b, 'skt:1']), 'skiff save');
    assert.equal((statSync(b).mode & 0o777).toString(8), '600');
    const names = async (f: string): Promise<string[]> => ok(await runCommand('tar', ['-tf', f]), 'tar -t').split('\n').sort();
    assert.deepEqual(await names(b), await names(a));
    const piped = await skiff(['save', 'skt:1']);
    assert.equal(piped.code, 0, piped.stderr);
    assert.ok(piped.stdoutBytes.length > 1_000_000, 'a tar on stdout when it is not a terminal');

    await same(['load', '-i', a]);
    await same(['load', '-q', '-i', b]);
    const stdinLoad = await skiff(['load'], readFileSync(b));
    assert.equal(stdinLoad.stdout, 'Loaded image: skt:1\n', stdinLoad.stderr);
    await same(['load', '-i', join(d.dir, 'nosuch.tar')]);

    const imported = ok(await skiff(['import', '-c', 'CMD ["/bin/sh"]', '-m', 'skiff test', rootfsTar, 'imp:s']), 'skiff import');
    assert.match(imported, /^sha256:[0-9a-f]{64}\n$/);
    ok(await docker(['import', '-c', 'CMD ["/bin/sh"]', '-m', 'skiff test', rootfsTar, 'imp:d']), 'docker import');
    const fmt = '{{.Comment}} {{json .Config.Cmd}} {{json .RootFS.Layers}} {{.Size}}';
    assert.equal(ok(await skiff(['image', 'inspect', '-f', fmt, 'imp:s']), 'inspect imp:s'), ok(await docker(['image', 'inspect', '-f', fmt, 'imp:d']), 'inspect imp:d'));
    const fromStdin = ok(await skiff(['import', '-', 'imp:stdin'], readFileSync(rootfsTar)), 'skiff import -');
    assert.match(fromStdin, /^sha256:[0-9a-f]{64}\n$/);
    ok(await docker(['rmi', 'imp:s', 'imp:d', 'imp:stdin']), 'docker rmi');
  });

  await t.test('image prune', async () => {
    ok(await docker(['import', rootfsTar]), 'an untagged (dangling) image');
    const pruned = ok(await skiff(['image', 'prune', '-f']), 'skiff image prune');
    assert.match(pruned, /^Deleted Images:\ndeleted: sha256:[0-9a-f]{64}\n(deleted: sha256:[0-9a-f]{64}\n)*\nTotal reclaimed space: \S+\n$/);
    await same(['image', 'prune', '-f']);
    const declined = await skiff(['image', 'prune'], 'n\n');
    assert.equal(declined.stdout, 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ');
    assert.equal(declined.code, 0);
  });

  await t.test('info and version', async () => {
    const info = ok(await skiff(['info']), 'skiff info');
    assert.match(info, /^Server:\n Containers: 0\n/m);
    assert.match(info, /^ Docker Root Dir: /m);
    await same(['info', '--format', '{{.ServerVersion}} {{json .Runtimes}}']);
    const server = (r: RunResult): string => r.stdout.slice(r.stdout.indexOf('\nServer:'));
    const dv = await docker(['version']);
    const sv = await skiff(['version']);
    assert.equal(sv.code, 0, sv.stderr);
    assert.equal(server(sv), server(dv));
    assert.match(sv.stdout, /^Client:\n Version: {11}0\.1\.0\n API version: {7}1\.\d+/);
  });

  await t.test('push and pull through a local registry, login and logout', async (tt) => {
    const registry = await startRegistry(tt);
    const repo = (name: string): string => `${registry.host}/${name}`;
    ok(await docker(['tag', 'skt:1', repo('d:1')]), 'tag d');
    ok(await docker(['tag', 'skt:1', repo('s:1')]), 'tag s');
    const dp = ok(await docker(['push', repo('d:1')]), 'docker push');
    const sp = ok(await skiff(['push', repo('s:1')]), 'skiff push');
    const lastLine = (s: string): string => s.trimEnd().split('\n').pop() ?? '';
    assert.match(lastLine(sp), /^1: digest: sha256:[0-9a-f]{64} size: \d+$/);
    assert.equal(lastLine(sp), lastLine(dp));
    assert.match(sp, new RegExp(`^The push refers to repository \\[${repo('s').replace(/\./g, '\\.')}\\]\n`));
    await same(['push', repo('nosuch:1')]);

    ok(await docker(['rmi', repo('s:1')]), 'rmi before docker pull');
    const dpull = await docker(['pull', repo('s:1')]);
    ok(await docker(['rmi', repo('s:1')]), 'rmi before skiff pull');
    const spull = await skiff(['pull', repo('s:1')]);
    assert.equal(spull.code, 0, spull.stderr);
    assert.equal(spull.stdout, dpull.stdout);
    assert.match(spull.stdout, new RegExp(`Digest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for ${repo('s:1').replace(/\./g, '\\.')}\n${repo('s:1').replace(/\./g, '\\.')}\n$`));
    await same(['pull', repo('s:1')]);
    await same(['pull', '-q', repo('s:1')]);
    await same(['pull', repo('s')]);

    const loggedIn = await runCommand(SKIFF, ['-H', d.host, 'login', '-u', 'me', '--password-stdin', registry.host], { env: d.env, input: 'secret\n' });
    assert.equal(loggedIn.code, 0, loggedIn.stderr);
    assert.equal(loggedIn.stdout, 'Login Succeeded\n');
    const configFile = join(d.env['DOCKER_CONFIG']!, 'config.json');
    assert.equal((statSync(configFile).mode & 0o777).toString(8), '600');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(config.auths[registry.host]!.auth, 'base64').toString(), 'me:secret');
    // docker reads what skiff wrote: its own logout removes the entry
    assert.equal(ok(await docker(['logout', registry.host]), 'docker logout'), `Removing login credentials for ${registry.host}\n`);
    const after = JSON.parse(readFileSync(configFile, 'utf8')) as { auths: Record<string, unknown> };
    assert.equal(registry.host in after.auths, false);
    assert.equal(ok(await skiff(['logout', registry.host]), 'skiff logout'), `Removing login credentials for ${registry.host}\n`);
  });

  await t.test('usage errors: docker\'s exit codes', async () => {
    const flag = await skiff(['images', '--badflag']);
    assert.equal(flag.code, 125);
    assert.equal(flag.stderr, "unknown flag: --badflag\n\nUsage:  skiff images [OPTIONS] [REPOSITORY[:TAG]]\n\nRun 'skiff images --help' for more information\n");
    const args = await skiff(['rmi']);
    assert.equal(args.code, (await docker(['rmi'])).code);
    assert.equal(args.stderr, "skiff: 'skiff rmi' requires at least 1 argument\n\nUsage:  skiff rmi [OPTIONS] IMAGE [IMAGE...]\n\nSee 'skiff rmi --help' for more information\n");
    const down = await runCommand(SKIFF, ['-H', 'unix:///nonexistent/skiff.sock', 'images'], { env: d.env });
    assert.equal(down.code, 1);
    assert.equal(down.stderr, 'Cannot connect to the Docker daemon at unix:///nonexistent/skiff.sock. Is the docker daemon running?\n');
  });
});
