// Applies a layer (tar, gzip or zstd) to a directory, as the OCI image spec's "applying changesets":
// regular files, dirs, symlinks (targets kept verbatim, never followed), hardlinks, devices, fifos,
// modes incl. setuid/sticky, owners, mtimes, PAX SCHILY.xattr.*; whiteouts either as overlay's own
// form (char 0/0, trusted.overlay.opaque=y) or as removals of the lower entries.
//
// Safety: every entry's parent is opened with openat2(RESOLVE_IN_ROOT) (sys/path-in-root.ts), so
// "..", absolute paths and symlinks — including ones this very layer planted — resolve inside the
// target; the final component is never followed (O_NOFOLLOW, l* calls, unlink before create, so a
// planted hardlink is never written through). Paths are bounded, names that climb out are refused,
// and an optional limit bounds the uncompressed size. The diffID (sha256 of the uncompressed tar) is
// computed while applying.

import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { lstat, mkdir, open, rm, symlink, link, unlink, lchown, chmod, lutimes, readdir, constants } from 'node:fs/promises';
import { closeSync } from 'node:fs';
import * as tar from 'tar-stream';
import { SkiffError, invalidArgument } from '../base/index.js';
import { compressionOf, createDecompressor } from '../content/index.js';
import {
  openRootDir, openDirInRoot, mkdirAllInRoot, fdPath, lsetxattr, mknod, S_IFCHR, S_IFBLK, S_IFIFO,
} from '../sys/index.js';
import type { WhiteoutMode } from './types.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
export const MAX_PATH_BYTES = 4096;
export const MAX_NAME_BYTES = 255;
/** PAX records of one entry beyond this are refused (tar-stream itself stops at 4 MiB). */
export const MAX_PAX_BYTES = 1 << 20;

export interface ApplyLayerOptions {
  mode: WhiteoutMode;
  /** The layer's media type, named in errors (zstd support, unknown compression). */
  mediaType?: string;
  /** Bound on the uncompressed tar size: a decompression bomb fails with ResourceExhausted. */
  maxSizeBytes?: number;
  /** Bound on the number of entries. */
  maxEntries?: number;
  signal?: AbortSignal;
}

export interface ApplyLayerResult {
  /** sha256 of the uncompressed tar stream, `sha256:<hex>`. */
  diffId: string;
  /** Uncompressed size in bytes. */
  size: number;
  entries: number;
  /** Xattrs not applied: overlay's own namespace or values that are not valid UTF-8 in the PAX record. */
  skippedXattrs: string[];
}


/** Cleans an entry name into a path relative to the target ('' = the target itself); refuses escapes. */
export function cleanEntryPath(raw: string, what = 'layer entry'): string {
  if (raw.includes('\0')) throw invalidArgument(`${what} ${JSON.stringify(raw)}: name contains a NUL byte`);
  if (Buffer.byteLength(raw) > MAX_PATH_BYTES) {
    throw invalidArgument(`${what} ${raw.slice(0, 64)}…: path longer than ${MAX_PATH_BYTES} bytes`);
  }
  const stack: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (stack.length === 0) throw invalidArgument(`${what} ${raw}: path escapes the target through ".."`);
      stack.pop();
      continue;
    }
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) {
      throw invalidArgument(`${what} ${raw.slice(0, 64)}…: name longer than ${MAX_NAME_BYTES} bytes`);
    }
    stack.push(part);
  }
  return stack.join('/');
}

function splitPath(rel: string): { parent: string; base: string } {
  const i = rel.lastIndexOf('/');
  return i < 0 ? { parent: '', base: rel } : { parent: rel.slice(0, i), base: rel.slice(i + 1) };
}

const LAYER_ERRNO: Record<string, SkiffError['code']> = {
  ENOTDIR: 'InvalidArgument', ELOOP: 'InvalidArgument', EEXIST: 'InvalidArgument', ENOENT: 'InvalidArgument',
  EISDIR: 'InvalidArgument', EINVAL: 'InvalidArgument', ENAMETOOLONG: 'InvalidArgument', EXDEV: 'InvalidArgument',
  ENOSPC: 'ResourceExhausted', EDQUOT: 'ResourceExhausted',
};
const ERRNO_NAME: Record<number, string> = {
  2: 'ENOENT', 17: 'EEXIST', 18: 'EXDEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 28: 'ENOSPC', 36: 'ENAMETOOLONG',
  40: 'ELOOP', 122: 'EDQUOT',
};

