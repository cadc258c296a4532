// Names inside an archive and image names in the two spellings an archive uses. Pure string code.

import { posix } from 'node:path';
import { SkiffError } from '../../base/index.js';

/**
 * The canonical form of an archive member name ("./a//b/" → "a/b"), or an error when it is absolute
 * or climbs out of the archive. `what` is how the error names it (an entry, a manifest field).
 */
export function cleanArchiveName(name: string, what: string): string {
  if (name.includes('\0')) throw new SkiffError('InvalidArgument', `${what}: name contains a NUL byte`, { path: name });
  if (name.startsWith('/')) throw new SkiffError('InvalidArgument', `${what}: absolute path is not allowed in an archive`, { path: name });
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new SkiffError('InvalidArgument', `${what}: path escapes the archive`, { path: name });
  return parts.join('/');
}

/** Resolves a link target (relative to the link's directory, or absolute = archive root) inside the archive. */
export function joinInArchive(linkName: string, target: string, what: string): string {
  const joined = target.startsWith('/') ? target : `${posix.dirname(linkName)}/${target}`;
  const out: string[] = [];
  for (const p of joined.split('/')) {
    if (p === '' || p === '.') continue;
    if (p !== '..') out.push(p);
    else if (out.pop() === undefined) {
      throw new SkiffError('InvalidArgument', `${what}: link target ${JSON.stringify(target)} escapes the archive`, { path: linkName });
    }
  }
  return out.join('/');
}

export interface SplitRef {
  /** Familiar repository name ("busybox", "localhost:5000/x"). */
  familiarName: string;
  /** Fully qualified repository name ("docker.io/library/busybox"). */
  fullName: string;
  tag: string;
}

/** Splits "busybox:latest" / "localhost:5000/x:1" / "docker.io/library/busybox" (tag defaults to latest). */
export function splitRepoTag(ref: string, field: string): SplitRef {
  const at = ref.indexOf('@');
  if (at >= 0) throw new SkiffError('InvalidArgument', `${field}: ${JSON.stringify(ref)}: a digest reference cannot be a tag`, { field });
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const name = colon > slash ? ref.slice(0, colon) : ref;
  const tag = colon > slash ? ref.slice(colon + 1) : 'latest';
  if (name === '' || tag === '' || !/^[a-z0-9]/.test(name) || /\s/.test(ref)) {
    throw new SkiffError('InvalidArgument', `${field}: invalid reference ${JSON.stringify(ref)}`, { field });
  }
  const first = name.split('/')[0]!;
  const hasDomain = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let fullName: string;
  if (hasDomain) fullName = name;
  else if (name.includes('/')) fullName = `docker.io/${name}`;
  else fullName = `docker.io/library/${name}`;
  return { familiarName: familiarName(fullName), fullName, tag };
}

/** "docker.io/library/busybox" → "busybox", "docker.io/x/y" → "x/y"; others unchanged. */
export function familiarName(fullName: string): string {
  if (fullName.startsWith('docker.io/library/') && !fullName.slice(18).includes('/')) return fullName.slice(18);
  if (fullName.startsWith('docker.io/')) return fullName.slice(10);
  if (fullName.startsWith('index.docker.io/')) return familiarName(`docker.io/${fullName.slice(16)}`);
  return fullName;
}
