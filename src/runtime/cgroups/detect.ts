// Which cgroup layout the host has and where each v1 controller is mounted. mountinfo is the source
// (it also works for fixture roots in unit tests); statfs magic is the fallback when mountinfo says
// nothing about the root.

import { readFile, statfs } from 'node:fs/promises';
import { posix } from 'node:path';
import { SkiffError } from '../../base/index.js';
import type { CgroupLayout, CgroupMounts, V1Mount } from './types.js';

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';
export const DEFAULT_MOUNTINFO = '/proc/self/mountinfo';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const TMPFS_MAGIC = 0x01021994;

export interface CgroupMountEntry {
  fstype: 'cgroup' | 'cgroup2';
  /** Root of the mount inside the hierarchy. */
  root: string;
  mountPoint: string;
  /** Super options (`rw,cpu,cpuacct`, `rw,name=systemd`). */
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The cgroup and cgroup2 entries of a mountinfo text. */
export function parseCgroupMountinfo(text: string): CgroupMountEntry[] {
  const out: CgroupMountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 6 || fields.length < sep + 4) continue;
    const fstype = fields[sep + 1];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    out.push({
      fstype,
      root: unescapeMountinfo(fields[3]!),
      mountPoint: unescapeMountinfo(fields[4]!),
      superOptions: (fields[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

function isUnder(path: string, root: string): boolean {
  const rel = posix.relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel));
}

/** The v1 hierarchies and the cgroup2 mount below `root`, from mountinfo text. */
export function cgroupMountsFromMountinfo(text: string, root = DEFAULT_CGROUP_ROOT): CgroupMounts {
  const base = posix.normalize(root);
  const mounts: CgroupMounts = { v1: new Map() };
  for (const e of parseCgroupMountinfo(text)) {
    if (!isUnder(e.mountPoint, base)) continue;
    if (e.fstype === 'cgroup2') {
      // Prefer the root itself (unified) over a nested mount (hybrid's /unified).
      if (mounts.unified === undefined || e.mountPoint === base) mounts.unified = e.mountPoint;
      continue;
    }
    const controllers = e.superOptions.filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent=')
      && o !== 'clone_children' && o !== 'noprefix' && o !== 'xattr' && o !== 'nsdelegate' && o !== 'cpuset_v2_mode'
      && o !== 'favordynmods');
    const mount: V1Mount = { mountPoint: e.mountPoint, root: e.root, controllers };
    for (const c of controllers) if (!mounts.v1.has(c)) mounts.v1.set(c, mount);
  }
  return mounts;
}

/** The layout the mountinfo entries describe, or undefined when none concern `root`. */
export function layoutFromMounts(mounts: CgroupMounts, root = DEFAULT_CGROUP_ROOT): CgroupLayout | undefined {
  const base = posix.normalize(root);
  if (mounts.unified === base) return 'unified';
  const hasV1Controller = [...mounts.v1.keys()].some((c) => !c.startsWith('name='));
  if (hasV1Controller) return mounts.unified === undefined ? 'legacy' : 'hybrid';
  if (mounts.unified !== undefined) return 'hybrid';
  return undefined;
}

export interface DetectOptions {
  /** mountinfo to read (a fixture in unit tests). */
  mountinfoPath?: string;
}

export async function readCgroupMounts(root = DEFAULT_CGROUP_ROOT, opts: DetectOptions = {}): Promise<CgroupMounts> {
  const text = await readFile(opts.mountinfoPath ?? DEFAULT_MOUNTINFO, 'utf8');
  return cgroupMountsFromMountinfo(text, root);
}

/** unified (cgroup2 at root), hybrid (v1 controllers plus a cgroup2 mount) or legacy (v1 only). */
export async function detectCgroupLayout(root = DEFAULT_CGROUP_ROOT, opts: DetectOptions = {}): Promise<CgroupLayout> {
  let fromMountinfo: CgroupLayout | undefined;
  try {
    fromMountinfo = layoutFromMounts(await readCgroupMounts(root, opts), root);
  } catch (err) {
    if (opts.mountinfoPath !== undefined) throw err;
  }
  if (fromMountinfo !== undefined) return fromMountinfo;
  return detectByStatfs(root);
}

async function detectByStatfs(root: string): Promise<CgroupLayout> {
  let type: number;
  try {
    type = (await statfs(root)).type;
  } catch (err) {
    throw new SkiffError('FailedPrecondition', `cgroup root ${root}: not mounted`, { cause: err, path: root });
  }
  if (type === CGROUP2_SUPER_MAGIC) return 'unified';
  if (type !== TMPFS_MAGIC) {
    throw new SkiffError('FailedPrecondition', `cgroup root ${root}: neither cgroup2 nor a tmpfs of v1 hierarchies`, {
      path: root,
    });
  }
  try {
    if ((await statfs(posix.join(root, 'unified'))).type === CGROUP2_SUPER_MAGIC) return 'hybrid';
  } catch {
    // no unified mount: legacy
  }
  return 'legacy';
}
