// mount(2) and umount2(2) through koffi, and the step from a Mount's option strings to flags + data.
// Deep overlay stacks: when the data string would not fit in a page, the lowerdirs are made relative
// to their common directory and the mount runs in a worker thread that unshare(CLONE_FS)s and chdirs
// there (containerd's mountAt), so the daemon's own cwd never changes.

import { readFileSync } from 'node:fs';
import { isMainThread, parentPort, workerData, Worker } from 'node:worker_threads';
import { libc, check, lastErrno } from './libc.js';
import { SysError } from './sys-error.js';

const mountFn = libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)');
const umount2Fn = libc.func('int umount2(const char *target, int flags)');
const unshareFn = libc.func('int unshare(int flags)');
const chdirFn = libc.func('int chdir(const char *path)');

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_RELATIME = 0x200000;
export const MS_STRICTATIME = 0x1000000;
export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const UMOUNT_NOFOLLOW = 8;

const CLONE_FS = 0x200;
const EINVAL = 22;
const PAGE_SIZE = 4096;

/** What a snapshotter returns: the caller mounts it (containerd's mount.Mount). */
export interface MountSpec {
  type: string;
  source: string;
  options: string[];
}

const FLAG_OPTIONS: Record<string, { set: boolean; flag: number }> = {
  ro: { set: true, flag: MS_RDONLY }, rw: { set: false, flag: MS_RDONLY },
  nosuid: { set: true, flag: MS_NOSUID }, suid: { set: false, flag: MS_NOSUID },
  nodev: { set: true, flag: MS_NODEV }, dev: { set: false, flag: MS_NODEV },
  noexec: { set: true, flag: MS_NOEXEC }, exec: { set: false, flag: MS_NOEXEC },
  sync: { set: true, flag: MS_SYNCHRONOUS }, async: { set: false, flag: MS_SYNCHRONOUS },
  dirsync: { set: true, flag: MS_DIRSYNC }, remount: { set: true, flag: MS_REMOUNT },
  mand: { set: true, flag: MS_MANDLOCK }, nomand: { set: false, flag: MS_MANDLOCK },
  atime: { set: false, flag: MS_NOATIME }, noatime: { set: true, flag: MS_NOATIME },
  diratime: { set: false, flag: MS_NODIRATIME }, nodiratime: { set: true, flag: MS_NODIRATIME },
  bind: { set: true, flag: MS_BIND }, rbind: { set: true, flag: MS_BIND | MS_REC },
  relatime: { set: true, flag: MS_RELATIME }, norelatime: { set: false, flag: MS_RELATIME },
  strictatime: { set: true, flag: MS_STRICTATIME }, nostrictatime: { set: false, flag: MS_STRICTATIME },
  defaults: { set: false, flag: 0 },
};

const PROPAGATION: Record<string, number> = {
  private: MS_PRIVATE, rprivate: MS_PRIVATE | MS_REC, slave: MS_SLAVE, rslave: MS_SLAVE | MS_REC,
  shared: MS_SHARED, rshared: MS_SHARED | MS_REC,
};

/** Splits option strings into mount flags, a propagation change and the fs-specific data string. */
export function parseMountOptions(options: readonly string[]): { flags: number; propagation: number; data: string } {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const opt of options) {
    const f = FLAG_OPTIONS[opt];
    if (f !== undefined) {
      flags = f.set ? flags | f.flag : flags & ~f.flag;
    } else if (PROPAGATION[opt] !== undefined) {
      propagation |= PROPAGATION[opt];
    } else {
      data.push(opt);
    }
  }
  return { flags, propagation, data: data.join(',') };
}

/**
 * When an overlay data string is longer than a page, rewrites `lowerdir=` entries relative to their
 * common parent directory. Returns undefined when nothing needs (or can be) compacted. Pure.
 */
