// skiffd killed with SIGKILL at random points of `docker pull` and `docker load`, many trials on one
// data root: after each restart (whose reconcile runs at start-up) the store must be consistent —
// every blob hashes to its name, no active unpack snapshot and no snapshot directory without a row
// (or row without a directory), every image row has its manifest and its top snapshot — and the
// operation then completes and gives a working image.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Pusher, RegistryClient } from '../../src/registry/index.js';
import { killPid } from '../helpers/cleanup.js';
import { docker, haveDockerCli, startSkiffd, type Skiffd } from '../helpers/skiffd.js';
import { buildImage, startRegistry, tempStore } from '../integration/registry/registry-helpers.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;
const TRIALS = 6;

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Checks the data root of a stopped daemon. */
async function assertConsistent(dataRoot: string, trial: string): Promise<void> {
  const blobsDir = join(dataRoot, 'content', 'blobs', 'sha256');
  const blobs = new Set(await readdir(blobsDir).catch(() => [] as string[]));
  for (const b of blobs) assert.equal(await sha256File(join(blobsDir, b)), b, `${trial}: blob ${b} is corrupt`);

  const snapRoot = join(dataRoot, 'snapshots', 'overlay');
  const sdb = new Database(join(snapRoot, 'metadata.db'), { readonly: true });
  const rows = sdb.prepare('SELECT id, key, kind FROM snapshots').all() as { id: number; key: string; kind: string }[];
  sdb.close();
  assert.deepEqual(rows.filter((r) => r.kind === 'active'), [], `${trial}: active snapshots left`);
  const dirs = (await readdir(join(snapRoot, 'snapshots'))).sort();
  assert.deepEqual(dirs, rows.map((r) => String(r.id)).sort(), `${trial}: snapshot dirs and rows differ`);

  const idb = new Database(join(dataRoot, 'skiff.db'), { readonly: true });
  const images = idb.prepare('SELECT id, target_digest, chain_id FROM images').all() as { id: string; target_digest: string; chain_id: string }[];
  const tags = idb.prepare('SELECT reference, image_id FROM image_tags').all() as { reference: string; image_id: string }[];
  idb.close();
  for (const img of images) {
    assert.ok(blobs.has(img.target_digest.slice(7)), `${trial}: image ${img.id} lacks its manifest`);
    assert.ok(blobs.has(img.id.slice(7)), `${trial}: image ${img.id} lacks its config`);
    assert.ok(rows.some((r) => r.key === img.chain_id && r.kind === 'committed'), `${trial}: image ${img.id} lacks its snapshot`);
  }
  for (const t of tags) assert.ok(images.some((i) => i.id === t.image_id), `${trial}: tag ${t.reference} points nowhere`);
}

/** Returns whether the kill interrupted the operation (the CLI failed). */
async function killDuring(t: Parameters<typeof startSkiffd>[0], dir: string, args: string[], maxDelayMs: number, input?: Buffer, remove?: string): Promise<boolean> {
  const d = await startSkiffd(t, { dir });
  // a trial that completed leaves the image: without removing it the next would be a no-op
  if (remove !== undefined) await docker(d, ['rmi', '-f', remove]);
  const running = docker(d, args, input === undefined ? {} : { input });
  await new Promise((r) => setTimeout(r, randomInt(0, maxDelayMs)));
  killPid(d.process.pid!, 'SIGKILL');
  await d.stop();
  return (await running).code !== 0; // the CLI sees the connection drop, or finished first
}

async function restartAndCheck(t: Parameters<typeof startSkiffd>[0], dir: string, trial: string): Promise<Skiffd> {
  const d = await startSkiffd(t, { dir });
  assert.equal(await d.stop(), 0, d.log());
  await assertConsistent(d.dataRoot, trial);
  return d;
}

test('SIGKILL during pull and load, many trials: consistent after every restart, then it completes', { skip, timeout: 300_000 }, async (t) => {
  const reg = await startRegistry(t);
  const src = await tempStore(t);
  const layers = [0, 1, 2, 3].map((i) => [{ name: `data/f${i}`, data: randomBytes(6 << 20) }, { name: `data/small${i}`, data: Buffer.from(`${i}\n`) }]);
  const img = await buildImage(src, layers);
  const client = new RegistryClient();
  t.after(() => client.destroy());
  const ref = `${reg.host}/skiff/big:1`;
  await new Pusher(client).push(ref, src, img.manifestDescriptor);

  const first = await startSkiffd(t);
  const dir = first.dir;
  assert.equal(await first.stop(), 0);

  let interrupted = 0;
  for (let i = 0; i < TRIALS; i++) {
    if (await killDuring(t, dir, ['pull', ref], 400, undefined, ref)) interrupted++;
    await restartAndCheck(t, dir, `pull trial ${i}`);
  }
  let d = await startSkiffd(t, { dir });
  const pulled = await docker(d, ['pull', ref]);
  assert.equal(pulled.code, 0, pulled.stderr);
  const archive = join(dir, 'big.tar');
  const saved = await docker(d, ['save', '-o', archive, ref]);
  assert.equal(saved.code, 0, saved.stderr);
  const rm = await docker(d, ['rmi', ref]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(await d.stop(), 0);

  const { readFile } = await import('node:fs/promises');
  const tarBytes = await readFile(archive);
  for (let i = 0; i < TRIALS; i++) {
    if (await killDuring(t, dir, ['load'], 300, tarBytes, ref)) interrupted++;
    await restartAndCheck(t, dir, `load trial ${i}`);
  }
  assert.ok(interrupted > 0, 'at least one kill landed mid-operation');
  t.diagnostic(`${interrupted} of ${2 * TRIALS} kills interrupted an operation`);
  d = await startSkiffd(t, { dir });
  const loaded = await docker(d, ['load', '-i', archive]);
  assert.equal(loaded.code, 0, loaded.stderr);
  const inspect = await docker(d, ['image', 'inspect', '-f', '{{.Id}}', ref]);
  assert.equal(inspect.stdout.trim(), img.configDescriptor.digest);
  assert.equal(await d.stop(), 0);
  await assertConsistent(d.dataRoot, 'final');
  await writeFile(join(dir, 'done'), '');
});
