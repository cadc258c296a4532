// The local content store (containerd plugins/content/local): blobs at <root>/blobs/sha256/<hex>,
// ingests at <root>/ingest/<sha256(ref)>/ holding `data`, `ref`, `startedat` and, when known,
// `total` and `expected`. A writer appends to `data`; commit fsyncs it, verifies size and digest,
// and hard-links it to the blob path (atomic and never clobbering: a blob path only ever names a
// complete, verified file), then fsyncs the directory and removes the ingest.
//
// Labels: a JSON sidecar per blob at <root>/labels/sha256/<hex>.json, written atomically (temp +
// fsync + rename). They are for GC hints and image-store bookkeeping that has not moved to SQLite
// yet; the image store may keep its own labels in the database and leave these empty.
//
// Locking: one open writer per ref, within this process (one skiffd owns a data root; a second
// daemon on the same root is refused at start-up).

import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  Digester, SkiffError, digestAlgorithm, digestHex, failedPrecondition, invalidArgument, isDigest, notFound,
  type Digest,
} from '../../base/index.js';
import { writeFileAtomic } from '../../sys/index.js';
import type {
  BlobReader, ByteRange, CommitExpectation, ContentFilter, ContentInfo, ContentStore, ContentWriter, IngestStatus,
  Labels, WriterOptions,
} from '../types.js';

export interface LocalContentStoreOptions {
  /** The store's directory, e.g. /var/lib/skiff/content. Created when missing. */
  root: string;
}

function isErrnoCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if (isErrnoCode(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * An ingest's metadata file (ref, startedat, total, expected): a kill between its creation and its
 * one small write leaves it empty, which means the same as missing (it is written again).
 */
async function readMeta(file: string): Promise<string | undefined> {
  const text = await readOptional(file);
  return text === '' ? undefined : text;
}

function checkSha256(digest: string, field = 'digest'): Digest {
  if (!isDigest(digest)) throw invalidArgument(`invalid digest: ${JSON.stringify(digest)}`, { field });
  if (digestAlgorithm(digest) !== 'sha256') {
    throw new SkiffError('NotImplemented', `unsupported digest algorithm ${digestAlgorithm(digest)} (only sha256 is stored): ${digest}`, { field });
  }
  return digest;
}

function matchesFilter(info: ContentInfo, filter: ContentFilter | undefined): boolean {
  if (filter?.labels === undefined) return true;
  for (const [k, v] of Object.entries(filter.labels)) {
    if (!(k in info.labels)) return false;
    if (v !== undefined && info.labels[k] !== v) return false;
  }
  return true;
}

export class LocalContentStore implements ContentStore {
  readonly root: string;
  private readonly locks = new Set<string>();

  constructor(opts: LocalContentStoreOptions) {
    this.root = opts.root;
  }

  /** Creates the directories; optional (every write creates what it needs) but makes walk cheap. */
  async init(): Promise<this> {
    await fs.mkdir(path.join(this.root, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
    await fs.mkdir(path.join(this.root, 'ingest'), { recursive: true, mode: 0o700 });
    return this;
  }

  blobPath(digest: Digest): string {
    return path.join(this.root, 'blobs', digestAlgorithm(digest), digestHex(digest));
  }

  private labelsPath(digest: Digest): string {
    return path.join(this.root, 'labels', digestAlgorithm(digest), `${digestHex(digest)}.json`);
  }

  ingestDir(ref: string): string {
    return path.join(this.root, 'ingest', createHash('sha256').update(ref).digest('hex'));
  }

  async info(digest: Digest): Promise<ContentInfo> {
    checkSha256(digest);
    let st;
    try {
      st = await fs.stat(this.blobPath(digest));
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) throw notFound(`content digest ${digest}: not found`);
      throw err;
    }
    const labels = await this.readLabels(digest);
    const created = st.birthtimeMs > 0 ? st.birthtime : st.mtime;
    return { digest, sizeBytes: st.size, createdAt: created, updatedAt: labels.mtime ?? st.mtime, labels: labels.labels };
  }

  private async readLabels(digest: Digest): Promise<{ labels: Labels; mtime?: Date }> {
    const file = this.labelsPath(digest);
    const text = await readOptional(file);
    if (text === undefined) return { labels: {} };
    const st = await fs.stat(file).catch(() => undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new SkiffError('DataLoss', `labels of ${digest}: invalid JSON in ${file}`, { cause: err, path: file });
    }
    return { labels: (parsed ?? {}) as Labels, ...(st === undefined ? {} : { mtime: st.mtime }) };
  }

  private async writeLabels(digest: Digest, labels: Labels): Promise<void> {
    const file = this.labelsPath(digest);
    if (Object.keys(labels).length === 0) {
      await fs.rm(file, { force: true });
      return;
    }
    for (const [k, v] of Object.entries(labels)) {
      if (typeof v !== 'string') throw invalidArgument(`label ${k}: value must be a string`, { field: `labels.${k}` });
    }
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, JSON.stringify(labels), 0o600);
  }

  async setLabels(digest: Digest, labels: Labels): Promise<ContentInfo> {
    await this.info(digest);
    await this.writeLabels(digest, labels);
    return this.info(digest);
  }

  async reader(desc: { digest: Digest; size?: number }): Promise<BlobReader> {
    const info = await this.info(desc.digest);
    if (desc.size !== undefined && desc.size !== info.sizeBytes) {
      throw failedPrecondition(`content ${desc.digest}: stored size ${info.sizeBytes} differs from descriptor size ${desc.size}`);
    }
    const file = this.blobPath(desc.digest);
    const size = info.sizeBytes;
    const bounds = (range: ByteRange | undefined): { start: number; end: number } => {
      const start = range?.offset ?? 0;
      if (!Number.isSafeInteger(start) || start < 0 || start > size) {
        throw invalidArgument(`range offset ${start} is outside content ${desc.digest} of ${size} bytes`, { field: 'range.offset' });
      }
      const length = range?.length ?? size - start;
      if (!Number.isSafeInteger(length) || length < 0 || start + length > size) {
        throw invalidArgument(`range length ${length} at ${start} is outside content ${desc.digest} of ${size} bytes`, { field: 'range.length' });
      }
      return { start, end: start + length };
    };
    return {
      sizeBytes: size,
      stream(range?: ByteRange): Readable {
        const { start, end } = bounds(range);
        if (end === start) return Readable.from([]);
        // 1 MiB reads: layers stream several times faster through gunzip and tar than in 64 KiB ones
        return createReadStream(file, { start, end: end - 1, highWaterMark: 1 << 20 }); // `end` is inclusive there
      },
      async readAll(range?: ByteRange): Promise<Buffer> {
        const { start, end } = bounds(range);
        const fh = await fs.open(file, 'r');
        try {
          const buf = Buffer.alloc(end - start);
          let done = 0;
          while (done < buf.length) {
            const { bytesRead } = await fh.read(buf, done, buf.length - done, start + done);
            if (bytesRead === 0) throw new SkiffError('DataLoss', `content ${desc.digest}: short read at ${start + done}`, { path: file });
            done += bytesRead;
          }
          return buf;
        } finally {
          await fh.close();
        }
      },
    };
  }

  async writer(ref: string, opts: WriterOptions = {}): Promise<ContentWriter> {
    if (typeof ref !== 'string' || ref === '') throw invalidArgument('ingest ref must not be empty', { field: 'ref' });
    const expected = opts.expected;
    if (expected !== undefined) {
      checkSha256(expected.digest, 'expected.digest');
      const exists = await this.info(expected.digest).then(() => true, (err: unknown) => {
        if (isErrnoCode(err, 'NotFound')) return false;
        throw err;
      });
      if (exists) throw new SkiffError('AlreadyExists', `content ${expected.digest}: already exists`);
    }
    if (this.locks.has(ref)) throw new SkiffError('Unavailable', `ref ${ref} is locked: another writer is open`, { field: 'ref' });
    this.locks.add(ref);
    try {
      return await this.openWriter(ref, expected);
    } catch (err) {
      this.locks.delete(ref);
      throw err;
    }
  }

  private async openWriter(ref: string, expected: WriterOptions['expected']): Promise<LocalWriter> {
    const dir = this.ingestDir(ref);
    await fs.mkdir(path.join(this.root, 'ingest'), { recursive: true, mode: 0o700 });
    let fresh = true;
    try {
      await fs.mkdir(dir, { mode: 0o700 });
    } catch (err) {
      if (!isErrnoCode(err, 'EEXIST')) throw err;
      fresh = false;
    }
    let storedRef: string | undefined;
    if (!fresh) {
      storedRef = await readMeta(path.join(dir, 'ref'));
      if (storedRef !== undefined && storedRef !== ref) {
        throw new SkiffError('DataLoss', `ingest ${dir}: holds ref ${storedRef}, not ${ref}`, { path: dir });
      }
      const total = await readMeta(path.join(dir, 'total'));
      if (expected !== undefined && total !== undefined && Number(total) !== expected.size) {
        throw failedPrecondition(`ingest ${ref}: was started for ${total} bytes, not ${expected.size}`, { field: 'expected.size' });
      }
      const exp = await readMeta(path.join(dir, 'expected'));
      if (expected !== undefined && exp !== undefined && exp !== expected.digest) {
        throw failedPrecondition(`ingest ${ref}: was started for ${exp}, not ${expected.digest}`, { field: 'expected.digest' });
      }
    }
    if (fresh || storedRef === undefined || (await readMeta(path.join(dir, 'startedat'))) === undefined) {
      await fs.writeFile(path.join(dir, 'ref'), ref, { mode: 0o600 });
      await fs.writeFile(path.join(dir, 'startedat'), new Date().toISOString(), { mode: 0o600 });
    }
    if (expected !== undefined) {
      await fs.writeFile(path.join(dir, 'total'), String(expected.size), { mode: 0o600 });
      await fs.writeFile(path.join(dir, 'expected'), expected.digest, { mode: 0o600 });
    }
    const dataPath = path.join(dir, 'data');
    const fh = await fs.open(dataPath, 'a', 0o600);
    const digester = new Digester();
    try {
      const { size } = await fh.stat();
      if (size > 0) {
        // Resuming: re-hash what earlier writers left (containerd's local writer does the same).
        const stream = createReadStream(dataPath, { start: 0, end: size - 1 });
        for await (const chunk of stream) digester.update(chunk as Buffer);
        if (digester.size !== size) throw new SkiffError('DataLoss', `ingest ${ref}: data changed while resuming`, { path: dataPath });
      }
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new LocalWriter(this, ref, dir, fh, digester, expected, () => this.locks.delete(ref));
  }

  /** Used by the writer: link the verified data to its blob path; false when the blob was there. */
  async linkBlob(dataPath: string, digest: Digest): Promise<boolean> {
    const target = this.blobPath(digest);
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await fs.chmod(dataPath, 0o444);
    try {
      await fs.link(dataPath, target);
    } catch (err) {
      if (isErrnoCode(err, 'EEXIST')) return false;
      throw err;
    }
    await fsyncDir(path.dirname(target));
    return true;
  }

  async setLabelsAfterCommit(digest: Digest, labels: Labels | undefined): Promise<void> {
    if (labels !== undefined && Object.keys(labels).length > 0) await this.writeLabels(digest, labels);
  }

  async status(ref: string): Promise<IngestStatus> {
    const st = await this.readStatus(this.ingestDir(ref));
    if (st === undefined || st.ref !== ref) throw notFound(`ingest ${ref}: not found`);
    return st;
  }

  private async readStatus(dir: string): Promise<IngestStatus | undefined> {
    const ref = await readMeta(path.join(dir, 'ref'));
    if (ref === undefined) return undefined;
    let data;
    try {
      data = await fs.stat(path.join(dir, 'data'));
    } catch (err) {
      if (!isErrnoCode(err, 'ENOENT')) throw err;
    }
    const dirStat = await fs.stat(dir);
    const startedText = await readMeta(path.join(dir, 'startedat'));
    const total = await readMeta(path.join(dir, 'total'));
    const expected = await readMeta(path.join(dir, 'expected'));
    const startedAt = startedText === undefined ? dirStat.mtime : new Date(startedText);
    return {
      ref,
      offset: data?.size ?? 0,
      ...(total === undefined ? {} : { total: Number(total) }),
      ...(expected !== undefined && isDigest(expected) ? { expected } : {}),
      startedAt,
      updatedAt: data?.mtime ?? dirStat.mtime,
    };
  }

  async statuses(): Promise<IngestStatus[]> {
    let names: string[];
    try {
      names = await fs.readdir(path.join(this.root, 'ingest'));
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) return [];
      throw err;
    }
    const out: IngestStatus[] = [];
    for (const name of names.sort()) {
      const dir = path.join(this.root, 'ingest', name);
      const st = await this.readStatus(dir).catch((err: unknown) => {
        if (isErrnoCode(err, 'ENOENT')) return undefined;
        throw err;
      });
      if (st !== undefined) out.push(st);
      else out.push(await this.orphanStatus(dir, name));
    }
    return out;
  }

  /** An ingest dir without a ref file (a crash between mkdir and the first write): report it by its dir name. */
  private async orphanStatus(dir: string, name: string): Promise<IngestStatus> {
    const st = await fs.stat(dir).catch(() => undefined);
    const when = st?.mtime ?? new Date(0);
    return { ref: `orphan:${name}`, offset: 0, startedAt: when, updatedAt: when };
  }

  /** True when a writer of this process holds the ref (GC leaves such ingests alone). */
  isLocked(ref: string): boolean {
    return this.locks.has(ref);
  }

  async abort(ref: string): Promise<void> {
    const dir = ref.startsWith('orphan:') ? path.join(this.root, 'ingest', ref.slice('orphan:'.length)) : this.ingestDir(ref);
    try {
      await fs.access(dir);
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) throw notFound(`ingest ${ref}: not found`);
      throw err;
    }
    await fs.rm(dir, { recursive: true, force: true });
  }

  async walk(fn: (info: ContentInfo) => Promise<void> | void, filter?: ContentFilter): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(path.join(this.root, 'blobs', 'sha256'));
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) return;
      throw err;
    }
    for (const name of names.sort()) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) continue; // not ours: a stray file is not content
      let info: ContentInfo;
      try {
        info = await this.info(digest);
      } catch (err) {
        if (isErrnoCode(err, 'NotFound')) continue; // deleted meanwhile
        throw err;
      }
      if (matchesFilter(info, filter)) await fn(info);
    }
  }

  async delete(digest: Digest): Promise<void> {
    checkSha256(digest);
    try {
      await fs.unlink(this.blobPath(digest));
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) throw notFound(`content digest ${digest}: not found`);
      throw err;
    }
    await fs.rm(this.labelsPath(digest), { force: true });
  }
}

