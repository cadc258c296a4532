// A layer into a committed snapshot, all or nothing (containerd's unpacker): prepare a uniquely named
// active snapshot on the parent, apply the layer to its upper dir (no mount needed), check the
// diffID, commit under `name`. On any failure the active snapshot is removed, so no half-applied
// snapshot is ever visible under `name`.

import { randomBytes } from 'node:crypto';
import { SkiffError } from '../base/index.js';
import { applyLayer, type ApplyLayerResult, type LayerSource } from './apply-layer.js';
import { applyTargetOf, type Labels, type Snapshotter } from './types.js';

export interface UnpackLayerOptions {
  /** Name of the committed snapshot to create (usually the chainID). */
  name: string;
  parent?: string;
  layer: LayerSource;
  mediaType?: string;
  /** When given, a different diffID fails with DataLoss and nothing is committed. */
  expectedDiffId?: string;
  maxSizeBytes?: number;
  maxEntries?: number;
  labels?: Labels;
  signal?: AbortSignal;
}

export async function unpackLayer(sn: Snapshotter, o: UnpackLayerOptions): Promise<ApplyLayerResult> {
  const key = `extract-${randomBytes(8).toString('hex')} ${o.name}`;
  const mounts = await sn.prepare(key, o.parent, { labels: { 'skiff.unpack': o.name } });
  let committed = false;
  try {
    const target = applyTargetOf(mounts);
    const result = await applyLayer(target.dir, o.layer, {
      mode: target.mode,
      ...(o.mediaType !== undefined ? { mediaType: o.mediaType } : {}),
      ...(o.maxSizeBytes !== undefined ? { maxSizeBytes: o.maxSizeBytes } : {}),
      ...(o.maxEntries !== undefined ? { maxEntries: o.maxEntries } : {}),
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
    });
    if (o.expectedDiffId !== undefined && result.diffId !== o.expectedDiffId) {
      throw new SkiffError('DataLoss', `layer ${o.name}: diffID ${result.diffId} does not match the image config's ${o.expectedDiffId}`);
    }
    await sn.commit(o.name, key, { labels: o.labels ?? {} });
    committed = true;
    return result;
  } finally {
    if (!committed) await sn.remove(key).catch(() => {});
  }
}
