// Diff of an overlay upper dir (or any plain tree) into an OCI layer tar: overlay's whiteouts become
// OCI ones (char 0/0 → `.wh.<name>`, trusted.overlay.opaque=y → `<dir>/.wh..wh..opq`), hardlinks are
// link entries after the first path, xattrs are PAX SCHILY.xattr.*. Order is deterministic (bytewise
// sorted names, depth first), so the same tree gives the same diffID.

import { lstat, readdir, readlink } from 'node:fs/promises';
import { createReadStream, type Stats } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { llistxattr, lgetxattr } from '../sys/index.js';
import { OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, WHITEOUT_PREFIX } from './apply-layer.js';
import { devMajor, devMinor } from './fs-tree.js';
import type { WhiteoutMode } from './types.js';

export interface DiffOptions {
  /** 'overlay': read overlay whiteouts from `dir`; 'copy': `dir` is a plain tree of additions. */
  mode: WhiteoutMode;
  /** Clamp every mtime to at most this date (reproducible layers), as SOURCE_DATE_EPOCH does. */
  sourceDateEpoch?: Date;
}

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function xattrPax(path: string): Record<string, string> | undefined {
  const pax: Record<string, string> = {};
  let any = false;
  for (const name of llistxattr(path).sort(compareBytes)) {
    if (name.startsWith('trusted.overlay.')) continue;
    const value = lgetxattr(path, name);
    if (value === undefined) continue;
    pax[`SCHILY.xattr.${name}`] = value.toString('utf8');
    any = true;
  }
  return any ? pax : undefined;
}

/** The tar stream of `dir`'s contents (the directory itself is not an entry). */
export function diffTar(dir: string, opts: DiffOptions): Readable {
  const pack = tar.pack();
  const firstPathOfInode = new Map<string, string>();
  const mtimeOf = (st: Stats): Date =>
    opts.sourceDateEpoch !== undefined && st.mtime > opts.sourceDateEpoch ? opts.sourceDateEpoch : st.mtime;

  const put = (header: tar.Header | (Partial<tar.Header> & { name: string }), body?: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const done = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (body === undefined) pack.entry(header, Buffer.alloc(0), done);
      else {
        const sink = pack.entry(header, done);
        pipeline(createReadStream(body), sink as unknown as NodeJS.WritableStream).catch(reject);
      }
    });

  const base = (st: Stats, name: string): Partial<tar.Header> & { name: string } => {
    const h: Partial<tar.Header> & { name: string } = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: mtimeOf(st) };
    return h;
  };

  const visit = async (path: string, rel: string): Promise<void> => {
    const names = (await readdir(path)).sort(compareBytes);
    for (const name of names) {
      const p = join(path, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = await lstat(p);
      const type = st.mode & S_IFMT;
      if (opts.mode === 'overlay' && type === S_IFCHR && st.rdev === 0) {
        await put({ name: `${rel === '' ? '' : `${rel}/`}${WHITEOUT_PREFIX}${name}`, mode: 0o644, uid: 0, gid: 0, mtime: mtimeOf(st), size: 0, type: 'file' });
        continue;
      }
      const h = base(st, r);
      const pax = xattrPax(p);
      if (pax !== undefined) h.pax = pax;
      if (st.isDirectory()) {
        await put({ ...h, type: 'directory' });
        if (opts.mode === 'overlay' && lgetxattr(p, OVERLAY_OPAQUE_XATTR)?.toString() === 'y') {
          await put({ name: `${r}/${OPAQUE_MARKER}`, mode: 0o644, uid: 0, gid: 0, mtime: mtimeOf(st), size: 0, type: 'file' });
        }
        await visit(p, r);
        continue;
      }
      const inode = `${st.dev}:${st.ino}`;
      if (st.nlink > 1) {
        const first = firstPathOfInode.get(inode);
        if (first !== undefined) {
          await put({ ...h, type: 'link', linkname: first, size: 0 });
          continue;
        }
        firstPathOfInode.set(inode, r);
      }
      if (st.isFile()) await put({ ...h, type: 'file', size: st.size }, p);
      else if (st.isSymbolicLink()) await put({ ...h, type: 'symlink', linkname: await readlink(p), size: 0 });
      else if (type === S_IFCHR || type === S_IFBLK) {
        await put({ ...h, type: type === S_IFCHR ? 'character-device' : 'block-device', devmajor: devMajor(st.rdev), devminor: devMinor(st.rdev), size: 0 });
      } else if (type === S_IFIFO) await put({ ...h, type: 'fifo', size: 0 });
      // sockets are not part of a layer
    }
  };

  visit(dir, '')
    .then(() => pack.finalize())
    .catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}
