// The container's filesystem seen from the host side: export (the merged tree as a tar), changes
// (docker diff, from the overlay upper dir against the image), archive (docker cp, both ways) and
// commit (the upper dir as a new image layer). Paths inside the container are resolved with
// openat2(RESOLVE_IN_ROOT) against its rootfs, so a symlink in the container cannot lead to the
// host; no code runs inside the container.

import { closeSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { SkiffError } from '../../base/index.js';
import { applyLayer, diffTar, type Mount } from '../../snapshot/index.js';
import { MNT_DETACH, fdPath, mountAll, mountPoints, openDirInRoot, openRootDir, umount } from '../../sys/index.js';
import { findContainer, rootfsDir, type EngineContext } from './context.js';
import type { ContainerRecord } from './types.js';

/** Runs `fn` with the container's merged rootfs mounted (it is while the task exists; else briefly). */
async function withRootfs<T>(ctx: EngineContext, record: ContainerRecord, fn: (rootfs: string) => Promise<T>): Promise<T> {
  const rootfs = rootfsDir(ctx, record.Id);
  if (mountPoints().includes(rootfs)) return fn(rootfs);
  await mkdir(rootfs, { recursive: true, mode: 0o755 });
  await mountAll(await ctx.images.snapshotter.mounts(record.Id), rootfs);
  try {
    return await fn(rootfs);
  } finally {
    umount(rootfs, MNT_DETACH);
  }
}

function upperDirOf(mounts: readonly Mount[]): string {
  const upper = mounts[0]?.options.find((o) => o.startsWith('upperdir='));
  if (upper === undefined) throw new SkiffError('NotImplemented', 'docker diff and commit need the overlay storage driver');
  return upper.slice('upperdir='.length);
}

/** docker export: the merged tree. The stream mounts and unmounts as needed. */
export async function exportContainer(ctx: EngineContext, idOrName: string): Promise<Readable> {
  const { record } = findContainer(ctx, idOrName);
  const out = new PassThrough();
  withRootfs(ctx, record, (rootfs) => pipeline(diffTar(rootfs, { mode: 'copy' }), out)).catch((err: unknown) => out.destroy(err as Error));
  return out;
}

/** docker diff: Kind 0 changed, 1 added, 2 deleted (a whiteout), sorted by path. */
/** What the runtime creates as mount points in the writable layer (docker's init layer): not changes. */
const INIT_LAYER_PATHS = new Set(['/dev', '/proc', '/sys', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/.dockerenv', '/etc/mtab', '/dev/pts', '/dev/shm', '/dev/console', '/dev/mqueue']);

export async function containerChanges(ctx: EngineContext, idOrName: string): Promise<{ Path: string; Kind: number }[]> {
  const { record } = findContainer(ctx, idOrName);
  const upper = upperDirOf(await ctx.images.snapshotter.mounts(record.Id));
  const image = await ctx.images.forContainer(record.Image);
  const viewKey = `changes-${record.Id}-${Date.now()}`;
  const lowerMounts = await ctx.images.snapshotter.view(viewKey, image.snapshotParent === '' ? undefined : image.snapshotParent);
  const lower = join(ctx.paths.containers, record.Id, `lower-${Date.now()}`);
  await mkdir(lower, { recursive: true });
  await mountAll(lowerMounts, lower);
  const out: { Path: string; Kind: number }[] = [];
  try {
    const walk = async (rel: string): Promise<void> => {
      for (const name of (await readdir(join(upper, rel))).sort()) {
        const r = posix.join(rel, name);
        const st = await lstat(join(upper, r));
        if (st.isCharacterDevice() && st.rdev === 0) {
          out.push({ Path: `/${r}`, Kind: 2 });
          continue;
        }
        const existed = await lstat(join(lower, r)).then(() => true, () => false);
        if (INIT_LAYER_PATHS.has(`/${r}`) && !existed) continue;
        out.push({ Path: `/${r}`, Kind: existed ? 0 : 1 });
        if (st.isDirectory()) await walk(r);
      }
    };
    await walk('');
  } finally {
    umount(lower, MNT_DETACH);
    await ctx.images.snapshotter.remove(viewKey).catch(() => {});
    await rm(lower, { recursive: true, force: true });
  }
  return out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}

export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

/** Go's os.FileMode bits from a Linux st_mode, as docker's X-Docker-Container-Path-Stat carries. */
function goFileMode(mode: number): number {
  const perm = mode & 0o777;
  const type = mode & 0o170000;
  let m = perm;
  if (type === 0o040000) m |= 2 ** 31;
  else if (type === 0o120000) m |= 2 ** 27;
  else if (type === 0o020000) m |= 2 ** 26 | 2 ** 21;
  else if (type === 0o060000) m |= 2 ** 26;
  else if (type === 0o010000) m |= 2 ** 25;
  else if (type === 0o140000) m |= 2 ** 24;
  if (mode & 0o4000) m |= 2 ** 23;
  if (mode & 0o2000) m |= 2 ** 22;
  if (mode & 0o1000) m |= 2 ** 20;
  return m >>> 0; // unsigned: Go's FileMode is a uint32 (the directory bit is the top one)
}

/** Resolves `path` inside the rootfs: its parent as an fd path, and its own name. */
function resolveInRoot(rootfs: string, path: string): { parentFd: number; rootFd: number; name: string } {
  if (!path.startsWith('/')) throw new SkiffError('InvalidArgument', `path must be absolute: ${path}`, { field: 'path' });
  const clean = posix.normalize(path);
  const rootFd = openRootDir(rootfs);
  try {
    const parentFd = openDirInRoot(rootFd, dirname(clean));
    return { parentFd, rootFd, name: clean === '/' ? '.' : basename(clean) };
  } catch (err) {
    closeSync(rootFd);
    throw new SkiffError('NotFound', `Could not find the file ${path} in container`, { cause: err });
  }
}

async function statIn(parentFd: number, name: string, path: string): Promise<PathStat & { isDir: boolean }> {
  const st = await lstat(fdPath(parentFd, name)).catch((err: unknown) => {
    throw new SkiffError('NotFound', `Could not find the file ${path} in container`, { cause: err });
  });
  let linkTarget = '';
  if (st.isSymbolicLink()) linkTarget = await readlink(fdPath(parentFd, name));
  return { name: name === '.' ? '/' : name, size: st.size, mode: goFileMode(st.mode), mtime: st.mtime.toISOString(), linkTarget, isDir: st.isDirectory() };
}

/** HEAD /archive. */
export async function statPath(ctx: EngineContext, idOrName: string, path: string): Promise<PathStat> {
  const { record } = findContainer(ctx, idOrName);
  return withRootfs(ctx, record, async (rootfs) => {
    const r = resolveInRoot(rootfs, path);
    try {
      const { isDir: _d, ...stat } = await statIn(r.parentFd, r.name, path);
      void _d;
      return stat;
    } finally {
      closeSync(r.parentFd);
      closeSync(r.rootFd);
    }
  });
}

/** GET /archive: a tar of the path (its last component as the top entry) and the path's stat. */
export async function archivePath(ctx: EngineContext, idOrName: string, path: string): Promise<{ stat: PathStat; stream: Readable }> {
  const { record } = findContainer(ctx, idOrName);
  const out = new PassThrough();
  let resolveStat!: (s: PathStat) => void;
  let rejectStat!: (e: unknown) => void;
  const statReady = new Promise<PathStat>((res, rej) => { resolveStat = res; rejectStat = rej; });
  let statDelivered = false;
  withRootfs(ctx, record, async (rootfs) => {
    const r = resolveInRoot(rootfs, path);
    try {
      const { isDir, ...stat } = await statIn(r.parentFd, r.name, path);
      resolveStat(stat);
      const top = r.name === '.' ? '.' : r.name;
      const pack = tar.pack();
      const writing = pipeline(pack, out);
      const add = (header: Partial<tar.Header> & { name: string }, body?: Buffer): Promise<void> => new Promise((res, rej) => pack.entry(header, body ?? Buffer.alloc(0), (e) => (e ? rej(e) : res())));
      const visit = async (hostPath: string, name: string): Promise<void> => {
        const st = await lstat(hostPath);
        const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
        if (st.isDirectory()) {
          await add({ ...base, type: 'directory' });
          for (const child of (await readdir(hostPath)).sort()) await visit(join(hostPath, child), `${name}/${child}`);
        } else if (st.isSymbolicLink()) {
          await add({ ...base, type: 'symlink', linkname: await readlink(hostPath) });
        } else if (st.isFile()) {
          await add({ ...base, type: 'file', size: st.size }, await readFile(hostPath));
        }
      };
      await visit(fdPath(r.parentFd, r.name), top);
      void isDir;
      pack.finalize();
      await writing;
    } finally {
      closeSync(r.parentFd);
      closeSync(r.rootFd);
    }
  }).catch((err: unknown) => {
    rejectStat(err);
    // With the stat delivered, the caller is reading `out` and handles its error; before that,
    // nobody listens, and an 'error' event would be unhandled.
    if (statDelivered) out.destroy(err as Error);
    else out.destroy();
  });
  const stat = await statReady;
  statDelivered = true;
  return { stat, stream: out };
}

/** PUT /archive: extracts a tar into the directory `path` inside the container. */
export async function extractToPath(ctx: EngineContext, idOrName: string, path: string, archive: Readable): Promise<void> {
  const { record } = findContainer(ctx, idOrName);
  await withRootfs(ctx, record, async (rootfs) => {
    if (!path.startsWith('/')) throw new SkiffError('InvalidArgument', `path must be absolute: ${path}`, { field: 'path' });
    const rootFd = openRootDir(rootfs);
    let dirFd: number;
    try {
      dirFd = openDirInRoot(rootFd, posix.normalize(path));
    } catch (err) {
      closeSync(rootFd);
      throw new SkiffError('NotFound', `Could not find the file ${path} in container`, { cause: err });
    }
    try {
      await applyLayer(fdPath(dirFd), archive, { mode: 'copy', maxSizeBytes: 64 * 1024 ** 3 });
    } finally {
      closeSync(dirFd);
      closeSync(rootFd);
    }
  });
}

/** The container's upper dir as an uncompressed layer tar (docker commit). */
export async function upperLayer(ctx: EngineContext, record: ContainerRecord): Promise<Readable> {
  return diffTar(upperDirOf(await ctx.images.snapshotter.mounts(record.Id)), { mode: 'overlay' });
}
