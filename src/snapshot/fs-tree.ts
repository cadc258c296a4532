// Whole-tree operations on a snapshot directory: disk usage, a faithful copy (owners, modes incl.
// setuid, times, xattrs, hardlinks, symlinks, devices, fifos), and removal.

import { lstat, readdir, mkdir, copyFile, symlink, readlink, link, lchown, chmod, lutimes, rm, constants } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { llistxattr, lgetxattr, lsetxattr, mknod, S_IFCHR, S_IFBLK, S_IFIFO } from '../sys/index.js';
import type { Usage } from './types.js';

/** Allocated bytes and distinct inodes under `dir` (hardlinks counted once), like containerd's DiskUsage. */
export async function diskUsage(dir: string): Promise<Usage> {
  const seen = new Set<string>();
  let size = 0;
  const visit = async (path: string): Promise<void> => {
    const st = await lstat(path);
    const id = `${st.dev}:${st.ino}`;
    if (!seen.has(id)) {
      seen.add(id);
      size += st.blocks * 512;
    }
    if (st.isDirectory()) {
      for (const name of await readdir(path)) await visit(join(path, name));
    }
  };
  await visit(dir);
  return { size, inodes: seen.size };
}

const S_IFMT = 0o170000;

function devMajor(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
function devMinor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
}
export { devMajor, devMinor };

async function copyMeta(src: string, dst: string, st: Stats): Promise<void> {
  await lchown(dst, st.uid, st.gid);
  if (!st.isSymbolicLink()) await chmod(dst, st.mode & 0o7777);
  for (const name of llistxattr(src)) {
    const value = lgetxattr(src, name);
    if (value !== undefined) lsetxattr(dst, name, value);
  }
}

/** Copies the tree under `src` into the existing directory `dst` (whose own metadata is copied too). */
export async function copyTree(src: string, dst: string): Promise<void> {
  const links = new Map<string, string>();
  const dirs: { path: string; st: Stats }[] = [];
  const visit = async (s: string, d: string, isRoot: boolean): Promise<void> => {
    const st = await lstat(s);
    const type = st.mode & S_IFMT;
    if (st.isDirectory()) {
      if (!isRoot) await mkdir(d);
      for (const name of (await readdir(s)).sort()) await visit(join(s, name), join(d, name), false);
      await copyMeta(s, d, st);
      dirs.push({ path: d, st });
      return;
    }
    const id = `${st.dev}:${st.ino}`;
    if (st.nlink > 1) {
      const first = links.get(id);
      if (first !== undefined) {
        await link(first, d);
        return;
      }
      links.set(id, d);
    }
    if (st.isFile()) await copyFile(s, d, constants.COPYFILE_FICLONE);
    else if (st.isSymbolicLink()) await symlink(await readlink(s), d);
    else if (type === S_IFCHR || type === S_IFBLK) mknod(d, type, st.mode & 0o7777, devMajor(st.rdev), devMinor(st.rdev));
    else if (type === S_IFIFO) mknod(d, S_IFIFO, st.mode & 0o7777);
    else return; // sockets are not copied
    await copyMeta(s, d, st);
    await lutimes(d, st.atime, st.mtime);
  };
  await visit(src, dst, true);
  // Directory times last, deepest first: creating entries changed them.
  for (const { path, st } of dirs) await lutimes(path, st.atime, st.mtime);
}

/** Removes a tree, ignoring one that is already gone. */
export async function removeTree(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 2 });
}
