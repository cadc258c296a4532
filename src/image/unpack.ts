// Layers into committed snapshots named by chainID, one after another in order, each as soon as its
// blob is stored: the pull hands layers over as they arrive, so extracting layer n overlaps
// downloading layer n+1 (docker's pipelined pull).

import { SkiffError, isCode, type Digest } from '../base/index.js';
import type { Descriptor } from '../oci/index.js';
import { unpackLayer } from '../snapshot/index.js';
import { chainIds, openLayerTar, type ImageContext } from './context.js';
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

/** Unpacks layer by layer as `ready(i)` is called; `done()` resolves with the sizes once all are in. */
export class LayerUnpacker {
  private readonly chain: Digest[];
  private readonly stored: boolean[];
  private readonly sizes: number[];
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
    this.running = this.running.then(() => this.drain()).catch((err: unknown) => {
      this.failure ??= { err };
      this.settle?.reject(err);
    });
  }

  private async drain(): Promise<void> {
    while (this.failure === undefined && this.nextIndex < this.layers.length && this.stored[this.nextIndex] === true) {
      const i = this.nextIndex;
      this.sizes[i] = await this.unpackOne(i);
      this.nextIndex++;
    }
    if (this.nextIndex === this.layers.length) this.settle?.resolve();
  }

  private async unpackOne(i: number): Promise<number> {
    const layer = this.layers[i]!;
    const name = this.chain[i]!;
    const id = shortLayerId(layer.digest);
    if (await snapshotExists(this.ctx, name)) {
      this.onProgress?.({ kind: 'layer', id, status: 'Already exists' });
      return (await this.ctx.snapshots.usage(name)).size;
    }
    this.onProgress?.({ kind: 'layer', id, status: 'Extracting', current: 0, total: layer.size });
    try {
      await unpackLayer(this.ctx.snapshots, {
        name,
        ...(i === 0 ? {} : { parent: this.chain[i - 1]! }),
        layer: await openLayerTar(this.ctx, layer),
        mediaType: layer.mediaType,
        expectedDiffId: this.diffIds[i]!,
        ...(this.signal === undefined ? {} : { signal: this.signal }),
      });
    } catch (err) {
      // Another pull of an image sharing this layer committed it first.
      if (isCode(err, 'AlreadyExists')) {
        // fine: the snapshot is there
      } else if (['ENOSPC', 'EDQUOT'].includes((err as NodeJS.ErrnoException).code ?? '') || /\bENOSPC\b|no space left/i.test((err as Error).message)) {
        throw new SkiffError('ResourceExhausted', `layer ${layer.digest}: no space left on device while unpacking`, { cause: err });
      } else {
        throw err;
      }
    }
    this.onProgress?.({ kind: 'layer', id, status: 'Pull complete' });
    return (await this.ctx.snapshots.usage(name)).size;
  }

  /** Resolves with each layer's unpacked size once every layer is in; rejects with the first failure. */
  async done(): Promise<number[]> {
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
  }

  /** Waits for the layer in progress to end (after a failed download), ignoring its outcome. */
  async settled(): Promise<void> {
    await this.running;
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
