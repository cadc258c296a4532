// Pinned network namespaces, as `ip netns add` makes them: a fresh namespace kept alive by a bind
// mount of its nsfs file on an empty file. The namespace is created by a worker thread that
// unshare(CLONE_NEWNET)s itself (namespaces are per thread) and brings its loopback up, so the
// daemon's own threads never change namespace and no process is spawned.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { isMainThread, parentPort, workerData, Worker } from 'node:worker_threads';
import { libc, lastErrno } from './libc.js';
import { SysError } from './sys-error.js';

const unshareFn = libc.func('int unshare(int flags)');
const mountFn = libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)');
const umount2Fn = libc.func('int umount2(const char *target, int flags)');
const socketFn = libc.func('int socket(int domain, int type, int protocol)');
const ioctlFn = libc.func('int ioctl(int fd, unsigned long request, void *arg)');
const setnsFn = libc.func('int setns(int fd, int nstype)');
const closeFn = libc.func('int close(int fd)');

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 1;

const CLONE_NEWNET = 0x40000000;
const MS_BIND = 0x1000;
const MNT_DETACH = 2;
const EINVAL = 22;
const ENOENT = 2;

interface PinRequest { id: number; path: string }
type PinReply = { id: number; ok: true } | { id: number; ok: false; syscall: string; errno: number };

/**
 * One long-lived worker thread makes every namespace: a new one per request (unshare again), so a
 * container start pays no thread start-up (~30 ms). It is unref'd: it never keeps the daemon alive.
 */
let pinWorker: Worker | undefined;
let nextRequest = 1;
const pending = new Map<number, (reply: PinReply | Error) => void>();

function worker(): Worker {
  if (pinWorker !== undefined) return pinWorker;
  const w = new Worker(new URL(import.meta.url), { workerData: { skiffPinNetnsWorker: true } });
  w.unref();
  const failAll = (err: Error): void => {
    if (pinWorker === w) pinWorker = undefined;
    for (const done of pending.values()) done(err);
    pending.clear();
  };
  w.on('message', (msg: PinReply) => {
    const done = pending.get(msg.id);
    pending.delete(msg.id);
    done?.(msg);
  });
  w.once('error', failAll);
  w.once('exit', (code) => failAll(new Error(`netns worker exited with code ${code}`)));
  pinWorker = w;
  return w;
}

/**
 * Creates a new network namespace pinned at `path` (which must not exist yet), its loopback up as
 * runc and docker have it (127.0.0.1 and the container's own addresses are routed through lo).
 */
export function createPinnedNetns(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'wx', 0o444)); // the mount point; fails if the name is taken
  return new Promise((resolve, reject) => {
    const id = nextRequest++;
    const w = worker();
    pending.set(id, (reply) => {
      if (pending.size === 0) w.unref();
      if (reply instanceof Error || !reply.ok) {
        rmSync(path, { force: true });
        reject(reply instanceof Error ? reply : new SysError(reply.syscall, reply.errno, path));
      } else {
        resolve();
      }
    });
    w.ref(); // while a request is out
    w.postMessage({ id, path } satisfies PinRequest);
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

/** ioctl(SIOCGIFFLAGS/SIOCSIFFLAGS) on a struct ifreq: name in 16 bytes, then the flags (short). */
function loopbackUp(): { syscall: string; errno: number } | undefined {
  const fd = socketFn(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) return { syscall: 'socket', errno: lastErrno() };
  try {
    const ifr = Buffer.alloc(40);
    ifr.write('lo', 0, 'latin1');
    if ((ioctlFn(fd, SIOCGIFFLAGS, ifr) as number) < 0) return { syscall: 'ioctl(SIOCGIFFLAGS, lo)', errno: lastErrno() };
    ifr.writeInt16LE(ifr.readInt16LE(16) | IFF_UP, 16);
    if ((ioctlFn(fd, SIOCSIFFLAGS, ifr) as number) < 0) return { syscall: 'ioctl(SIOCSIFFLAGS, lo)', errno: lastErrno() };
    return undefined;
  } finally {
    closeFn(fd);
  }
}

if (!isMainThread && (workerData as { skiffPinNetnsWorker?: boolean } | null)?.skiffPinNetnsWorker === true) {
  // the thread goes back to the daemon's namespace after each request: staying in the last one
  // would keep it alive after its pin is removed
  const home = openSync('/proc/thread-self/ns/net', 'r');
  parentPort?.on('message', (req: PinRequest) => {
    let reply: PinReply = { id: req.id, ok: true };
    if ((unshareFn(CLONE_NEWNET) as number) < 0) {
      reply = { id: req.id, ok: false, syscall: 'unshare(CLONE_NEWNET)', errno: lastErrno() };
    } else {
      const failed = loopbackUp();
      if (failed !== undefined) reply = { id: req.id, ok: false, ...failed };
      else if ((mountFn('/proc/thread-self/ns/net', req.path, 'none', MS_BIND, '') as number) < 0) {
        reply = { id: req.id, ok: false, syscall: 'mount', errno: lastErrno() };
      }
      if ((setnsFn(home, CLONE_NEWNET) as number) < 0) {
        // cannot happen for root in its own namespace; if it does, this thread must not serve again
        parentPort?.postMessage({ id: req.id, ok: false, syscall: 'setns(back)', errno: lastErrno() } satisfies PinReply);
        process.exit(1);
      }
    }
    parentPort?.postMessage(reply);
  });
}
