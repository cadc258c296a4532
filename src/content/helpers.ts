// Small operations over any ContentStore: write a whole buffer as one blob, read one whole.

import { isCode, sha256Digest, type Digest } from '../base/index.js';
import type { ContentStore, Labels } from './types.js';

/** Stores `data` under its sha256 (or `expected`); already stored is success. Returns the digest. */
export async function writeBlob(
  store: ContentStore,
  ref: string,
  data: Uint8Array,
  opts: { expected?: Digest; labels?: Labels } = {},
): Promise<Digest> {
  const digest = opts.expected ?? sha256Digest(data);
  let w;
  try {
    w = await store.writer(ref, { expected: { digest, size: data.byteLength } });
  } catch (err) {
    if (isCode(err, 'AlreadyExists')) return digest;
    throw err;
  }
  try {
    if (w.offset > 0) await w.truncate(0);
    await w.write(data);
    await w.commit({ sizeBytes: data.byteLength, digest }, opts.labels);
  } catch (err) {
    if (isCode(err, 'AlreadyExists')) return digest;
    await w.close();
    await store.abort(ref).catch(() => {});
    throw err;
  } 
  return digest;
}

export async function readBlob(store: ContentStore, desc: { digest: Digest; size?: number }): Promise<Buffer> {
  return (await store.reader(desc)).readAll();
}

export async function hasBlob(store: ContentStore, digest: Digest): Promise<boolean> {
  try {
    await store.info(digest);
    return true;
  } catch (err) {
    if (isCode(err, 'NotFound')) return false;
    throw err;
  }
}
