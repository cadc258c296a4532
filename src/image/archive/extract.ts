// Safe extraction of an image archive. The member names never reach the filesystem: each regular file
// is written to a fresh numbered file in the work dir and remembered under its archive name, links are
// only recorded (and resolved later inside the archive's own namespace), everything else is skipped.
// Hostile names (absolute, "..", through a symlink or a file) are refused with the entry named.

import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { SkiffError } from '../../base/index.js';
import { cleanArchiveName, joinInArchive } from './names.js';

export const DEFAULT_MAX_BYTES = 64 * 1024 ** 3;
const MAX_ENTRIES = 1_000_000;
const MAX_LINK_HOPS = 40;

export type Member =
  | { kind: 'file'; path: string; size: number }
  | { kind: 'dir' }
  | { kind: 'symlink'; target: string }
  | { kind: 'hardlink'; target: string };

/** The archive as extracted: member name → what it is. */
export class ArchiveTree {
  readonly members = new Map<string, Member>();

  /**
   * Follows `name` to a regular file inside the archive, through symlinks (relative to the link's
   * directory) and hardlinks (relative to the archive root), component by component. `what` names
   * the reference in errors, e.g. `manifest.json[0].Layers[2]`.
   */
  resolve(name: string, what: string): { name: string; path: string; size: number } {
    let rest = cleanArchiveName(name, `${what}: ${name}`).split('/');
    let done: string[] = [];
    let hops = 0;
    while (rest.length > 0) {
      const cur = [...done, rest[0]!].join('/');
      const m = this.members.get(cur);
      if (m === undefined && rest.length > 1 && this.hasChildren(cur)) {
        done.push(rest.shift()!);
        continue;
      }
      if (m === undefined) throw new SkiffError('InvalidArgument', `${what}: ${name}: no such file in the archive`, { field: what, path: name });
      if (m.kind === 'symlink' || m.kind === 'hardlink') {
        if (++hops > MAX_LINK_HOPS) throw new SkiffError('InvalidArgument', `${what}: ${name}: too many levels of links`, { field: what, path: name });
        const target = m.kind === 'symlink' ? joinInArchive(cur, m.target, `${what}: ${name}`) : cleanArchiveName(m.target, `${what}: ${name}`);
        rest = [...(target === '' ? [] : target.split('/')), ...rest.slice(1)];
        done = [];
        continue;
      }
      if (m.kind === 'dir') {
        done.push(rest.shift()!);
        continue;
      }
      if (rest.length > 1) throw new SkiffError('InvalidArgument', `${what}: ${name}: ${cur} is not a directory`, { field: what, path: name });
      return { name: cur, path: m.path, size: m.size };
    }
    throw new SkiffError('InvalidArgument', `${what}: ${name}: is a directory, not a file`, { field: what, path: name });
  }

  has(name: string): boolean {
    return this.members.get(name)?.kind === 'file';
  }

  private hasChildren(dir: string): boolean {
    const prefix = dir + '/';
    for (const k of this.members.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }
}

const GZIP = [0x1f, 0x8b];

/** Passes the stream through gunzip when it starts with the gzip magic. */
function maybeGunzip(): Transform {
  let decided = false;
  let head = Buffer.alloc(0);
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (decided) {
        if (gunzip === undefined) return cb(null, chunk);
        if (!gunzip.write(chunk)) {
          gunzip.once('drain', () => cb());
          return;
        }
        return cb();
      }
      head = Buffer.concat([head, chunk]);
      if (head.length < 2) return cb();
      decided = true;
      if (head[0] === GZIP[0] && head[1] === GZIP[1]) {
        gunzip = createGunzip();
        gunzip.on('data', (c: Buffer) => t.push(c));
        gunzip.on('error', (err) => t.destroy(new SkiffError('InvalidArgument', `archive: gzip: ${err.message}`, { cause: err })));
        gunzip.write(head);
        return cb();
      }
      cb(null, head);
    },
    flush(cb) {
      if (gunzip === undefined) return cb(null, decided ? undefined : head);
      gunzip.once('end', () => cb());
      gunzip.end();
    },
  });
  return t;
}

