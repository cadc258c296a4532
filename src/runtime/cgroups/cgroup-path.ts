// The container's cgroup path from `linux.cgroupsPath`, with runc's cgroupfs-driver semantics: an
// absolute path is taken from the hierarchy root, a relative one is placed under a parent, and no
// path means `<parent>/<containerId>`. The result is always absolute within the hierarchy.

import { posix } from 'node:path';
import { invalidArgument, validateContainerId } from '../../base/index.js';

export const DEFAULT_CGROUP_PARENT = 'skiff';

export interface CgroupPathOptions {
  cgroupsPath?: string;
  containerId: string;
  /** Parent for relative and absent paths; relative to the hierarchy root. Default `skiff`. */
  parent?: string;
}

const FIELD = 'linux.cgroupsPath';

export function resolveCgroupPath(o: CgroupPathOptions): string {
  const parent = cleanInside(o.parent ?? DEFAULT_CGROUP_PARENT, 'cgroup parent');
  const given = o.cgroupsPath;
  if (given === undefined || given === '') {
    return posix.join(parent, validateContainerId(o.containerId));
  }
  // systemd's `slice:prefix:name`; runc picks its systemd driver for it, skiff has none.
  if (given.includes(':')) {
    throw invalidArgument(
      `${FIELD}: "${given}" is a systemd cgroup path (slice:prefix:name); skiff has no systemd cgroup driver`,
      { field: FIELD, hint: 'use a cgroupfs path such as /skiff/<id>' },
    );
  }
  if (given.includes('\0')) throw invalidArgument(`${FIELD}: contains a NUL byte`, { field: FIELD });
  // A relative path is cleaned as if rooted first (runc's CleanPath), so `..` cannot leave the parent.
  return given.startsWith('/') ? cleanInside(given, FIELD) : posix.join(parent, cleanInside(given, FIELD));
}

/** Normalises to `/a/b` as if rooted (`..` stops at the root); refuses the hierarchy root itself. */
function cleanInside(path: string, what: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  if (parts.length === 0) throw invalidArgument(`${what}: "${path}" is the hierarchy root`, { field: FIELD });
  return '/' + parts.join('/');
}
