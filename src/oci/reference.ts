// Image references, parsed and normalised as docker does (shared by registry/ and the CLI's client/) (github.com/distribution/reference:
// regexp.go, reference.go, normalize.go): `busybox` → `docker.io/library/busybox:latest`.
// [pure] Errors carry docker's wording ("invalid reference format: repository name (x) must be
// lowercase") so the CLI can print them as docker would.

import { SkiffError, isDigest, type Digest } from '../base/index.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
/** Where Docker Hub's registry API actually lives. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
export const NAME_TOTAL_LENGTH_MAX = 255;

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const REFERENCE_RE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const ANCHORED_TAG_RE = new RegExp(`^${tagPat}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

export interface ImageReference {
  /** Registry domain as written, after normalisation: `docker.io`, `localhost:5000`, `[::1]:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/busybox`. */
  path: string;
  tag?: string;
  digest?: Digest;
}

function refError(message: string, input: string): SkiffError {
  return new SkiffError('InvalidArgument', message, { field: 'reference', hint: `reference: ${JSON.stringify(input)}` });
}

/** distribution/reference Parse: a fully qualified reference, no normalisation. */
export function parseCanonical(s: string): ImageReference {
  const m = REFERENCE_RE.exec(s);
  if (m === null) {
    if (s === '') throw refError('invalid reference format: repository name must have at least one component', s);
    if (REFERENCE_RE.test(s.toLowerCase())) throw refError('invalid reference format: repository name must be lowercase', s);
    throw refError('invalid reference format', s);
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw refError(`invalid reference format: repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`, s);
  }
  const nm = ANCHORED_NAME_RE.exec(name)!;
  const ref: ImageReference = { domain: nm[1] ?? '', path: nm[2]! };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) {
    if (!isDigest(m[3])) throw refError(`invalid reference format: invalid digest ${m[3]}`, s);
    ref.digest = m[3];
  }
  return ref;
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: DEFAULT_DOMAIN, remainder: OFFICIAL_REPO_PREFIX + name };
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === 'localhost') [domain, remainder] = [maybeDomain, maybeRemote];
  else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) [domain, remainder] = [DEFAULT_DOMAIN, maybeRemote];
  else if (/[.:]/.test(maybeDomain)) [domain, remainder] = [maybeDomain, maybeRemote];
  else if (maybeDomain.toLowerCase() !== maybeDomain) [domain, remainder] = [maybeDomain, maybeRemote];
  else [domain, remainder] = [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** distribution/reference ParseNormalizedNamed: `busybox` → docker.io/library/busybox (no tag added). */
export function parseNormalizedNamed(s: string): ImageReference {
  if (IDENTIFIER_RE.test(s)) {
    throw refError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`, s);
  }
  const { domain, remainder } = splitDockerDomain(s);
  const at = remainder.indexOf('@');
  const beforeDigest = at < 0 ? remainder : remainder.slice(0, at);
  const colon = beforeDigest.indexOf(':');
  const remote = colon < 0 ? beforeDigest : beforeDigest.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    throw refError(`invalid reference format: repository name (${remote}) must be lowercase`, s);
  }
  const ref = parseCanonical(`${domain}/${remainder}`);
  if (ref.domain === '') throw refError(`reference ${s} has no name`, s);
  return ref;
}

/** docker pull's normalisation: a name without tag or digest gets `:latest`. */
export function normalizeReference(s: string): ImageReference {
  const ref = parseNormalizedNamed(s);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/** distribution/reference ParseAnyReference: a 64-hex id or a digest gives `{ digest }` only. */
export function parseAnyReference(s: string): ImageReference | { digest: Digest } {
  if (IDENTIFIER_RE.test(s)) return { digest: `sha256:${s}` };
  if (isDigest(s)) return { digest: s };
  return parseNormalizedNamed(s);
}

export function validateTag(tag: string): string {
  if (!ANCHORED_TAG_RE.test(tag)) throw refError(`invalid tag format: ${JSON.stringify(tag)}`, tag);
  return tag;
}

/** `domain/path` (docker's Name()). */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full reference: `docker.io/library/busybox:latest@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** Docker's familiar repository name: `busybox`, `user/app`, `localhost:5000/x`. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  if (ref.path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = ref.path.slice(OFFICIAL_REPO_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return ref.path;
}

/** Docker's familiar string: `busybox:latest`, `busybox@sha256:…`. */
export function familiarString(ref: ImageReference): string {
  return `${familiarName(ref)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** The host that serves the registry API for a reference's domain (Docker Hub's differs from its name). */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === LEGACY_DEFAULT_DOMAIN ? DOCKER_HUB_REGISTRY : domain;
}

/** What the resolver asks the registry for: the digest when there is one, else the tag. */
export function referenceObject(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}
