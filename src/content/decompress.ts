// Decompressors for layer blobs: gzip from zlib; zstd from zlib where Node has it (22.15+), else
// fzstd (a pure-JS streaming decoder), so zstd layers work on Node 20 too.

import zlib from 'node:zlib';
import { Transform, type TransformCallback } from 'node:stream';
import { Decompress } from 'fzstd';

export type Compression = 'none' | 'gzip' | 'zstd';

export const GZIP_MAGIC = [0x1f, 0x8b];
export const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Detects gzip or zstd from the first bytes of a blob. */
export function compressionOf(head: Uint8Array): Compression {
  const starts = (magic: number[]): boolean => head.length >= magic.length && magic.every((b, i) => head[i] === b);
  return starts(GZIP_MAGIC) ? 'gzip' : starts(ZSTD_MAGIC) ? 'zstd' : 'none';
}

class FzstdTransform extends Transform {
  private readonly decoder = new Decompress((chunk) => {
    if (chunk.length > 0) this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.decoder.push(chunk);
      cb();
    } catch (err) {
      cb(err instanceof Error ? err : new Error(String(err)));
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** A Transform that decompresses `kind`. */
export function createDecompressor(kind: 'gzip' | 'zstd'): Transform {
  // Large output chunks: with zlib's default 16 KiB, a 25 MB layer takes ~4x longer to inflate.
  if (kind === 'gzip') return zlib.createGunzip({ chunkSize: 1 << 20 });
  const native = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  return native !== undefined ? native() : new FzstdTransform();
}
