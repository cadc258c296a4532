// A daemon killed between creating an ingest's metadata file and its one write leaves it empty:
// the next writer of the ref takes the ingest over instead of calling it someone else's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalContentStore } from '../../../src/content/index.js';

test('an ingest whose ref, total and expected files were left empty is resumed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-ingest-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await new LocalContentStore({ root: join(dir, 'content') }).init();
  const data = Buffer.from('layer bytes\n');
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}` as const;
  const ref = `fetch-${digest}`;
  const ingest = store.ingestDir(ref);
  await mkdir(ingest, { recursive: true });
  for (const f of ['ref', 'total', 'expected']) await writeFile(join(ingest, f), '');
  const w = await store.writer(ref, { expected: { digest, size: data.length } });
  await w.write(data);
  await w.commit({ sizeBytes: data.length, digest });
  assert.equal((await store.info(digest)).sizeBytes, data.length);
});
