// Finding an image the way docker does (daemon/images/image.go GetImage): a full id or digest, a
// `name[:tag]` or `name@digest`, else a unique id prefix. Errors use docker's words.

import { SkiffError, isDigest } from '../base/index.js';
import {
  familiarString, formatReference, normalizeReference, parseNormalizedNamed, type ImageReference,
} from '../registry/index.js';
import type { ImageRecord, ImageRepo } from '../store/index.js';

const HEX_PREFIX = /^[a-f0-9]{1,64}$/;

export function noSuchImage(name: string): SkiffError {
  return new SkiffError('NotFound', `No such image: ${name}`);
}

/** The reference as docker names it in "No such image" (`busybox:latest`), or the input if it does not parse. */
export function displayName(input: string): string {
  try {
    return familiarString(normalizeReference(input));
  } catch {
    return input;
  }
}

export interface FoundImage {
  record: ImageRecord;
  /** The reference the user named, normalised, when they named one (for untagging). */
  reference?: ImageReference;
}

export function findImage(repo: ImageRepo, input: string): FoundImage {
  const byId = (id: string): FoundImage => {
    const record = repo.get(id);
    if (record === undefined) throw noSuchImage(input);
    return { record };
  };
  if (input.startsWith('sha256:') && isDigest(input)) {
    const record = repo.get(input);
    if (record !== undefined) return { record };
  }
  if (/^[a-f0-9]{64}$/.test(input)) return byId(`sha256:${input}`);

  let reference: ImageReference | undefined;
  try {
    reference = parseNormalizedNamed(input);
  } catch {
    reference = undefined;
  }
  if (reference !== undefined) {
    if (reference.digest !== undefined) {
      const ids = repo.digestTargets(formatReference({ ...reference, tag: undefined }));
      const id = ids[0] ?? (repo.get(reference.digest) !== undefined ? reference.digest : undefined);
      if (id !== undefined) return { record: repo.get(id)!, reference };
    } else {
      const tagged = { ...reference, tag: reference.tag ?? 'latest' };
      const id = repo.tagTarget(formatReference(tagged));
      if (id !== undefined) return { record: repo.get(id)!, reference: tagged };
    }
  }
  const hex = input.startsWith('sha256:') ? input.slice(7) : input;
  if (HEX_PREFIX.test(hex)) {
    const ids = repo.byIdPrefix(hex);
    if (ids.length > 1) throw new SkiffError('InvalidArgument', `ambiguous image id prefix ${hex}: it matches more than one image`);
    if (ids.length === 1) return { record: repo.get(ids[0]!)! };
  }
  if (reference === undefined) {
    // Neither a reference nor an id: docker answers with the parse error.
    parseNormalizedNamed(input);
  }
  throw noSuchImage(displayName(input));
}

/** The familiar strings of an image's tags and digests: what RepoTags / RepoDigests show. */
export function repoTagsOf(repo: ImageRepo, id: string): string[] {
  return repo.tagsOf(id).map((t) => familiarString(normalizeReference(t.reference)));
}

export function repoDigestsOf(repo: ImageRepo, id: string): string[] {
  return repo.digestsOf(id).map((d) => familiarString(parseNormalizedNamed(d)));
}

