// The suite every snapshotter passes (containerd core/snapshots/testsuite): each test gets a fresh
// root from `factory`, really mounts the Mount[] it is given, checks the merged view from the
// mount, and unmounts in t.after whatever the outcome.

import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeOf } from '../base/index.js';
import { mountAll, umount, MNT_DETACH, mountPoints, parseMountOptions, compactLowerdir } from '../sys/index.js';
import { applyTargetOf, type Mount, type SnapshotInfo, type Snapshotter } from './types.js';

export type SnapshotterFactory = (root: string) => Promise<Snapshotter>;

interface Ctx {
  sn: Snapshotter;
  root: string;
  work: string;
  mount(mounts: Mount[]): Promise<string>;
  reopen(): Promise<Snapshotter>;
}

async function setUp(t: TestContext, factory: SnapshotterFactory): Promise<Ctx> {
  const work = await mkdtemp(join(tmpdir(), 'skiff-snap-suite-'));
  const root = join(work, 'root');
  const undo: (() => Promise<void> | void)[] = [];
  t.after(async () => {
    const errors: unknown[] = [];
    for (const fn of undo.reverse()) {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    await rm(work, { recursive: true, force: true });
    if (errors.length > 0) throw errors[0];
  });
  const ctx: Ctx = {
    sn: await factory(root),
    root,
    work,
    async mount(mounts) {
      const target = await mkdtemp(join(work, 'mnt-'));
      undo.push(() => umount(target, MNT_DETACH, true));
      await mountAll(mounts, target);
      return target;
    },
    async reopen() {
      ctx.sn.close();
      ctx.sn = await factory(root);
      return ctx.sn;
    },
  };
  undo.push(() => ctx.sn.close());
  return ctx;
}

async function unmount(target: string): Promise<void> {
  umount(target, 0);
}

async function expectCode(p: Promise<unknown>, codes: string[], what: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(codes.includes(codeOf(err)), `${what}: expected ${codes.join('/')}, got ${codeOf(err)}: ${String(err)}`);
    return;
  }
  assert.fail(`${what}: expected ${codes.join('/')}, got success`);
}

