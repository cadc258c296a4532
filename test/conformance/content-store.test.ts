// contentStoreSuite against every ContentStore implementation (today: the local one).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalContentStore } from '../../src/content/index.js';
import { contentStoreSuite } from '../../src/content/testsuite.js';

contentStoreSuite('local', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-content-'));
  const store = await new LocalContentStore({ root: join(dir, 'content') }).init();
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
});
