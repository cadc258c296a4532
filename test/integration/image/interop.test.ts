// Interop with the containers/image tools and a token-auth registry: a multi-layer image with a
// whiteout, an opaque directory and hardlinks built by buildah and pushed to docker-registry is
// pulled by Skiff and unpacked exactly; an image Skiff pushes is read back by skopeo with the same
// config digest; a registry behind token auth refuses anonymous pulls and accepts credentials.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile, mkdir, copyFile, symlink, link } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { codeOf } from '../../../src/base/index.js';
import { openImageService, type ImageService } from '../../../src/image/index.js';
import { MNT_DETACH, mountAll, umount } from '../../../src/sys/index.js';
import { Pusher, RegistryClient, staticCredentials } from '../../../src/registry/index.js';
import { runCmd } from '../../helpers/skiffd.js';
import { buildImage, busyboxLayer, startRegistry, startTokenServer, tarOf, tempDir, tempStore } from '../registry/registry-helpers.js';
import { removeContainersCacheAfter } from '../../helpers/cleanup.js';

removeContainersCacheAfter(after);

const skip = process.getuid?.() !== 0 ? 'needs root' : false;

async function service(t: Parameters<typeof tempDir>[0]): Promise<ImageService & { snapshotter: import('../../../src/snapshot/index.js').Snapshotter }> {
  const root = await tempDir(t, 'skiff-interop-');
  const s = await openImageService({ root: join(root, 'data') });
  t.after(() => s.close());
  return s;
}

