// The archives we write against real peers, no internet: skopeo reads them (docker-archive: → oci:),
// a private dockerd loads them (and reports our config digest as the image id), and what that dockerd
// saves back is read by readImageArchive with the same id, tags and diffIDs. The one layer is built
// from /bin/busybox (busybox-static) with tar-stream.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { sha256Digest, type Digest } from '../../../src/base/index.js';
import { readImageArchive, writeImageArchive, type ArchiveImage } from '../../../src/image/archive/index.js';
import { cleanupFor, removeContainersCacheAfter, type Cleanup } from '../../helpers/cleanup.js';
import { haveDockerd, startPrivateDockerd } from '../../helpers/private-dockerd.js';

removeContainersCacheAfter(after);

const notRoot = process.getuid?.() !== 0 ? 'needs root' : false;
const BUSYBOX = '/bin/busybox';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 255, stdout, stderr });
    });
    child.stdin?.end();
  });
}

function ok(r: Result, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/** A short temp dir under /tmp (dockerd's and containerd's sockets must stay below 108 bytes). */
function shortTemp(cleanup: Cleanup, prefix: string): string {
  const dir = mkdtempSync(join('/tmp', prefix));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }), `rm ${dir}`);
  return dir;
}

/** An uncompressed layer: bin/busybox and bin/sh → busybox. */
async function busyboxLayer(): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  const add = (h: Parameters<tar.Pack['entry']>[0], data?: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (data === undefined) pack.entry(h, cb);
      else pack.entry(h, data, cb);
    });
  const mtime = new Date('2024-01-01T00:00:00Z');
  await add({ name: 'bin/', type: 'directory', mode: 0o755, mtime });
  await add({ name: 'bin/busybox', type: 'file', mode: 0o755, mtime }, await readFile(BUSYBOX));
  await add({ name: 'bin/sh', type: 'symlink', linkname: 'busybox', mode: 0o777, mtime });
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function busyboxImage(tags: string[]): Promise<{ image: ArchiveImage; layer: Buffer }> {
  const layer = await busyboxLayer();
  const diffId = sha256Digest(layer);
  const configBytes = Buffer.from(JSON.stringify({
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    config: { Env: ['PATH=/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: '2024-01-01T00:00:00Z', created_by: 'skiff archive-peers test' }],
  }));
  return {
    layer,
    image: { configBytes, id: sha256Digest(configBytes), repoTags: tags, layers: [{ diffId, open: () => Promise.resolve(Readable.from([layer])) }] },
  };
}

async function writeTo(path: string, images: ArchiveImage[]): Promise<void> {
  const out = createWriteStream(path);
  await writeImageArchive(images, out);
  if (!out.writableFinished) await new Promise<void>((resolve) => out.once('finish', resolve));
}

const haveSkopeo = existsSync('/usr/bin/skopeo') ? false : 'skopeo is not installed';

test('skopeo reads our archive: inspect shows our config digest and tag, copy to oci: works', { skip: notRoot || haveSkopeo, timeout: 120_000 }, async (t: TestContext) => {
  const cleanup = cleanupFor(t);
  const dir = shortTemp(cleanup, 'skar-');
  const { image, layer } = await busyboxImage(['busybox:test']);
  const archive = join(dir, 'image.tar');
  await writeTo(archive, [image]);

  const raw = JSON.parse(ok(await run('skopeo', ['inspect', '--raw', `docker-archive:${archive}`]), 'skopeo inspect --raw')) as {
    config: { digest: string }; layers: { digest: string; size: number }[];
  };
  assert.equal(raw.config.digest, image.id);
  assert.deepEqual(raw.layers.map((l) => [l.digest, l.size]), [[sha256Digest(layer), layer.length]]);
  // skopeo finds the image by the tag in our manifest.json (it reports RepoTags only for registries).
  const info = JSON.parse(ok(await run('skopeo', ['inspect', `docker-archive:${archive}:busybox:test`]), 'skopeo inspect by tag')) as { Layers: string[] };
  assert.notEqual((await run('skopeo', ['inspect', `docker-archive:${archive}:busybox:other`])).code, 0, 'an unknown tag is not found');
  assert.deepEqual(info.Layers, [sha256Digest(layer)]);
  const config = ok(await run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${archive}`]), 'skopeo inspect --config');
  assert.equal(sha256Digest(config), image.id);

  const ociDir = join(dir, 'oci');
  ok(await run('skopeo', ['copy', `docker-archive:${archive}`, `oci:${ociDir}:busybox:test`]), 'skopeo copy');
  const index = JSON.parse(readFileSync(join(ociDir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(readFileSync(join(ociDir, 'blobs', 'sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { config: { digest: string } };
  // skopeo re-serialises the config when it converts to an OCI manifest, so compare its content.
  const ociConfig = JSON.parse(readFileSync(join(ociDir, 'blobs', 'sha256', manifest.config.digest.slice(7)), 'utf8')) as {
    rootfs: { diff_ids: string[] }; config: { Cmd: string[] };
  };
  assert.deepEqual(ociConfig.rootfs.diff_ids, [sha256Digest(layer)]);
  assert.deepEqual(ociConfig.config.Cmd, ['sh']);

  // The docker 25+ archive is itself an OCI layout: skopeo reads it as oci-archive: too.
  const asOci = JSON.parse(ok(await run('skopeo', ['inspect', '--raw', `oci-archive:${archive}:test`]), 'skopeo inspect oci-archive:')) as { config: { digest: string } };
  assert.equal(asOci.config.digest, image.id);
});


test('a private dockerd loads our archive, and what it saves reads back with the same id, tags and diffIDs', { skip: notRoot || haveDockerd, timeout: 240_000 }, async (t: TestContext) => {
  const d = await startPrivateDockerd(t);
  const { cleanup, dir } = d;
  const docker = (args: string[]): Promise<Result> => d.docker(args, { timeoutMs: 120_000 });

  const { image, layer } = await busyboxImage(['busybox:test']);
  const archive = join(dir, 'ours.tar');
  await writeTo(archive, [image]);
  const loaded = ok(await docker(['load', '-i', archive]), 'docker load');
  assert.match(loaded, /^Loaded image: busybox:test$/m);
  assert.equal(ok(await docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox:test']), 'docker image inspect').trim(), image.id);
  const diffIds = JSON.parse(ok(await docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', 'busybox:test']), 'inspect layers')) as string[];
  assert.deepEqual(diffIds, [sha256Digest(layer)]);

  const saved = join(dir, 'theirs.tar');
  ok(await docker(['save', '-o', saved, 'busybox:test']), 'docker save');
  const work = shortTemp(cleanup, 'skaw-');
  const back = await readImageArchive(createReadStream(saved), work);
  assert.equal(back.length, 1);
  assert.equal(back[0]!.id, image.id);
  assert.deepEqual(back[0]!.repoTags, ['busybox:test']);
  assert.deepEqual(back[0]!.layers.map((l) => l.diffId), [sha256Digest(layer) as Digest]);
  // The layer file is the uncompressed tar docker re-created from its own storage: it must hash to the diffID.
  const layerBytes = await readFile(back[0]!.layers[0]!.path);
  assert.equal(sha256Digest(layerBytes), sha256Digest(layer));

  // And the round trip: dockerd's archive gzip'd, read again.
  const gz = join(dir, 'theirs.tar.gz');
  await pipeline(createReadStream(saved), (await import('node:zlib')).createGzip(), createWriteStream(gz));
  const again = await readImageArchive(createReadStream(gz), shortTemp(cleanup, 'skaz-'));
  assert.equal(again[0]!.id, image.id);
  ok(await docker(['rmi', 'busybox:test']), 'docker rmi');
});
