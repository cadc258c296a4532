// Crash safety of snapshot creation (STYLE.md 2.7): a failure inside the recording transaction rolls
// the row back and removes the temp dir; a leftover from a "crash" is swept by reconcile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { codeOf } from '../../../src/base/index.js';
import { OverlaySnapshotter, CopySnapshotter, type Snapshotter } from '../../../src/snapshot/index.js';
import { tempDir, cleanupFor } from './helpers.js';

for (const [driver, open] of [
  ['overlay', (root: string) => OverlaySnapshotter.open(root)],
  ['copy', (root: string) => CopySnapshotter.open(root)],
] as const) {
  test(`${driver}: a failed create leaves no row and no temp dir; reconcile clears the way`, async (t) => {
    const cleanup = cleanupFor(t);
    const work = await tempDir(cleanup, 'skiff-crash-');
    const root = join(work, 'root');
    let sn: Snapshotter = await open(root);
    cleanup.add(() => sn.close(), 'close');
    await sn.prepare('a');
    await sn.commit('base', 'a');
    // A directory where the next snapshot will go, as a crash after rename but before commit leaves.
    await mkdir(join(root, 'snapshots', '2', 'fs'), { recursive: true });
    await writeFile(join(root, 'snapshots', '2', 'fs', 'stale'), 'stale');
    await assert.rejects(sn.prepare('b', 'base'), (err: Error) => codeOf(err) === 'Internal' && /without a row/.test(err.message));
    await assert.rejects(sn.stat('b'), (err: Error) => codeOf(err) === 'NotFound');
    assert.deepEqual((await readdir(join(root, 'snapshots'))).sort(), ['1', '2'], 'the temp dir is gone');
    sn.close();
    sn = await open(root);
    assert.deepEqual((await readdir(join(root, 'snapshots'))).sort(), ['1']);
    await sn.prepare('b', 'base');
    assert.equal((await sn.stat('b')).parent, 'base');
  });
}