function ok(r: { code: number | null; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

test('buildah builds a layered image with whiteout, opaque dir and hardlinks; Skiff pulls it exactly', { skip, timeout: 120_000 }, async (t) => {
  const reg = await startRegistry(t);
  const dir = await mkdtemp('/tmp/skiff-buildah-');
  const b = (...args: string[]) => runCmd('buildah', ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs', ...args]);
  t.after(async () => {
    await b('rm', '--all');
    await runCmd('umount', ['-R', join(dir, 'root')]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  const rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await mkdir(join(rootfs, 'opq'), { recursive: true });
  await copyFile('/bin/busybox', join(rootfs, 'bin/busybox'));
  await symlink('busybox', join(rootfs, 'bin/sh'));
  await writeFile(join(rootfs, 'gone.txt'), 'to be deleted\n');
  await writeFile(join(rootfs, 'opq/old'), 'old\n');

  const c1 = ok(await b('from', 'scratch'), 'from').trim();
  ok(await b('copy', c1, `${rootfs}/.`, '/'), 'copy');
  ok(await b('commit', '--format', 'docker', c1, 'layer1'), 'commit 1');
  const c2 = ok(await b('from', 'layer1'), 'from layer1').trim();
  const mnt = ok(await b('mount', c2), 'mount').trim();
  await rm(join(mnt, 'gone.txt'));
  await rm(join(mnt, 'opq'), { recursive: true });
  await mkdir(join(mnt, 'opq'));
  await writeFile(join(mnt, 'opq/new'), 'new\n');
  await writeFile(join(mnt, 'data.txt'), 'shared inode\n');
  await link(join(mnt, 'data.txt'), join(mnt, 'data-link.txt'));
  ok(await b('umount', c2), 'umount');
  ok(await b('commit', '--format', 'docker', c2, 'layered'), 'commit 2');
  ok(await b('push', '--tls-verify=false', 'layered', `docker://${reg.host}/buildah/layered:1`), 'push');

  const images = await service(t);
  await images.pull(`${reg.host}/buildah/layered:1`);
  const inspect = await images.inspect(`${reg.host}/buildah/layered:1`);
  assert.equal(inspect.RootFS.Layers.length, 2);
  const mounts = await images.prepareRootfs('interop-view', await images.forContainer(`${reg.host}/buildah/layered:1`));
  t.after(() => images.snapshotter.remove('interop-view').catch(() => {}));
  const target = await tempDir(t, 'skiff-interop-mnt-');
  await mountAll(mounts, target);
  try {
    assert.deepEqual((await readdir(target)).sort(), ['bin', 'data-link.txt', 'data.txt', 'opq'].sort().filter((x) => x !== 'gone.txt'));
    assert.deepEqual(await readdir(join(target, 'opq')), ['new'], 'the opaque directory hides the old entries');
    const [a, l] = [await stat(join(target, 'data.txt')), await stat(join(target, 'data-link.txt'))];
    assert.equal(a.ino, l.ino, 'hardlinked');
    assert.deepEqual(await readFile(join(target, 'bin/busybox')), await readFile('/bin/busybox'));
  } finally {
    umount(target, MNT_DETACH);
  }
});

test('an image Skiff pushes is read by skopeo with the same config digest and layers; one skopeo pushes is pulled by Skiff', { skip, timeout: 60_000 }, async (t) => {
  const reg = await startRegistry(t);
  const images = await service(t);
  const tar = await tarOf([{ name: 'hello', data: Buffer.from('hello\n') }]);
  const id = await images.import(Readable.from([tar]), { reference: `${reg.host}/skiff/pushed:1`, changes: ['CMD ["/hello"]'] });
  await images.push(`${reg.host}/skiff/pushed:1`);
  const out = ok(await runCmd('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${reg.host}/skiff/pushed:1`]), 'skopeo inspect');
  const config = JSON.parse(out) as { config: { Cmd: string[] }; rootfs: { diff_ids: string[] } };
  assert.deepEqual(config.config.Cmd, ['/hello']);
  const raw = ok(await runCmd('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/skiff/pushed:1`]), 'skopeo raw');
  assert.equal((JSON.parse(raw) as { config: { digest: string } }).config.digest, id);
  const dest = await tempDir(t, 'skiff-skopeo-oci-');
  ok(await runCmd('skopeo', ['copy', '--src-tls-verify=false', `docker://${reg.host}/skiff/pushed:1`, `oci:${dest}:x`]), 'skopeo copy');

  // And the other way: skopeo pushes (from its OCI copy, under another name), Skiff pulls the same image.
  ok(await runCmd('skopeo', ['copy', '--dest-tls-verify=false', `oci:${dest}:x`, `docker://${reg.host}/skopeo/pushed:2`]), 'skopeo push');
  const other = await service(t);
  const pulled = await other.pull(`${reg.host}/skopeo/pushed:2`);
  const inspect = await other.inspect(pulled.id);
  assert.deepEqual(inspect.Config?.Cmd, ['/hello']);
  assert.deepEqual(inspect.RootFS.Layers, (await images.inspect(id)).RootFS.Layers);
});

test('a token-auth registry: anonymous pull refused, credentials accepted, login checks them', { skip, timeout: 60_000 }, async (t) => {
  const tokens = await startTokenServer(t, { username: 'alice', password: 's3cret' });
  const reg = await startRegistry(t, { token: tokens.auth });
  const src = await tempStore(t);
  const img = await buildImage(src, [await busyboxLayer()]);
  const client = new RegistryClient({ credentials: staticCredentials({ username: 'alice', password: 's3cret' }) });
  t.after(() => client.destroy());
  await new Pusher(client).push(`${reg.host}/private/bb:1`, src, img.manifestDescriptor);

  const images = await service(t);
  try {
    await images.pull(`${reg.host}/private/bb:1`);
    assert.fail('anonymous pull succeeded');
  } catch (err) {
    assert.equal(codeOf(err), 'Unauthenticated', (err as Error).message);
  }
  const pulled = await images.pull(`${reg.host}/private/bb:1`, { auth: { username: 'alice', password: 's3cret' } });
  assert.equal(pulled.id, img.configDescriptor.digest);
  assert.ok(tokens.requests.some((r) => r.authorized && r.scopes.includes('repository:private/bb:pull')));
  assert.deepEqual(await images.login({ username: 'alice', password: 's3cret', serveraddress: reg.host }), { Status: 'Login Succeeded', IdentityToken: '' });
  try {
    await images.login({ username: 'alice', password: 'wrong', serveraddress: reg.host });
    assert.fail('a wrong password logged in');
  } catch (err) {
    assert.equal(codeOf(err), 'Unauthenticated', (err as Error).message);
  }
});