class LocalWriter implements ContentWriter {
  private closed = false;
  private committed = false;
  private size: number;

  constructor(
    private readonly store: LocalContentStore,
    readonly ref: string,
    private readonly dir: string,
    private readonly fh: FileHandle,
    private digester: Digester,
    private readonly expected: WriterOptions['expected'],
    private readonly release: () => void,
  ) {
    this.size = digester.size;
  }

  get offset(): number {
    return this.size;
  }

  digest(): Digest {
    return this.digester.digest();
  }

  private checkOpen(op: string): void {
    if (this.committed) throw failedPrecondition(`ingest ${this.ref}: ${op} after commit`);
    if (this.closed) throw failedPrecondition(`ingest ${this.ref}: ${op} on a closed writer`);
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.checkOpen('write');
    let done = 0;
    while (done < chunk.byteLength) {
      const { bytesWritten } = await this.fh.write(chunk, done, chunk.byteLength - done);
      done += bytesWritten;
    }
    this.digester.update(chunk);
    this.size += chunk.byteLength;
  }

  async truncate(size: 0): Promise<void> {
    this.checkOpen('truncate');
    if (size !== 0) throw invalidArgument('ingest writers only truncate to 0', { field: 'size' });
    await this.fh.truncate(0);
    this.digester = new Digester();
    this.size = 0;
  }

