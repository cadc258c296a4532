// Detach keys (moby/term): the sequence (ctrl-p,ctrl-q unless the client names its own) that a client
// of a tty container types to let go of its stdin and output while the container keeps running. Docker
// watches for it on attach and exec streams with a tty, before the bytes reach the container.

import { SkiffError } from '../../base/index.js';

/** Docker's default: ctrl-p,ctrl-q. */
const DEFAULT_DETACH_KEYS: readonly number[] = [16, 17];

/** A client's `detachKeys` (query or exec config): docker's default when absent or empty. */
export function parseDetachKeys(keys: string | null | undefined): readonly number[] {
  return keys === null || keys === undefined || keys === '' ? DEFAULT_DETACH_KEYS : detachKeyBytes(keys);
}

/** moby/term ToBytes: `ctrl-p,ctrl-q` → bytes; `ctrl-a`…`ctrl-z`, `ctrl-@`, `ctrl-[`…`ctrl-_`, single characters. */
function detachKeyBytes(keys: string): number[] {
  const out: number[] = [];
  for (const key of keys.split(',')) {
    if (key.length === 1) {
      out.push(key.charCodeAt(0));
      continue;
    }
    // exact names, as moby/term's table has them: `ctrl-P` is refused
    const m = /^ctrl-(.)$/.exec(key);
    const c = m === null ? -1 : m[1]!.charCodeAt(0);
    if (c >= 0x61 && c <= 0x7a) out.push(c - 0x60);
    else if (c === 0x40 || (c >= 0x5b && c <= 0x5f)) out.push(c - 0x40);
    else throw new SkiffError('InvalidArgument', `Invalid detach keys (${keys}) provided`, { field: 'detachKeys' });
  }
  return out;
}

/**
 * moby/term's escape proxy over frames: bytes that may start the sequence are held back, a full match
 * detaches (none of it reaches the container), a mismatch releases them.
 */
export function escapeFilter(keys: readonly number[]): (chunk: Buffer) => { forward: Buffer; detach: boolean } {
  let matched = 0;
  return (chunk) => {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === keys[matched]) {
        matched++;
        if (matched === keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      if (matched > 0) {
        out.push(...keys.slice(0, matched));
        matched = b === keys[0] ? 1 : 0;
        if (matched === 1) continue;
      }
      out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  };
}
