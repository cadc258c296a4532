// The per-container state directory of skiff-runtime (`<root>/<id>/`): state.json written atomically,
// and exec.fifo while the container is created but not started. Status is derived, as runc does,
// from whether the init still lives (same pid and start time), the fifo, and the paused flag.

import { readFileSync, existsSync, mkdirSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { notFound, validateContainerId } from '../base/index.js';
import { writeFileAtomicSync } from '../sys/index.js';
import type { ContainerStatus, Spec } from '../oci/index.js';
import type { CgroupLayout } from './cgroups/index.js';

export interface ContainerStateFile {
  id: string;
  bundle: string;
  rootfs: string;
  pid: number;
  /** Start time of the init in clock ticks since boot (/proc/<pid>/stat field 22): guards pid reuse. */
  pidStartTime: string;
  created: string;
  owner: string;
  annotations: Record<string, string>;
  cgroupLayout: CgroupLayout;
  cgroupPath: string;
  paused: boolean;
  config: Spec;
}

export class StateStore {
  constructor(readonly root: string) {}

  dirOf(id: string): string {
    return join(this.root, validateContainerId(id));
  }

  fifoOf(id: string): string {
    return join(this.dirOf(id), 'exec.fifo');
  }

  exists(id: string): boolean {
    return existsSync(join(this.dirOf(id), 'state.json'));
  }

  /** Creates the state directory; fails if the id is taken (EEXIST). */
  createDir(id: string): string {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const dir = this.dirOf(id);
    mkdirSync(dir, { mode: 0o711 });
    return dir;
  }

  load(id: string): ContainerStateFile {
    const path = join(this.dirOf(id), 'state.json');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw notFound('container does not exist');
    }
    return JSON.parse(text) as ContainerStateFile;
  }

  save(state: ContainerStateFile): void {
    writeFileAtomicSync(join(this.dirOf(state.id), 'state.json'), JSON.stringify(state));
  }

  remove(id: string): void {
    rmSync(this.dirOf(id), { recursive: true, force: true });
  }

  list(): string[] {
    try {
      return readdirSync(this.root).filter((name) => existsSync(join(this.root, name, 'state.json')));
    } catch {
      return [];
    }
  }

  status(state: ContainerStateFile): ContainerStatus {
    if (state.pid <= 0) return 'creating';
    if (!isSameProcess(state.pid, state.pidStartTime)) return 'stopped';
    if (existsSync(this.fifoOf(state.id))) return 'created';
    return state.paused ? 'paused' : 'running';
  }
}

/** Start time (field 22) and state (field 3) of /proc/<pid>/stat, or undefined if gone. */
export function readProcStat(pid: number): { startTime: string; state: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name is in parentheses and may hold spaces: split after the last ')'
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '', startTime: rest[19] ?? '' };
}

export function isSameProcess(pid: number, startTime: string): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}