export function compactLowerdir(data: string): { dir: string; data: string } | undefined {
  if (data.length < PAGE_SIZE) return undefined;
  const opts = data.split(',');
  const idx = opts.findIndex((o) => o.startsWith('lowerdir='));
  if (idx < 0) return undefined;
  const lowers = opts[idx]!.slice('lowerdir='.length).split(':');
  if (lowers.length < 2 || !lowers.every((l) => l.startsWith('/'))) return undefined;
  let common = lowers[0]!.split('/').slice(0, -1);
  for (const l of lowers.slice(1)) {
    const parts = l.split('/');
    let n = 0;
    while (n < common.length && n < parts.length - 1 && common[n] === parts[n]) n++;
    common = common.slice(0, n);
  }
  const dir = common.join('/') || '/';
  if (dir === '/') return undefined;
  const out = [...opts];
  out[idx] = `lowerdir=${lowers.map((l) => l.slice(dir.length + 1)).join(':')}`;
  return { dir, data: out.join(',') };
}

/** mount(2); throws SysError naming the target. */
export function mountRaw(source: string, target: string, fstype: string, flags: number, data: string): void {
  check(mountFn(source, target, fstype, flags, data === '' ? null : data) as number, `mount ${fstype}`, target);
}

/** umount2(2). With `ignoreNotMounted`, EINVAL (not a mount point) is not an error. */
export function umount(target: string, flags = 0, ignoreNotMounted = false): void {
  const ret = umount2Fn(target, flags) as number;
  if (ret < 0) {
    const errno = lastErrno();
    if (ignoreNotMounted && errno === EINVAL) return;
    throw new SysError('umount2', errno, target);
  }
}

/** Mounts one MountSpec on `target`: binds (then a read-only remount when asked) or a filesystem. */
export async function mountSpec(m: MountSpec, target: string): Promise<void> {
  const { flags, propagation, data } = parseMountOptions(m.options);
  if ((flags & MS_BIND) !== 0) {
    mountRaw(m.source, target, 'none', flags & ~MS_RDONLY, '');
    if ((flags & MS_RDONLY) !== 0) mountRaw('none', target, 'none', flags | MS_REMOUNT, '');
  } else {
    const compact = m.type === 'overlay' ? compactLowerdir(data) : undefined;
    if (compact === undefined) mountRaw(m.source, target, m.type, flags, data);
    else await mountAt(compact.dir, m.source, target, m.type, flags, compact.data);
  }
  if (propagation !== 0) mountRaw('none', target, 'none', propagation, '');
}

/** Mounts every spec in order on `target` (containerd's mount.All). */
export async function mountAll(mounts: readonly MountSpec[], target: string): Promise<void> {
  for (const m of mounts) await mountSpec(m, target);
}

interface MountAtRequest { skiffMountAt: true; dir: string; source: string; target: string; fstype: string; flags: number; data: string }

/** Runs mount(2) with `dir` as the working directory, in a worker thread with its own fs struct. */
function mountAt(dir: string, source: string, target: string, fstype: string, flags: number, data: string): Promise<void> {
  const req: MountAtRequest = { skiffMountAt: true, dir, source, target, fstype, flags, data };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: req });
    let answered = false;
    worker.once('message', (msg: { ok: boolean; syscall?: string; errno?: number; path?: string }) => {
      answered = true;
      if (msg.ok) resolve();
      else reject(new SysError(msg.syscall ?? 'mount', msg.errno ?? 0, msg.path));
    });
    worker.once('error', (err) => { answered = true; reject(err); });
    worker.once('exit', (code) => { if (!answered) reject(new Error(`mount worker exited with code ${code}`)); });
  });
}

if (!isMainThread && (workerData as Partial<MountAtRequest> | null)?.skiffMountAt === true) {
  const req = workerData as MountAtRequest;
  // The thread's cwd must not be shared with the process: CLONE_FS makes it private to this thread.
  let reply: { ok: boolean; syscall?: string; errno?: number; path?: string } = { ok: true };
  if ((unshareFn(CLONE_FS) as number) < 0) reply = { ok: false, syscall: 'unshare', errno: lastErrno() };
  else if ((chdirFn(req.dir) as number) < 0) reply = { ok: false, syscall: 'chdir', errno: lastErrno(), path: req.dir };
  else if ((mountFn(req.source, req.target, req.fstype, req.flags, req.data) as number) < 0) {
    reply = { ok: false, syscall: `mount ${req.fstype}`, errno: lastErrno(), path: req.target };
  }
  parentPort?.postMessage(reply);
}

/** Mount points listed in /proc/self/mountinfo (octal escapes decoded), in mount order. */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}