/** Gives a failure inside one entry its meaning for a layer: the entry's name and a code. */
function entryError(name: string, err: unknown): SkiffError {
  if (err instanceof SkiffError && err.name === 'SkiffError') return err;
  const e = err as { code?: unknown; errno?: unknown; message?: unknown };
  const errName = typeof e.code === 'string' && e.code.startsWith('E') ? e.code : typeof e.errno === 'number' ? ERRNO_NAME[e.errno] : undefined;
  const code = (errName !== undefined ? LAYER_ERRNO[errName] : undefined) ?? 'Internal';
  const msg = String(e.message ?? err).replace(/\/proc\/self\/fd\/\d+\/?/g, '');
  return new SkiffError(code, `layer entry ${name}: ${msg}`, { cause: err, path: name });
}

class Applier {
  private readonly rootFd: number;
  /** Paths (and their ancestors) written by this layer: whiteouts do not apply to them. */
  private readonly touched = new Set<string>(['']);
  private readonly dirTimes: { rel: string; mtime: Date }[] = [];
  readonly skippedXattrs: string[] = [];

  constructor(readonly root: string, readonly mode: WhiteoutMode) {
    this.rootFd = openRootDir(root);
  }

  close(): void {
    closeSync(this.rootFd);
  }

  private touch(rel: string): void {
    let p = rel;
    while (p !== '' && !this.touched.has(p)) {
      this.touched.add(p);
      p = splitPath(p).parent;
    }
  }

  /** Runs `fn` with an O_PATH fd of directory `rel` (created if `create`), closing it after. */
  private async inDir<T>(rel: string, create: boolean, fn: (fd: number) => Promise<T>): Promise<T> {
    const fd = create ? mkdirAllInRoot(this.rootFd, rel) : openDirInRoot(this.rootFd, rel);
    try {
      return await fn(fd);
    } finally {
      closeSync(fd);
    }
  }

