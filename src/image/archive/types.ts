// Data types of the image archive formats (`docker save` / `docker load`): what the writer takes and
// what the reader hands back. Pure data; the image service turns them into content-store records.

import type { Readable } from 'node:stream';
import type { Digest } from '../../base/index.js';
import type { ImageConfig } from '../../oci/index.js';

export interface ArchiveLayer {
  diffId: Digest;
  /** The uncompressed layer tar; opened once per archive and read to its end. */
  open(): Promise<Readable>;
}

export interface ArchiveImage {
  configBytes: Buffer;
  /** The config digest, which is the image id. */
  id: Digest;
  /** Familiar form: "busybox:latest", "localhost:5000/x:1". */
  repoTags: string[];
  layers: ArchiveLayer[];
}

export interface WriteArchiveOptions {
  /** Where layers are spooled while their size is measured (default: the OS temp dir). */
  tempDir?: string;
}

export interface LoadedLayer {
  /** From the config's rootfs.diff_ids (same index). */
  diffId?: Digest;
  /** A file in the extraction dir: the layer blob as it came, possibly gzip- or zstd-compressed. */
  path: string;
  /** The OCI descriptor's media type, or one sniffed from the blob's first bytes. */
  mediaType?: string;
}

export interface LoadedImage {
  config: ImageConfig;
  configBytes: Buffer;
  id: Digest;
  /** Familiar form, as the archive named them. */
  repoTags: string[];
  layers: LoadedLayer[];
}

export interface ReadArchiveOptions {
  /** Cap on the bytes of regular files extracted (default 64 GiB); above it → ResourceExhausted. */
  maxBytes?: number;
  signal?: AbortSignal;
}
