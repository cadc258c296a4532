// Layers into committed snapshots named by chainID, one after another in order, each as soon as its
// blob is stored: the pull hands layers over as they arrive, so extracting layer n overlaps
// downloading layer n+1 (docker's pipelined pull).

import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError, isCode, type Digest } from '../base/index.js';
import type { Descriptor } from '../oci/index.js';
import { applyLayer, applyTargetOf, unpackLayer } from '../snapshot/index.js';
import { chainIds, noSpaceError, openLayerTar, type ImageContext } from './context.js';
import type { ImageProgressListener } from './types.js';

export function shortLayerId(d: Digest): string {
  return d.slice(d.indexOf(':') + 1, d.indexOf(':') + 13);
}

export async function snapshotExists(ctx: ImageContext, name: string): Promise<boolean> {
  try {
    await ctx.snapshots.stat(name);
    return true;
  } catch (err) {
    if (isCode(err, 'NotFound')) return false;
    throw err;
  }
}

/** Extractions running at once when layers are staged (overlay): measured best on 2 cores. */
const STAGE_CONCURRENCY = 3;

/**
 * Unpacks layers as `ready(i)` reports their blobs stored; `done()` resolves with their sizes.
 *
 * With overlay, a layer's upper dir does not depend on the layers below it, so layers are extracted
 * concurrently into staging dirs under the data root's tmp/ (diffID checked there), and then, in
 * order, each is renamed into its freshly prepared snapshot and committed. With the copy driver a
 * layer is applied onto a copy of its parent, so layers go one after another.
 */
export class LayerUnpacker {
  private readonly chain: Digest[];
  private readonly stored: boolean[];
  private readonly sizes: number[];
  private readonly staged: (Promise<string | undefined> | undefined)[];
  private readonly staging: boolean;
  private slots = STAGE_CONCURRENCY;
  private readonly slotWaiters: (() => void)[] = [];
  private nextIndex = 0;
  private running: Promise<void> = Promise.resolve();
  private failure: { err: unknown } | undefined;
  private settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;

  constructor(
    private readonly ctx: ImageContext,
    private readonly layers: readonly Descriptor[],
    private readonly diffIds: readonly Digest[],
    private readonly onProgress?: ImageProgressListener,
    private readonly signal?: AbortSignal,
  ) {
    this.chain = chainIds(diffIds);
    this.stored = layers.map(() => false);
    this.sizes = layers.map(() => 0);
    this.staged = layers.map(() => undefined);
    this.staging = ctx.driver === 'overlayfs';
  }

  get layerDescriptors(): readonly Descriptor[] {
    return this.layers;
  }

  get topChainId(): string {
    return this.chain.length === 0 ? '' : this.chain[this.chain.length - 1]!;
  }

  /** Layer i's blob is in the content store. */
  ready(i: number): void {
    this.stored[i] = true;
    if (this.staging) {
      const p = this.stage(i);
      p.catch((err: unknown) => this.fail(err));
      this.staged[i] = p;
    }
    this.running = this.running.then(() => this.drain()).catch((err: unknown) => this.fail(err));
  }

  private fail(err: unknown): void {
    this.failure ??= { err };
    this.settle?.reject(this.failure.err);
  }

  private async drain(): Promise<void> {
    while (this.failure === undefined && this.nextIndex < this.layers.length && this.stored[this.nextIndex] === true) {
      const i = this.nextIndex;
      this.sizes[i] = await this.commitOne(i);
      this.nextIndex++;
    }
    if (this.nextIndex === this.layers.length) this.settle?.resolve();
  }

  private async slot(): Promise<() => void> {
    if (this.slots === 0) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    else this.slots--;
    return () => {
      const next = this.slotWaiters.shift();
      if (next !== undefined) next();
      else this.slots++;
    };
  }

  /** Extracts layer i into a staging dir; undefined when its snapshot already exists. */
  private async stage(i: number): Promise<string | undefined> {
    const release = await this.slot();
    try {
      if (this.failure !== undefined || (await snapshotExists(this.ctx, this.chain[i]!))) return undefined;
      const layer = this.layers[i]!;
      const dir = await mkdtemp(join(this.ctx.tempDir, 'stage-'));
      try {
        await chmod(dir, 0o755); // what the snapshot's own fs dir would have been
        this.onProgress?.({ kind: 'layer', id: shortLayerId(layer.digest), status: 'Extracting', current: 0, total: layer.size });
        const result = await applyLayer(dir, await openLayerTar(this.ctx, layer), {
          mode: 'overlay', mediaType: layer.mediaType, ...(this.signal === undefined ? {} : { signal: this.signal }),
        });
        if (result.diffId !== this.diffIds[i]) {
          throw new SkiffError('DataLoss', `layer ${layer.digest}: diffID ${result.diffId} does not match the image config's ${this.diffIds[i]!}`);
        }
        return dir;
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw noSpaceError(err, `layer ${layer.digest}`);
      }
    } finally {
      release();
    }
  }