async function list(sn: Snapshotter, filter?: Parameters<Snapshotter['walk']>[1]): Promise<SnapshotInfo[]> {
  const out: SnapshotInfo[] = [];
  await sn.walk((i) => {
    out.push(i);
  }, filter);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Prepares `key` on `parent`, writes `files` through a real mount, unmounts and commits `name`. */
async function layer(c: Ctx, name: string, parent: string | undefined, files: Record<string, string | null>): Promise<void> {
  const key = `${name}-active`;
  const target = await c.mount(await c.sn.prepare(key, parent));
  for (const [path, content] of Object.entries(files)) {
    const p = join(target, path);
    if (content === null) await rm(p, { recursive: true });
    else {
      await mkdir(join(p, '..'), { recursive: true });
      await writeFile(p, content);
    }
  }
  await unmount(target);
  await c.sn.commit(name, key);
}

export function snapshotterSuite(name: string, factory: SnapshotterFactory): void {
  describe(`snapshotter ${name}`, () => {
    test('prepare, write through the mount, commit, view', async (t) => {
      const c = await setUp(t, factory);
      const target = await c.mount(await c.sn.prepare('a'));
      await writeFile(join(target, 'hello'), 'world');
      await mkdir(join(target, 'dir'));
      await symlink('/etc/passwd', join(target, 'dir', 'abs-link'));
      await unmount(target);
      await c.sn.commit('base', 'a');
      await expectCode(c.sn.stat('a'), ['NotFound'], 'the key is gone after commit');
      const info = await c.sn.stat('base');
      assert.equal(info.kind, 'committed');
      assert.equal(info.parent, undefined);
      const v = await c.mount(await c.sn.view('v', 'base'));
      assert.equal(await readFile(join(v, 'hello'), 'utf8'), 'world');
      assert.deepEqual(await readdir(join(v, 'dir')), ['abs-link']);
      await assert.rejects(writeFile(join(v, 'new'), 'x'), /EROFS/);
      assert.equal((await c.sn.stat('v')).kind, 'view');
      assert.equal((await c.sn.stat('v')).parent, 'base');
    });

    test('a chain merges: additions, modifications, deletions, opaque directories', async (t) => {
      const c = await setUp(t, factory);
      await layer(c, 'l1', undefined, { 'a': '1', 'b': '1', 'd/x': '1', 'd/y': '1' });
      await layer(c, 'l2', 'l1', { 'a': '2', 'b': null, 'c': '2' });
      await layer(c, 'l3', 'l2', { 'd': null, 'd/z': '3' });
      const target = await c.mount(await c.sn.prepare('top', 'l3'));
      assert.deepEqual((await readdir(target)).sort(), ['a', 'c', 'd']);
      assert.equal(await readFile(join(target, 'a'), 'utf8'), '2');
      assert.deepEqual(await readdir(join(target, 'd')), ['z']);
      await writeFile(join(target, 'top-file'), 'top');
      await unmount(target);
      const v = await c.mount(await c.sn.view('v2', 'l2'));
      assert.deepEqual((await readdir(v)).sort(), ['a', 'c', 'd']);
      assert.deepEqual((await readdir(join(v, 'd'))).sort(), ['x', 'y']);
      assert.equal(existsSync(join(v, 'top-file')), false);
    });

    test('stat reports kind, parent and labels; walk filters', async (t) => {
      const c = await setUp(t, factory);
      await c.sn.prepare('k1', undefined, { labels: { team: 'a', x: '1' } });
      await c.sn.commit('c1', 'k1');
      await c.sn.prepare('k2', 'c1', { labels: { team: 'b' } });
      await c.sn.view('v1', 'c1', { labels: { team: 'a' } });
      const c1 = await c.sn.stat('c1');
      assert.deepEqual(c1.labels, { team: 'a', x: '1' });
      assert.ok(c1.created instanceof Date && c1.updated >= c1.created);
      assert.deepEqual((await list(c.sn)).map((i) => `${i.name}:${i.kind}:${i.parent ?? ''}`), ['c1:committed:', 'k2:active:c1', 'v1:view:c1']);
      assert.deepEqual((await list(c.sn, { kind: 'active' })).map((i) => i.name), ['k2']);
      assert.deepEqual((await list(c.sn, { parent: 'c1' })).map((i) => i.name), ['k2', 'v1']);
      assert.deepEqual((await list(c.sn, { labels: { team: 'a' } })).map((i) => i.name), ['c1', 'v1']);
      assert.deepEqual((await list(c.sn, { labels: { x: '' } })).map((i) => i.name), ['c1']);
    });

    test('errors carry codes: exists, missing, wrong kinds', async (t) => {
      const c = await setUp(t, factory);
      await c.sn.prepare('a');
      await expectCode(c.sn.prepare('a'), ['AlreadyExists'], 'prepare of an existing key');
      await expectCode(c.sn.prepare('b', 'nope'), ['NotFound'], 'missing parent');
      await expectCode(c.sn.prepare('b', 'a'), ['InvalidArgument', 'FailedPrecondition'], 'active parent');
      await expectCode(c.sn.stat('nope'), ['NotFound'], 'stat of a missing key');
      await expectCode(c.sn.mounts('nope'), ['NotFound'], 'mounts of a missing key');
      await expectCode(c.sn.remove('nope'), ['NotFound'], 'remove of a missing key');
      await expectCode(c.sn.commit('x', 'nope'), ['NotFound'], 'commit of a missing key');
      await expectCode(c.sn.prepare(''), ['InvalidArgument'], 'empty key');
      await c.sn.commit('base', 'a');
      await expectCode(c.sn.mounts('base'), ['FailedPrecondition'], 'mounts of a committed snapshot');
      await c.sn.view('v', 'base');
      await expectCode(c.sn.commit('vv', 'v'), ['FailedPrecondition'], 'commit of a view');
      await c.sn.prepare('b', 'base');
      await expectCode(c.sn.commit('base', 'b'), ['AlreadyExists'], 'commit onto an existing name');
      await expectCode(c.sn.prepare('base'), ['AlreadyExists'], 'keys and names share a namespace');
      assert.equal((await c.sn.stat('b')).kind, 'active');
    });

    test('remove refuses a snapshot with children, then removes leaf to base', async (t) => {
      const c = await setUp(t, factory);
      await layer(c, 'p', undefined, { f: 'p' });
      await c.sn.prepare('child', 'p');
      await c.sn.view('view', 'p');
      await expectCode(c.sn.remove('p'), ['FailedPrecondition', 'Conflict'], 'remove with children');
      assert.equal((await c.sn.stat('p')).kind, 'committed');
      await c.sn.remove('child');
      await expectCode(c.sn.remove('p'), ['FailedPrecondition', 'Conflict'], 'remove with a view child');
      await c.sn.remove('view');
      await c.sn.remove('p');
      assert.deepEqual(await list(c.sn), []);
      assert.deepEqual(await readdir(join(c.root, 'snapshots')), []);
      assert.deepEqual(await readdir(join(c.root, 'l')), []);
    });

    test('mounts are stable and usage counts the layer', async (t) => {
      const c = await setUp(t, factory);
      const m = await c.sn.prepare('a');
      assert.deepEqual(await c.sn.mounts('a'), m);
      const empty = await c.sn.usage('a');
      assert.equal(empty.inodes, 1);
      const target = await c.mount(m);
      await writeFile(join(target, 'big'), Buffer.alloc(1 << 20, 1));
      await writeFile(join(target, 'small'), 'x');
      await unmount(target);
      const u = await c.sn.usage('a');
      assert.equal(u.inodes, 3);
      assert.ok(u.size >= 1 << 20, `size ${u.size}`);
      await c.sn.commit('c', 'a');
      assert.deepEqual(await c.sn.usage('c'), u);
      await c.sn.prepare('b', 'c');
      assert.ok((await c.sn.usage('b')).inodes >= 1);
    });

    test('snapshots survive reopening; reconcile sweeps temps, orphans and dangling links', async (t) => {
      const c = await setUp(t, factory);
      await layer(c, 'base', undefined, { f: 'base' });
      await c.sn.prepare('active', 'base');
      await mkdir(join(c.root, 'snapshots', 'new-crashed', 'fs'), { recursive: true });
      await mkdir(join(c.root, 'snapshots', 'rm-7-dead'), { recursive: true });
      await mkdir(join(c.root, 'snapshots', '9999', 'fs'), { recursive: true });
      await symlink('../snapshots/9999/fs', join(c.root, 'l', 'DANGLINGLINK'));
      const sn = await c.reopen();
      assert.deepEqual((await list(sn)).map((i) => i.name), ['active', 'base']);
      assert.deepEqual((await readdir(join(c.root, 'snapshots'))).sort(), ['1', '2']);
      assert.equal(existsSync(join(c.root, 'l', 'DANGLINGLINK')), false);
      const report = await sn.reconcile();
      assert.deepEqual(report, { removedTemps: [], removedOrphans: [], removedLinks: [] });
      const target = await c.mount(await sn.mounts('active'));
      assert.equal(await readFile(join(target, 'f'), 'utf8'), 'base');
    });

    test('a 120-layer chain mounts, with lowerdir under a page', async (t) => {
      const c = await setUp(t, factory);
      let parent: string | undefined;
      for (let i = 0; i < 120; i++) {
        const key = `k${i}`;
        const { dir } = applyTargetOf(await c.sn.prepare(key, parent));
        await writeFile(join(dir, `file-${i}`), String(i));
        await c.sn.commit(`layer-${i}`, key);
        parent = `layer-${i}`;
      }
      const mounts = await c.sn.prepare('top', parent);
      for (const m of mounts) {
        const { data } = parseMountOptions(m.options);
        const effective = compactLowerdir(data)?.data ?? data;
        assert.ok(effective.length < 4096, `mount data is ${effective.length} bytes`);
      }
      const target = await c.mount(mounts);
      const names = await readdir(target);
      assert.equal(names.length, 120);
      for (let i = 0; i < 120; i++) assert.equal(await readFile(join(target, `file-${i}`), 'utf8'), String(i));
      const v = await c.mount(await c.sn.view('view', parent));
      assert.equal((await readdir(v)).length, 120);
    });

    test('no mount is left behind', () => {
      const prefix = join(tmpdir(), 'skiff-snap-suite-');
      assert.deepEqual(mountPoints().filter((m) => m.startsWith(prefix)), []);
    });
  });
}