/** The member names that lead up to `name` ("a/b/c" → "a", "a/b"). */
function parents(name: string): string[] {
  const parts = name.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** Reads the whole tar (gzip'd or not) from `input`, writing regular files under `workDir`. */
export async function extractArchive(input: Readable, workDir: string, opts: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<ArchiveTree> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const tree = new ArchiveTree();
  const extract = tar.extract();
  let total = 0;
  let count = 0;
  let seq = 0;

  const check = (raw: string, type: string): string | undefined => {
    const what = `archive entry ${JSON.stringify(raw)}`;
    const name = cleanArchiveName(raw, what);
    if (name === '') {
      if (type === 'directory') return undefined;
      throw new SkiffError('InvalidArgument', `${what}: empty name`, { path: raw });
    }
    for (const p of parents(name)) {
      const m = tree.members.get(p);
      if (m === undefined || m.kind === 'dir') continue;
      const through = m.kind === 'file' ? 'a regular file' : m.kind === 'symlink' ? 'a symlink' : 'a hardlink';
      throw new SkiffError('InvalidArgument', `${what}: path passes through ${through} ${JSON.stringify(p)}`, { path: raw });
    }
    const prior = tree.members.get(name);
    if (prior !== undefined && !(prior.kind === 'dir' && type === 'directory')) {
      throw new SkiffError('InvalidArgument', `${what}: duplicate entry`, { path: raw });
    }
    return name;
  };

  const consume = async (): Promise<void> => {
    for await (const e of extract) {
      opts.signal?.throwIfAborted();
      const h = e.header;
      if (++count > MAX_ENTRIES) throw new SkiffError('ResourceExhausted', `archive: more than ${MAX_ENTRIES} entries`);
      const type = h.type ?? 'file';
      const name = type === 'file' || type === 'contiguous-file' || type === 'directory' || type === 'symlink' || type === 'link'
        ? check(h.name, type)
        : undefined;
      if (name !== undefined && (type === 'file' || type === 'contiguous-file')) {
        const size = h.size ?? 0;
        total += size;
        if (total > maxBytes) {
          throw new SkiffError('ResourceExhausted', `archive: more than ${maxBytes} bytes of files (at entry ${JSON.stringify(h.name)})`, { path: h.name });
        }
        const path = join(workDir, `f${seq++}`);
        await pipeline(e, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
        tree.members.set(name, { kind: 'file', path, size });
        continue;
      }
      if (name !== undefined && type === 'directory') tree.members.set(name, { kind: 'dir' });
      else if (name !== undefined && type === 'symlink') tree.members.set(name, { kind: 'symlink', target: h.linkname ?? '' });
      else if (name !== undefined && type === 'link') tree.members.set(name, { kind: 'hardlink', target: h.linkname ?? '' });
      for await (const chunk of e) void chunk; // drain anything else (devices, fifos): never written
    }
  };

  const decoded = maybeGunzip();
  const feed = async (): Promise<void> => {
    const source = input.pipe(decoded);
    input.once('error', (err) => decoded.destroy(err));
    for await (const chunk of source) {
      if (!extract.write(chunk as Buffer)) await new Promise<void>((resolve) => extract.once('drain', resolve));
    }
    extract.end(undefined);
  };
  const feeding = feed();
  feeding.catch(() => {}); // awaited below
  try {
    await Promise.all([consume(), feeding.catch((err: unknown) => {
      if (opts.signal?.aborted === true) throw opts.signal.reason;
      if (err instanceof SkiffError) throw err;
      throw new SkiffError('InvalidArgument', `archive: cannot read the stream: ${(err as Error).message}`, { cause: err });
    })]);
  } catch (err) {
    extract.destroy(err instanceof Error ? err : new Error(String(err)));
    decoded.destroy();
    input.destroy();
    await feeding.catch(() => {});
    if (err instanceof SkiffError || opts.signal?.aborted === true) throw err;
    throw new SkiffError('InvalidArgument', `archive: not a valid tar stream: ${(err as Error).message}`, { cause: err });
  }
  return tree;
}
