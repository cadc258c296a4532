// The shared conformance suite for ContentStore implementations (containerd core/content/testsuite):
// every implementation runs `contentStoreSuite(name, factory)` from test/conformance. Imported by tests
// directly, never through content/index.ts (it pulls in node:test).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { codeOf, sha256Digest, type Digest } from '../base/index.js';
import type { ContentInfo, ContentStore } from './types.js';

export interface ContentStoreFixture {
  store: ContentStore;
  cleanup: () => Promise<void>;
}

export type ContentStoreFactory = () => Promise<ContentStoreFixture>;

async function rejectsWith(p: Promise<unknown>, code: string, re?: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.equal(codeOf(err), code, `expected ${code}, got ${codeOf(err)}: ${(err as Error).message}`);
    if (re !== undefined) assert.match((err as Error).message, re);
    return;
  }
  assert.fail(`expected a ${code} error, got success`);
}

async function collect(store: ContentStore, filter?: Parameters<ContentStore['walk']>[1]): Promise<ContentInfo[]> {
  const out: ContentInfo[] = [];
  await store.walk((i) => {
    out.push(i);
  }, filter);
  return out;
}

async function drain(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function contentStoreSuite(name: string, factory: ContentStoreFactory): void {
  describe(`content store: ${name}`, () => {
    const withStore = (title: string, fn: (store: ContentStore) => Promise<void>): void => {
      test(title, async (t) => {
        const fx = await factory();
        t.after(() => fx.cleanup());
        await fn(fx.store);
      });
    };

    withStore('write, commit, info and read back', async (store) => {
      const data = randomBytes(100_000);
      const digest = sha256Digest(data);
      const w = await store.writer('ref-1', { expected: { digest, size: data.length } });
      await w.write(data.subarray(0, 4096));
      await w.write(data.subarray(4096));
      assert.equal(w.offset, data.length);
      assert.equal(w.digest(), digest);
      await w.commit({ sizeBytes: data.length, digest });
      await w.close(); // idempotent after commit
      const info = await store.info(digest);
      assert.equal(info.digest, digest);
      assert.equal(info.sizeBytes, data.length);
      const r = await store.reader({ digest, size: data.length });
      assert.equal(r.sizeBytes, data.length);
      assert.deepEqual(await r.readAll(), data);
      assert.deepEqual(await drain(r.stream()), data);
      assert.deepEqual(await r.readAll({ offset: 10, length: 20 }), data.subarray(10, 30));
      assert.deepEqual(await drain(r.stream({ offset: 99_990 })), data.subarray(99_990));
      assert.deepEqual(await drain(r.stream({ offset: 5, length: 0 })), Buffer.alloc(0));
      await rejectsWith(r.readAll({ offset: 99_999, length: 2 }), 'InvalidArgument', /outside/);
      await rejectsWith(store.status('ref-1'), 'NotFound');
    });

    withStore('an empty blob commits', async (store) => {
      const w = await store.writer('empty');
      await w.commit({ sizeBytes: 0, digest: sha256Digest('') });
      assert.equal((await store.info(sha256Digest(''))).sizeBytes, 0);
      assert.deepEqual(await (await store.reader({ digest: sha256Digest('') })).readAll(), Buffer.alloc(0));
    });

    withStore('a wrong digest is refused and nothing becomes visible', async (store) => {
      const data = Buffer.from('hello world');
      const wrong = sha256Digest('something else');
      const w = await store.writer('ref-bad');
      await w.write(data);
      await rejectsWith(w.commit({ digest: wrong }), 'FailedPrecondition', /unexpected commit digest/);
      await rejectsWith(store.info(wrong), 'NotFound');
      await rejectsWith(store.info(sha256Digest(data)), 'NotFound');
      assert.equal((await collect(store)).length, 0);
      assert.equal((await store.status('ref-bad')).offset, data.length);
      await w.close();
      await store.abort('ref-bad');
      await rejectsWith(store.status('ref-bad'), 'NotFound');
      await rejectsWith(store.abort('ref-bad'), 'NotFound');
    });

    withStore('a wrong size is refused, from the commit or from the writer expectation', async (store) => {
      const data = Buffer.from('twelve bytes');
      const w = await store.writer('ref-size');
      await w.write(data);
      await rejectsWith(w.commit({ sizeBytes: 11 }), 'FailedPrecondition', /unexpected commit size 12, expected 11/);
      await w.close();
      await store.abort('ref-size');
      const w2 = await store.writer('ref-size2', { expected: { digest: sha256Digest(data), size: 13 } });
      await w2.write(data);
      await rejectsWith(w2.commit(), 'FailedPrecondition', /size/);
      await w2.close();
      assert.equal((await collect(store)).length, 0);
    });

    withStore('an ingest resumes where it stopped, with its digest intact', async (store) => {
      const data = randomBytes(50_000);
      const digest = sha256Digest(data);
      const w = await store.writer('resume', { expected: { digest, size: data.length } });
      await w.write(data.subarray(0, 20_000));
      await w.close();
      const st = await store.status('resume');
      assert.equal(st.ref, 'resume');
      assert.equal(st.offset, 20_000);
      assert.equal(st.total, data.length);
      assert.equal(st.expected, digest);
      assert.ok(st.startedAt instanceof Date && st.updatedAt instanceof Date);
      const w2 = await store.writer('resume', { expected: { digest, size: data.length } });
      assert.equal(w2.offset, 20_000);
      assert.equal(w2.digest(), sha256Digest(data.subarray(0, 20_000)));
      await w2.write(data.subarray(20_000));
      await w2.commit({ digest });
      assert.deepEqual(await (await store.reader({ digest })).readAll(), data);
    });

    withStore('truncate(0) starts the ingest over', async (store) => {
      const w = await store.writer('trunc');
      await w.write(Buffer.from('garbage'));
      await w.truncate(0);
      assert.equal(w.offset, 0);
      await w.write(Buffer.from('good'));
      await w.commit({ digest: sha256Digest('good'), sizeBytes: 4 });
      assert.equal((await store.info(sha256Digest('good'))).sizeBytes, 4);
    });

    withStore('one open writer per ref', async (store) => {
      const w = await store.writer('locked');
      await rejectsWith(store.writer('locked'), 'Unavailable', /locked/);
      await w.close();
      const w2 = await store.writer('locked');
      await w2.close();
    });

    withStore('a second commit of stored content is AlreadyExists and harmless', async (store) => {
      const data = Buffer.from('same bytes');
      const digest = sha256Digest(data);
      const a = await store.writer('a');
      const b = await store.writer('b');
      await a.write(data);
      await b.write(data);
      await a.commit({ digest });
      await rejectsWith(b.commit({ digest }), 'AlreadyExists');
      await rejectsWith(store.status('b'), 'NotFound'); // the loser's ingest is gone
      assert.deepEqual(await (await store.reader({ digest })).readAll(), data);
      await rejectsWith(store.writer('c', { expected: { digest, size: data.length } }), 'AlreadyExists');
      assert.equal((await collect(store)).length, 1);
    });

    withStore('uncommitted data is never listed or readable', async (store) => {
      const data = randomBytes(1000);
      const w = await store.writer('pending');
      await w.write(data);
      assert.equal((await collect(store)).length, 0);
      await rejectsWith(store.reader({ digest: sha256Digest(data) }), 'NotFound');
      assert.deepEqual((await store.statuses()).map((s) => s.ref), ['pending']);
      await w.commit();
      assert.equal((await collect(store)).length, 1);
      assert.deepEqual(await store.statuses(), []);
    });

    withStore('walk, labels and filters', async (store) => {
      const blobs = ['one', 'two', 'three'].map((s) => Buffer.from(s));
      for (const [i, b] of blobs.entries()) {
        const w = await store.writer(`w${i}`);
        await w.write(b);
        await w.commit({}, i === 0 ? { 'skiff.test/root': 'yes' } : undefined);
      }
      const all = await collect(store);
      assert.deepEqual(all.map((i) => i.digest).sort(), blobs.map((b) => sha256Digest(b)).sort());
      const labelled = await collect(store, { labels: { 'skiff.test/root': undefined } });
      assert.deepEqual(labelled.map((i) => i.digest), [sha256Digest('one')]);
      assert.deepEqual(labelled[0]!.labels, { 'skiff.test/root': 'yes' });
      const info = await store.setLabels(sha256Digest('two'), { a: 'b' });
      assert.deepEqual(info.labels, { a: 'b' });
      assert.equal((await collect(store, { labels: { a: 'b' } })).length, 1);
      assert.equal((await collect(store, { labels: { a: 'c' } })).length, 0);
      await store.setLabels(sha256Digest('two'), {});
      assert.deepEqual((await store.info(sha256Digest('two'))).labels, {});
      await rejectsWith(store.setLabels(sha256Digest('missing'), { a: 'b' }), 'NotFound');
    });

    withStore('delete removes a blob; deleting a missing one is NotFound', async (store) => {
      const w = await store.writer('del');
      await w.write(Buffer.from('bye'));
      await w.commit({}, { x: 'y' });
      const digest = sha256Digest('bye');
      await store.delete(digest);
      await rejectsWith(store.info(digest), 'NotFound');
      await rejectsWith(store.delete(digest), 'NotFound');
      // committing it again gives fresh labels
      const w2 = await store.writer('del');
      await w2.write(Buffer.from('bye'));
      await w2.commit();
      assert.deepEqual((await store.info(digest)).labels, {});
    });

    withStore('reader checks the descriptor size; bad digests are refused', async (store) => {
      const w = await store.writer('sz');
      await w.write(Buffer.from('1234'));
      await w.commit();
      await rejectsWith(store.reader({ digest: sha256Digest('1234'), size: 5 }), 'FailedPrecondition', /size/);
      await rejectsWith(store.info('sha256:xyz' as Digest), 'InvalidArgument');
      await rejectsWith(store.writer(''), 'InvalidArgument');
    });

    withStore('writers of different refs run concurrently', async (store) => {
      const datas = Array.from({ length: 8 }, (_, i) => randomBytes(10_000 + i));
      await Promise.all(
        datas.map(async (d, i) => {
          const w = await store.writer(`par-${i}`, { expected: { digest: sha256Digest(d), size: d.length } });
          for (let off = 0; off < d.length; off += 1000) await w.write(d.subarray(off, off + 1000));
          await w.commit();
        }),
      );
      const all = await collect(store);
      assert.equal(all.length, datas.length);
      for (const d of datas) {
        const back = await (await store.reader({ digest: sha256Digest(d) })).readAll();
        assert.equal(createHash('sha256').update(back).digest('hex'), sha256Digest(d).slice(7));
      }
    });
  });
}
