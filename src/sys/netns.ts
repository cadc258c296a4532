// Pinned network namespaces, as `ip netns add` makes them: a fresh namespace kept alive by a bind
// mount of its nsfs file on an empty file. The namespace is created by a worker thread that
// unshare(CLONE_NEWNET)s itself (namespaces are per thread), so the daemon's own threads never
// change namespace and no process is spawned.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { isMainThread, parentPort, workerData, Worker } from 'node:worker_threads';
import { libc, lastErrno } from './libc.js';
import { SysError } from './sys-error.js';

const unshareFn = libc.func('int unshare(int flags)');
const mountFn = libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)');
const umount2Fn = libc.func('int umount2(const char *target, int flags)');

const CLONE_NEWNET = 0x40000000;
const MS_BIND = 0x1000;
const MNT_DETACH = 2;
const EINVAL = 22;
const ENOENT = 2;

interface PinRequest { skiffPinNetns: true; path: string }
type PinReply = { ok: true } | { ok: false; syscall: string; errno: number };

/** Creates a new network namespace pinned at `path` (which must not exist yet). */
export function createPinnedNetns(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'wx', 0o444)); // the mount point; fails if the name is taken
  return new Promise((resolve, reject) => {
    const req: PinRequest = { skiffPinNetns: true, path };
    const worker = new Worker(new URL(import.meta.url), { workerData: req });
    let answered = false;
    const fail = (err: Error): void => {
      rmSync(path, { force: true });
      reject(err);
    };
    worker.once('message', (msg: PinReply) => {
      answered = true;
      if (msg.ok) resolve();
      else fail(new SysError(msg.syscall, msg.errno, path));
    });
    worker.once('error', (err) => {
      answered = true;
      fail(err);
    });
    worker.once('exit', (code) => {
      if (!answered) fail(new Error(`netns worker exited with code ${code}`));
    });
  });
}

/** Unpins and removes a namespace made by createPinnedNetns; a missing one is not an error. */
export function removePinnedNetns(path: string): void {
  if ((umount2Fn(path, MNT_DETACH) as number) < 0) {
    const errno = lastErrno();
    // EINVAL: not a mount point (a half-made pin); ENOENT: already gone
    if (errno !== EINVAL && errno !== ENOENT) throw new SysError('umount2', errno, path);
  }
  rmSync(path, { force: true });
}

/** Whether `path` is a pinned namespace (a mount of nsfs). */
export function isPinnedNetns(path: string): boolean {
  // nsfs files show as "nsfs" in mountinfo; a plain file is not a mount
  return existsSync(path) && readMountinfo().some((m) => m.target === path && m.fstype === 'nsfs');
}

function readMountinfo(): { target: string; fstype: string }[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  return text.split('\n').filter((l) => l !== '').map((line) => {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    return { target: unescape(fields[4] ?? ''), fstype: fields[sep + 1] ?? '' };
  });
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

if (!isMainThread && (workerData as Partial<PinRequest> | null)?.skiffPinNetns === true) {
  const req = workerData as PinRequest;
  let reply: PinReply = { ok: true };
  if ((unshareFn(CLONE_NEWNET) as number) < 0) reply = { ok: false, syscall: 'unshare(CLONE_NEWNET)', errno: lastErrno() };
  else if ((mountFn('/proc/thread-self/ns/net', req.path, 'none', MS_BIND, '') as number) < 0) {
    reply = { ok: false, syscall: 'mount', errno: lastErrno() };
  }
  parentPort?.postMessage(reply);
}
