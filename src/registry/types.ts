// Progress events of pull and push (STYLE.md §2.6): one discriminated union, delivered through a
// callback. `id` is the short (12 hex) digest docker prints for a layer.

import type { Digest } from '../base/index.js';
import type { Descriptor, Platform } from '../oci/index.js';

export type BlobStatus =
  | 'waiting'
  | 'downloading'
  | 'retrying'
  | 'verifying'
  | 'download-complete'
  | 'already-exists'
  | 'preparing'
  | 'uploading'
  | 'mounted'
  | 'pushed'
  | 'layer-already-exists';

export type ProgressEvent =
  | { kind: 'resolved'; reference: string; descriptor: Descriptor }
  | { kind: 'manifest'; digest: Digest; mediaType: string; platform?: Platform; action: 'fetched' | 'pushed' | 'exists' }
  | {
      kind: 'blob';
      id: string;
      digest: Digest;
      mediaType: string;
      status: BlobStatus;
      currentBytes: number;
      totalBytes: number;
      /** Set with status `retrying`: the attempt about to start and why the last one failed. */
      attempt?: number;
      reason?: string;
      /** Set when a download continues from an offset (Range) instead of from 0. */
      resumedFromBytes?: number;
    };

export type ProgressListener = (event: ProgressEvent) => void;

export interface RetryOptions {
  /** Attempts in all, including the first. Default 5. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}