  async entry(header: tar.Header, stream: AsyncIterable<Uint8Array>): Promise<void> {
    const rel = cleanEntryPath(header.name);
    const { parent, base } = splitPath(rel);
    if (base === OPAQUE_MARKER) return this.opaque(header.name, parent);
    if (base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(header.name, parent, base.slice(WHITEOUT_PREFIX.length), header.mtime);
    if (header.pax !== undefined && header.pax !== null) {
      const paxBytes = Object.entries(header.pax as Record<string, string>).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
      if (paxBytes > MAX_PAX_BYTES) throw invalidArgument(`layer entry ${header.name}: PAX records larger than ${MAX_PAX_BYTES} bytes`);
    }
    if (rel === '') {
      if (header.type !== 'directory') throw invalidArgument(`layer entry ${header.name}: a ${header.type ?? 'unknown'} entry cannot replace the target root`);
      await this.inDir('', false, async (fd) => this.setMeta(header.name, fdPath(fd, '.'), header, false));
      this.dirTimes.push({ rel: '', mtime: header.mtime ?? new Date(0) });
      return;
    }
    this.touch(rel);
    await this.inDir(parent, true, async (dirFd) => {
      const path = fdPath(dirFd, base);
      const existing = await lstat(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      switch (header.type) {
        case 'directory': {
          if (existing !== undefined && !existing.isDirectory()) await unlink(path);
          if (existing === undefined || !existing.isDirectory()) await mkdir(path, 0o700);
          await this.setMeta(header.name, `${path}/.`, header, false);
          this.dirTimes.push({ rel, mtime: header.mtime ?? new Date(0) });
          return;
        }
        case 'file':
        case 'contiguous-file': {
          await this.clear(path, existing);
          const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
          try {
            for await (const chunk of stream) await fh.write(chunk as Buffer);
          } finally {
            await fh.close();
          }
          await this.setMeta(header.name, path, header, true);
          return;
        }
        case 'symlink': {
          const target = header.linkname ?? '';
          if (target === '' || target.includes('\0') || Buffer.byteLength(target) > MAX_PATH_BYTES) {
            throw invalidArgument(`layer entry ${header.name}: invalid symlink target`);
          }
          await this.clear(path, existing);
          await symlink(target, path);
          await this.setMeta(header.name, path, header, true, true);
          return;
        }
        case 'link': {
          const targetRel = cleanEntryPath(header.linkname ?? '', `hardlink target of ${header.name}:`);
          if (targetRel === '') throw invalidArgument(`layer entry ${header.name}: hardlink to the target root`);
          if (targetRel === rel) return;
          const t = splitPath(targetRel);
          await this.inDir(t.parent, false, async (tFd) => {
            const tPath = fdPath(tFd, t.base);
            const st = await lstat(tPath).catch(() => undefined);
            if (st === undefined) {
              throw invalidArgument(`layer entry ${header.name}: hardlink target ${header.linkname} does not exist (it must be an earlier entry of the layer)`);
            }
            if (st.isDirectory()) throw invalidArgument(`layer entry ${header.name}: hardlink target ${header.linkname} is a directory`);
            await this.clear(path, existing);
            await link(tPath, path);
          }).catch((err: unknown) => {
            if ((err as { errno?: number }).errno === 2 || (err as { errno?: number }).errno === 20) {
              throw invalidArgument(`layer entry ${header.name}: hardlink target ${header.linkname} does not exist (it must be an earlier entry of the layer)`);
            }
            throw err;
          });
          return;
        }
        case 'character-device':
        case 'block-device':
        case 'fifo': {
          await this.clear(path, existing);
          const type = header.type === 'fifo' ? S_IFIFO : header.type === 'block-device' ? S_IFBLK : S_IFCHR;
          mknod(path, type, 0o600, header.devmajor ?? 0, header.devminor ?? 0);
          await this.setMeta(header.name, path, header, true);
          return;
        }
        default:
          throw invalidArgument(`layer entry ${header.name}: unsupported entry type ${header.type ?? 'unknown'}`);
      }
    });
  }

  /** Makes room for a non-directory entry: a later entry replaces an earlier one of the same name. */
  private async clear(path: string, existing: Awaited<ReturnType<typeof lstat>> | undefined): Promise<void> {
    if (existing === undefined) return;
    if (existing.isDirectory()) await rm(path, { recursive: true, force: true });
    else await unlink(path);
  }

  private async setMeta(name: string, path: string, h: tar.Header, setTimes: boolean, isSymlink = false): Promise<void> {
    await lchown(path, h.uid ?? 0, h.gid ?? 0);
    if (!isSymlink) await chmod(path, (h.mode ?? 0o644) & 0o7777); // after chown, which clears setuid
    for (const [key, value] of Object.entries((h.pax ?? {}) as Record<string, string>)) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const attr = key.slice('SCHILY.xattr.'.length);
      if (attr === '' || attr.startsWith('trusted.overlay.') || String(value).includes('\uFFFD')) {
        this.skippedXattrs.push(`${name}: ${attr}`);
        continue;
      }
      lsetxattr(path, attr, String(value));
    }
    if (setTimes) await lutimes(path, h.mtime ?? new Date(0), h.mtime ?? new Date(0));
  }

  private async opaque(name: string, parent: string): Promise<void> {
    this.touch(parent);
    await this.inDir(parent, true, async (fd) => {
      if (this.mode === 'overlay') {
        lsetxattr(fdPath(fd, '.'), OVERLAY_OPAQUE_XATTR, 'y');
        return;
      }
      for (const child of await readdir(fdPath(fd))) {
        const childRel = parent === '' ? child : `${parent}/${child}`;
        if (!this.touched.has(childRel)) await rm(fdPath(fd, child), { recursive: true, force: true });
      }
    }).catch((err: unknown) => { throw entryError(name, err); });
  }

  private async whiteout(name: string, parent: string, target: string, mtime: Date | undefined): Promise<void> {
    if (target === '' || target === '.' || target === '..' || target.startsWith(WHITEOUT_PREFIX)) {
      throw invalidArgument(`layer entry ${name}: invalid whiteout of ${JSON.stringify(target)}`);
    }
    const rel = parent === '' ? target : `${parent}/${target}`;
    if (this.touched.has(rel)) return; // a whiteout never hides an entry of its own layer
    if (this.mode === 'overlay') {
      this.touch(parent);
      await this.inDir(parent, true, async (fd) => {
        const path = fdPath(fd, target);
        const existing = await lstat(path).catch(() => undefined);
        await this.clear(path, existing);
        mknod(path, S_IFCHR, 0, 0, 0);
        // the `.wh.` entry's time, as the device had it: a diff applied again is the same tree
        if (mtime !== undefined) await lutimes(path, mtime, mtime);
      });
      return;
    }
    try {
      await this.inDir(parent, false, async (fd) => rm(fdPath(fd, target), { recursive: true, force: true }));
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      if (errno !== 2 && errno !== 20) throw err; // nothing below to hide
    }
  }

  /** Directory mtimes last, deepest first: adding entries changed them. */
  async finish(): Promise<void> {
    const dirs = [...this.dirTimes].sort((a, b) => b.rel.split('/').length - a.rel.split('/').length);
    for (const d of dirs) {
      await this.inDir(d.rel, false, async (fd) => lutimes(fdPath(fd, '.'), d.mtime, d.mtime)).catch(() => {});
    }
  }
}

/** A layer's bytes: a Readable, any async iterable of chunks, or an array of buffers. */
export type LayerSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

function asyncIteratorOf(src: LayerSource): AsyncIterator<Uint8Array> {
  if (Symbol.asyncIterator in src) return src[Symbol.asyncIterator]();
  return (async function* () {
    yield* src;
  })();
}

async function* decompress(src: LayerSource, mediaType: string | undefined): AsyncGenerator<Buffer> {
  const it = asyncIteratorOf(src);
  let head = Buffer.alloc(0);
  let done = false;
  while (head.length < 4 && !done) {
    const r = await it.next();
    if (r.done === true) done = true;
    else head = Buffer.concat([head, Buffer.from(r.value)]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    while (!done) {
      const r = await it.next();
      if (r.done === true) return;
      yield Buffer.from(r.value);
    }
  }
  const compression = compressionOf(head);
  if (compression === 'none') {
    yield* rest();
    return;
  }
  const decoder = createDecompressor(compression);
  const input = Readable.from(rest());
  const piping = pipeline(input, decoder).catch((err: unknown) => err);
  try {
    for await (const chunk of decoder) yield chunk as Buffer;
  } catch (err) {
    throw new SkiffError('DataLoss', `layer${mediaType === undefined ? '' : ` (${mediaType})`}: corrupt or truncated ${compression} stream: ${(err as Error).message}`, { cause: err });
  } finally {
    input.destroy();
    await piping;
  }
}

/** Counts and hashes the uncompressed stream and enforces the size bound. */
class Tap extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  constructor(private readonly limit: number | undefined) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.limit !== undefined && this.size > this.limit) {
      cb(new SkiffError('ResourceExhausted', `layer is larger than the limit of ${this.limit} bytes uncompressed`));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

/**
 * Applies the layer `stream` (tar, tar+gzip or tar+zstd, detected by magic) to directory `dir`.
 * On error the directory is left partially written: the caller (unpackLayer) throws the snapshot away.
 */
export async function applyLayer(dir: string, stream: LayerSource, opts: ApplyLayerOptions): Promise<ApplyLayerResult> {
  const applier = new Applier(dir, opts.mode);
  const tap = new Tap(opts.maxSizeBytes);
  const extract = tar.extract();
  let entries = 0;
  // Settled at once into a value, so a feed error is never an unhandled rejection while entries run.
  const feeding = pipeline(Readable.from(decompress(stream, opts.mediaType)), tap, extract).then(
    () => ({ ok: true as const }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  let failure: unknown;
  try {
    for await (const entry of extract) {
      const header = entry.header;
      try {
        opts.signal?.throwIfAborted();
        entries++;
        if (opts.maxEntries !== undefined && entries > opts.maxEntries) {
          throw new SkiffError('ResourceExhausted', `layer has more than ${opts.maxEntries} entries`);
        }
        await applier.entry(header, entry as unknown as AsyncIterable<Uint8Array>);
      } catch (err) {
        throw entryError(header.name, err);
      }
      entry.resume();
    }
    await applier.finish();
  } catch (err) {
    failure = err;
    extract.destroy();
  } finally {
    applier.close();
  }
  const fed = await feeding;
  if (!fed.ok) failure ??= fed.err;
  if (failure !== undefined) {
    if (failure instanceof SkiffError) throw failure;
    const msg = (failure as Error).message ?? String(failure);
    throw new SkiffError('InvalidArgument', `layer${opts.mediaType === undefined ? '' : ` (${opts.mediaType})`}: invalid tar stream: ${msg}`, { cause: failure });
  }
  return { diffId: `sha256:${tap.hash.digest('hex')}`, size: tap.size, entries, skippedXattrs: applier.skippedXattrs };
}
