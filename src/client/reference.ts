// Docker image references as the docker CLI normalises them (distribution/reference): a missing
// domain is docker.io, a single docker.io path component gets `library/`, the familiar form strips
// both again. Pure: no I/O.

import { invalidArgument } from '../base/index.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** The key the docker CLI stores Docker Hub credentials under. */
export const INDEX_SERVER = 'https://index.docker.io/v1/';

export interface ImageReference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

function isDomain(part: string): boolean {
  if (part === 'localhost') return true;
  if (!part.includes('.') && !part.includes(':')) return part !== part.toLowerCase();
  return true;
}

function validDomain(domain: string): boolean {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+)(?::(\d+))?$/.exec(domain);
  if (m === null) return false;
  const host = m[1]!;
  if (host.startsWith('[')) return true;
  return host.split('.').every((c) => DOMAIN_COMPONENT.test(c));
}

/** Parses `NAME[:TAG][@DIGEST]` into its normalised parts (ParseNormalizedNamed). */
export function parseReference(input: string): ImageReference {
  const bad = (): Error => invalidArgument('invalid reference format');
  if (input === '' || input.length > 255 + 200) throw bad();
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad();
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad();
  }
  const slash = rest.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  if (slash >= 0 && isDomain(rest.slice(0, slash))) {
    domain = rest.slice(0, slash);
    path = rest.slice(slash + 1);
    if (!validDomain(domain)) throw bad();
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (path !== path.toLowerCase()) {
    throw invalidArgument(`invalid reference format: repository name (${path}) must be lowercase`);
  }
  if (path === '' || !path.split('/').every((c) => COMPONENT.test(c))) throw bad();
  return { domain, path, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** `docker.io/library/busybox` → `busybox`, `docker.io/me/x` → `me/x`, others unchanged. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return `${ref.domain}/${ref.path}`;
  return ref.path.startsWith('library/') && ref.path.split('/').length === 2 ? ref.path.slice('library/'.length) : ref.path;
}

export function fullName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

function suffix(ref: ImageReference): string {
  return `${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

export function familiarString(ref: ImageReference): string {
  return familiarName(ref) + suffix(ref);
}

export function referenceString(ref: ImageReference): string {
  return fullName(ref) + suffix(ref);
}

/** Adds `latest` when the reference has neither a tag nor a digest (TagNameOnly). */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** The key of a registry in config.json `auths`: Docker Hub's legacy URL, else the host. */
export function registryKey(domain: string): string {
  return domain === DEFAULT_DOMAIN ? INDEX_SERVER : domain;
}

/** Normalises a `docker login SERVER` argument to the config.json key (ConvertToHostname for non-hub). */
export function serverKey(server: string | undefined): string {
  if (server === undefined || server === '') return INDEX_SERVER;
  let s = server;
  if (s.startsWith('http://')) s = s.slice(7);
  else if (s.startsWith('https://')) s = s.slice(8);
  const host = s.split('/')[0] ?? s;
  if (host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io') return INDEX_SERVER;
  return host;
}
