// The content store: containerd's content.Store (core/content/content.go), trimmed. Blobs are
// addressed by digest and become visible only when a writer commits them after fsync and verification.

import type { Digest } from '../base/index.js';
import type { Descriptor } from '../oci/index.js';
import type { Readable } from 'node:stream';

export type Labels = Record<string, string>;

export interface ContentInfo {
  digest: Digest;
  sizeBytes: number;
  createdAt: Date;
  updatedAt: Date;
  labels: Labels;
}

/** An ingest in progress (containerd content.Status). */
export interface IngestStatus {
  ref: string;
  /** Bytes written so far: where a resumed writer continues. */
  offset: number;
  /** The expected total size, when the writer was opened with one. */
  total?: number;
  expected?: Digest;
  startedAt: Date;
  updatedAt: Date;
}

/** A byte range of a blob; `length` omitted means "to the end". */
export interface ByteRange {
  offset: number;
  length?: number;
}

export interface BlobReader {
  readonly sizeBytes: number;
  /** A fresh stream over the blob (or the range). Callers consume or destroy it. */
  stream(range?: ByteRange): Readable;
  /** The whole blob (or the range) in memory: for manifests and configs, not for layers. */
  readAll(range?: ByteRange): Promise<Buffer>;
}

/** Restricts walk: every listed label must be present, with the given value unless it is undefined. */
export interface ContentFilter {
  labels?: Record<string, string | undefined>;
}

/** What a committed blob must be. Either part may be left out; the writer's `expected` still applies. */
export interface CommitExpectation {
  sizeBytes?: number;
  digest?: Digest;
}

export interface ContentWriter {
  readonly ref: string;
  /** Bytes written so far (after a reopen: what the previous writers of this ref left). */
  readonly offset: number;
  /** Digest of the bytes written so far. */
  digest(): Digest;
  write(chunk: Uint8Array): Promise<void>;
  /** Throws away what was written (containerd's writer truncates to 0 only). */
  truncate(size: 0): Promise<void>;
  /**
   * fsync → verify size and digest → rename into place → fsync the directory. AlreadyExists when the
   * blob was already there (the ingest is removed; the stored blob is unchanged). FailedPrecondition
   * when size or digest differ; the ingest then stays for the caller to abort or truncate.
   */
  commit(expected?: CommitExpectation, labels?: Labels): Promise<void>;
  /** Releases the writer; an uncommitted ingest stays and a later writer(ref) resumes it. Idempotent. */
  close(): Promise<void>;
}

export interface WriterOptions {
  /** The descriptor of the blob this ingest should produce: checked at commit; AlreadyExists at open if stored. */
  expected?: Pick<Descriptor, 'digest' | 'size'>;
}

export interface ContentStore {
  /** NotFound when the blob is not stored. */
  info(digest: Digest): Promise<ContentInfo>;
  /** Replaces the labels of a stored blob (all of them); returns the new info. */
  setLabels(digest: Digest, labels: Labels): Promise<ContentInfo>;
  /** NotFound when missing; FailedPrecondition when the stored size differs from `desc.size`. */
  reader(desc: Pick<Descriptor, 'digest'> & Partial<Pick<Descriptor, 'size'>>): Promise<BlobReader>;
  /**
   * Opens (or resumes) the ingest `ref`. Unavailable when another open writer holds the ref;
   * AlreadyExists when `opts.expected.digest` is already stored.
   */
  writer(ref: string, opts?: WriterOptions): Promise<ContentWriter>;
  /** NotFound when no ingest has this ref. */
  status(ref: string): Promise<IngestStatus>;
  /** Every ingest in progress. */
  statuses(): Promise<IngestStatus[]>;
  /** Removes the ingest `ref`; NotFound when there is none. */
  abort(ref: string): Promise<void>;
  walk(fn: (info: ContentInfo) => Promise<void> | void, filter?: ContentFilter): Promise<void>;
  /** NotFound when the blob is not stored. */
  delete(digest: Digest): Promise<void>;
}
