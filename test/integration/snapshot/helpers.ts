// Shared by the snapshot integration tests: tree fingerprints, temp dirs removed in t.after.
import { lstat, readdir, readFile, readlink, mkdtemp, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupFor, type Cleanup } from '../../helpers/cleanup.js';
import { llistxattr, lgetxattr } from '../../../src/sys/index.js';

export interface TreeOptions {
  /** Include directory mtimes (they change when entries are added). */
  dirTimes?: boolean;
  /** Include xattrs. */
  xattrs?: boolean;
}

/** One line per entry: path, type, mode, owner, size, mtime, content hash / link target / rdev, xattrs, link group. */
export async function fingerprint(dir: string, opts: TreeOptions = {}): Promise<string[]> {
  const out: string[] = [];
  const inodes = new Map<string, string>();
  const visit = async (path: string, rel: string): Promise<void> => {
    for (const name of (await readdir(path)).sort()) {
      const p = join(path, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = await lstat(p);
      let what = '';
      if (st.isFile()) what = createHash('sha256').update(await readFile(p)).digest('hex').slice(0, 16);
      else if (st.isSymbolicLink()) what = `-> ${await readlink(p)}`;
      else if (st.isCharacterDevice() || st.isBlockDevice()) what = `rdev ${st.rdev}`;
      const mtime = st.isDirectory() && opts.dirTimes !== true ? '' : String(Math.floor(st.mtimeMs / 1000));
      let xattrs = '';
      if (opts.xattrs === true) {
        xattrs = llistxattr(p).sort().map((n) => `${n}=${lgetxattr(p, n)?.toString('hex') ?? ''}`).join(',');
      }
      let group = '';
      if (!st.isDirectory() && st.nlink > 1) {
        const id = `${st.dev}:${st.ino}`;
        group = `link:${inodes.get(id) ?? r}`;
        if (!inodes.has(id)) inodes.set(id, r);
      }
      out.push([r, st.mode.toString(8), `${st.uid}:${st.gid}`, st.isDirectory() ? '' : st.size, mtime, what, xattrs, group].join(' '));
      if (st.isDirectory()) await visit(p, r);
    }
  };
  await visit(dir, '');
  return out;
}

/** A temp dir removed by `cleanup` (which runs newest first, so mounts inside go before it). */
export async function tempDir(cleanup: Cleanup, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanup.add(() => rm(dir, { recursive: true, force: true }), `rm ${dir}`);
  return dir;
}

export { cleanupFor, type Cleanup };
