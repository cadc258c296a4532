// Reads and writes of cgroupfs files. A write the kernel refuses becomes a SkiffError that names the
// config field and the file (`linux.resources.memory.limit: cgroup v1 memory.limit_in_bytes: …`).

import { open, readFile, readdir, rmdir, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { SkiffError, describeErrno, type ErrorCode } from '../../base/index.js';
import type { WriteTrace } from './types.js';

export type CgroupVersion = 'v1' | 'v2';

export function errnoOf(err: unknown): number | undefined {
  const n = (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? Math.abs(n) : undefined;
}

export function isNodeCode(err: unknown, code: string): boolean {
  return (err as { code?: unknown } | null)?.code === code;
}

/** The kernel's verdict on a value: EINVAL/ERANGE/EBUSY mean the value is wrong, ENOENT that the
 * kernel lacks the file. Anything else is the engine's problem. */
function codeForWrite(errno: number | undefined): ErrorCode {
  if (errno === 22 || errno === 34 || errno === 16 || errno === 28) return 'InvalidArgument';
  if (errno === 2) return 'NotImplemented';
  return 'Internal';
}

export class CgroupFs {
  constructor(
    readonly version: CgroupVersion,
    private readonly trace?: WriteTrace,
  ) {}

  /** Writes `value` to `dir/file` (O_WRONLY|O_TRUNC, never O_CREAT: a missing file is an error). */
  async write(dir: string, file: string, value: string, field: string): Promise<void> {
    const path = join(dir, file);
    this.trace?.(path, value);
    let fh;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          fh = await open(path, constants.O_WRONLY | constants.O_TRUNC);
          await fh.write(value);
          break;
        } catch (err) {
          // ENODEV: a same-named cgroup just removed is still being torn down (see read)
          if (!isNodeCode(err, 'ENODEV') || attempt >= 20) throw err;
          await fh?.close();
          fh = undefined;
          await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
        }
      }
    } catch (err) {
      const errno = errnoOf(err);
      const text = errno === undefined ? String(err) : describeErrno(errno);
      throw new SkiffError(codeForWrite(errno), `${field}: cgroup ${this.version} ${file}: ${text}`, {
        cause: err,
        field,
        path,
      });
    } finally {
      await fh?.close();
    }
  }

  /**
   * Reads a control file. ENODEV means the kernel is still tearing down a cgroup of the same path
   * that was just removed (v1 css offlining is asynchronous): retried briefly.
   */
  async read(dir: string, file: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await readFile(join(dir, file), 'utf8');
      } catch (err) {
        if (!isNodeCode(err, 'ENODEV') || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
      }
    }
  }

  /** The file's content, or undefined when it does not exist. */
  async readOptional(dir: string, file: string): Promise<string | undefined> {
    try {
      return await this.read(dir, file);
    } catch (err) {
      if (isNodeCode(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async exists(dir: string, file: string): Promise<boolean> {
    try {
      await access(join(dir, file));
      return true;
    } catch {
      return false;
    }
  }
}

/** A number or `max`; `max` and the v1 "unlimited" page-rounded INT64_MAX become null. */
export function parseLimit(text: string): number | null {
  const s = text.trim();
  if (s === 'max' || s === '') return null;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${s}`);
  return n >= 2 ** 62 ? null : n;
}

export function parseUint(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : 0;
}

/** `key value` lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
export function parseFlatKeyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (text === undefined) return out;
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key === undefined || key === '' || value === undefined) continue;
    const n = Number(value);
    if (Number.isFinite(n)) out[key] = n;
  }
  return out;
}

export async function readPidsFile(path: string): Promise<number[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isNodeCode(err, 'ENOENT')) return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Number(l.trim()));
}

/** Pids of `dir` and every sub-cgroup (a container may create its own with a cgroup namespace). */
export async function readPidsRecursive(dir: string): Promise<number[]> {
  const pids = await readPidsFile(join(dir, 'cgroup.procs'));
  for (const sub of await subdirs(dir)) pids.push(...(await readPidsRecursive(join(dir, sub))));
  return pids;
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if (isNodeCode(err, 'ENOENT')) return [];
    throw err;
  }
}

/** Delay before the next rmdir attempt while the kernel still counts exiting tasks (runc retries too). */
const RMDIR_BACKOFF_MS = [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000];

/** rmdir `dir` and its sub-cgroups bottom-up; EBUSY (tasks still exiting) is retried a bounded time. */
export async function removeCgroupDir(dir: string): Promise<void> {
  for (const sub of await subdirs(dir)) await removeCgroupDir(join(dir, sub));
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      if (isNodeCode(err, 'ENOENT')) return;
      const delay = RMDIR_BACKOFF_MS[attempt];
      if (!isNodeCode(err, 'EBUSY') || delay === undefined) {
        throw new SkiffError('Internal', `remove cgroup ${dir}: ${describeErrno(errnoOf(err) ?? 0)}`, {
          cause: err,
          path: dir,
        });
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
