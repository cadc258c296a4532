// Every hostile archive of test/fixtures/hostile-layers.ts, unpacked through unpackLayer into an
// overlay and a copy snapshotter on top of a base layer: either a clear error naming the entry and no
// snapshot left behind, or a committed snapshot whose merged view (really mounted) is as expected;
// and in both cases the sentinel directory outside the target is byte-for-byte untouched.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeOf } from '../../../src/base/index.js';
import { mountAll, umount, MNT_DETACH, mountPoints } from '../../../src/sys/index.js';
import { OverlaySnapshotter, CopySnapshotter, unpackLayer, type Snapshotter } from '../../../src/snapshot/index.js';
import { hostileLayers, tarOf, type HostileLayer } from '../../fixtures/hostile-layers.js';
import { fingerprint } from './helpers.js';

const drivers: [string, (root: string) => Promise<Snapshotter>][] = [
  ['overlay', (root) => OverlaySnapshotter.open(root)],
  ['copy', (root) => CopySnapshotter.open(root)],
];

for (const [driver, open] of drivers) {
  describe(`hostile layers on the ${driver} snapshotter`, async () => {
    const work = await mkdtemp(join(tmpdir(), 'skiff-hostile-'));
    const outside = join(work, 'outside');
    // From <root>/snapshots/<id>/fs up to <work>/outside.
    const up = '../../../../outside';
    let sn: Snapshotter;
    let cases: HostileLayer[] = [];
    let outsideBefore: string[];

    before(async () => {
      await mkdir(join(outside, 'sub'), { recursive: true });
      await writeFile(join(outside, 'secret'), 'do not touch');
      await writeFile(join(outside, 'sub', 'file'), 'nor this');
      outsideBefore = await fingerprint(outside, { dirTimes: true, xattrs: true });
      sn = await open(join(work, 'root'));
      await unpackLayer(sn, {
        name: 'base',
        layer: [await tarOf([
          { header: { name: 'secret', type: 'file' }, body: 'lower secret' },
          { header: { name: 'a', type: 'file' }, body: 'lower a' },
          { header: { name: 'd/', type: 'directory' } },
          { header: { name: 'd/x', type: 'file' }, body: 'lower x' },
        ])],
      });
      cases = await hostileLayers({ outside, up });
    });

    after(async () => {
      sn?.close();
      await rm(work, { recursive: true, force: true });
    });

    test('there are at least 30 hostile archives', () => {
      assert.ok(cases.length >= 30, `${cases.length} cases`);
    });

    test('each hostile archive applies inside the target or fails clearly, and nothing outside changes', async (t) => {
      let n = 0;
      for (const c of cases) {
        n++;
        const name = `case-${n}`;
        await t.test(c.name, async (tt) => {
          let result: unknown;
          let error: unknown;
          try {
            result = await unpackLayer(sn, {
              name,
              parent: 'base',
              layer: [c.data],
              ...(c.maxSizeBytes !== undefined ? { maxSizeBytes: c.maxSizeBytes } : {}),
              ...(c.mediaType !== undefined ? { mediaType: c.mediaType } : {}),
            });
          } catch (err) {
            error = err;
          }
          assert.deepEqual(await fingerprint(outside, { dirTimes: true, xattrs: true }), outsideBefore, 'the sentinel outside the target is untouched');
          assert.deepEqual((await readdir(work)).sort(), ['outside', 'root'], 'nothing new next to the snapshotter root');
          const names: string[] = [];
          await sn.walk((i) => {
            names.push(i.name);
          });
          if (error !== undefined) {
            assert.notEqual(c.expect, 'safe', `expected a safe result, got ${String(error)}`);
            const message = (error as Error).message;
            assert.notEqual(codeOf(error), 'Internal', `error has a meaningful code: ${message}`);
            if (c.errorCode !== undefined) assert.equal(codeOf(error), c.errorCode, message);
            if (c.errorMentions !== undefined) assert.ok(message.includes(c.errorMentions), `"${message}" mentions ${c.errorMentions}`);
            assert.deepEqual(names.sort(), ['base'], 'no half-applied snapshot is visible');
            return;
          }
          assert.notEqual(c.expect, 'error', `expected an error, got ${JSON.stringify(result)}`);
          assert.deepEqual(names.sort(), ['base', name]);
          const target = await mkdtemp(join(work, 'mnt-'));
          tt.after(async () => {
            umount(target, MNT_DETACH, true);
            await rm(target, { recursive: true, force: true });
            await sn.remove(`view-${name}`).catch(() => {});
            await sn.remove(name).catch(() => {});
          });
          await mountAll(await sn.view(`view-${name}`, name), target);
          await c.check?.(target);
        });
      }
    });

    test('no mount is left behind', () => {
      assert.deepEqual(mountPoints().filter((m) => m.startsWith(work)), []);
    });
  });
}