  async commit(expected: CommitExpectation = {}, labels?: Labels): Promise<void> {
    this.checkOpen('commit');
    await this.fh.sync();
    const size = this.size;
    for (const want of [expected.sizeBytes, this.expected?.size]) {
      if (want !== undefined && want !== size) {
        throw failedPrecondition(`ingest ${this.ref}: unexpected commit size ${size}, expected ${want}`, { field: 'size' });
      }
    }
    const digest = this.digester.digest();
    for (const want of [expected.digest, this.expected?.digest]) {
      if (want !== undefined && want !== digest) {
        throw failedPrecondition(`ingest ${this.ref}: unexpected commit digest ${digest}, expected ${want}`, { field: 'digest' });
      }
    }
    const dataPath = path.join(this.dir, 'data');
    // The ingest must still be ours: an abort meanwhile removed it.
    const st = await fs.stat(dataPath).catch(() => undefined);
    if (st === undefined || st.size !== size) {
      throw failedPrecondition(`ingest ${this.ref}: was aborted or changed while writing`);
    }
    this.committed = true;
    await this.closeHandle();
    try {
      const linked = await this.store.linkBlob(dataPath, digest);
      await fs.rm(this.dir, { recursive: true, force: true });
      if (!linked) throw new SkiffError('AlreadyExists', `content ${digest}: already exists`);
      await this.store.setLabelsAfterCommit(digest, labels);
    } finally {
      this.release();
    }
  }

  private async closeHandle(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.closeHandle();
    } finally {
      if (!this.committed) this.release();
    }
  }
}