  private async commitOne(i: number): Promise<number> {
    const layer = this.layers[i]!;
    const name = this.chain[i]!;
    const id = shortLayerId(layer.digest);
    const stagedDir = await this.staged[i];
    if (await snapshotExists(this.ctx, name)) {
      if (stagedDir !== undefined) await rm(stagedDir, { recursive: true, force: true });
      else this.onProgress?.({ kind: 'layer', id, status: 'Already exists' });
      return (await this.ctx.snapshots.usage(name)).size;
    }
    try {
      if (stagedDir !== undefined) await this.commitStaged(i, stagedDir);
      else await this.applyInPlace(i);
    } catch (err) {
      // Another pull of an image sharing this layer committed it first: the snapshot is there.
      if (!isCode(err, 'AlreadyExists')) throw noSpaceError(err, `layer ${layer.digest}`);
    }
    this.onProgress?.({ kind: 'layer', id, status: 'Pull complete' });
    return (await this.ctx.snapshots.usage(name)).size;
  }

  private async commitStaged(i: number, stagedDir: string): Promise<void> {
    const key = `extract-${randomBytes(8).toString('hex')} ${this.chain[i]!}`;
    const mounts = await this.ctx.snapshots.prepare(key, i === 0 ? undefined : this.chain[i - 1]!, { labels: { 'skiff.unpack': this.chain[i]! } });
    let committed = false;
    try {
      const target = applyTargetOf(mounts);
      await rmdir(target.dir);
      await rename(stagedDir, target.dir);
      await this.ctx.snapshots.commit(this.chain[i]!, key, { labels: {} });
      committed = true;
    } finally {
      if (!committed) {
        await this.ctx.snapshots.remove(key).catch(() => {});
        await rm(stagedDir, { recursive: true, force: true });
      }
    }
  }

  private async applyInPlace(i: number): Promise<void> {
    const layer = this.layers[i]!;
    this.onProgress?.({ kind: 'layer', id: shortLayerId(layer.digest), status: 'Extracting', current: 0, total: layer.size });
    await unpackLayer(this.ctx.snapshots, {
      name: this.chain[i]!,
      ...(i === 0 ? {} : { parent: this.chain[i - 1]! }),
      layer: await openLayerTar(this.ctx, layer),
      mediaType: layer.mediaType,
      expectedDiffId: this.diffIds[i]!,
      ...(this.signal === undefined ? {} : { signal: this.signal }),
    });
  }

  /** Resolves with each layer's unpacked size once every layer is in; rejects with the first failure. */
  async done(): Promise<number[]> {
    try {
      if (this.layers.length > 0) {
        await new Promise<void>((resolve, reject) => {
          this.settle = { resolve, reject };
          if (this.failure !== undefined) reject(this.failure.err);
          else if (this.nextIndex === this.layers.length) resolve();
        });
      }
      await this.running;
      if (this.failure !== undefined) throw this.failure.err;
      return this.sizes;
    } catch (err) {
      await this.settled();
      throw err;
    }
  }

  /** Waits for every extraction and commit in progress to end, and removes staged dirs left unused. */
  async settled(): Promise<void> {
    await this.running.catch(() => {});
    for (const [i, p] of this.staged.entries()) {
      const dir = await p?.catch(() => undefined);
      if (dir !== undefined && i >= this.nextIndex) await rm(dir, { recursive: true, force: true });
    }
  }
}


/** Unpacks every layer of an image whose blobs are all stored. */
export async function unpackAll(
  ctx: ImageContext, layers: readonly Descriptor[], diffIds: readonly Digest[], onProgress?: ImageProgressListener, signal?: AbortSignal,
): Promise<{ sizes: number[]; chainId: string }> {
  const u = new LayerUnpacker(ctx, layers, diffIds, onProgress, signal);
  layers.forEach((_, i) => u.ready(i));
  const sizes = await u.done();
  return { sizes, chainId: u.topChainId };
}
