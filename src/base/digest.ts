// Content digests (OCI image-spec "descriptor.md#digests"): `algorithm:encoded`. Skiff stores and
// verifies sha256 only; sha512 is parsed (so a manifest naming one gets a clear error later) but the
// content store refuses it. Pure: node:crypto hashes, nothing here touches files.

import { createHash, type Hash } from 'node:crypto';
import { invalidArgument } from './errors.js';

export type Digest = `${string}:${string}`;

const ALGORITHMS: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};

/** The grammar of image-spec: algorithm ":" encoded, with algorithm components [a-z0-9]+ joined by [+._-]. */
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isDigest(s: string): s is Digest {
  if (!DIGEST_GRAMMAR.test(s)) return false;
  const i = s.indexOf(':');
  const re = ALGORITHMS[s.slice(0, i)];
  return re !== undefined && re.test(s.slice(i + 1));
}

/** Validates `s` as a digest; `field` names where it came from in the error. */
export function parseDigest(s: string, field = 'digest'): Digest {
  if (!DIGEST_GRAMMAR.test(s)) throw invalidArgument(`invalid digest format: ${JSON.stringify(s)}`, { field });
  const i = s.indexOf(':');
  const alg = s.slice(0, i);
  const re = ALGORITHMS[alg];
  if (re === undefined) throw invalidArgument(`unsupported digest algorithm: ${alg}`, { field });
  if (!re.test(s.slice(i + 1))) throw invalidArgument(`invalid checksum digest length or characters: ${s}`, { field });
  return s as Digest;
}

export function digestAlgorithm(d: Digest): string {
  return d.slice(0, d.indexOf(':'));
}

export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** An incremental sha256 over a stream of chunks. */
export class Digester {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
  }

  get size(): number {
    return this.bytes;
  }

  /** The digest so far; the digester keeps accepting data afterwards. */
  digest(): Digest {
    return `sha256:${this.hash.copy().digest('hex')}`;
  }
}
