// Docker image references as the docker CLI normalises them (distribution/reference): the parser
// is oci/'s, shared with the daemon's registry client; here only the CLI's names for it and the
// config.json keys of registries.

import {
  DEFAULT_DOMAIN, DEFAULT_TAG, familiarName, familiarString, formatReference, parseNormalizedNamed, repositoryName,
  type ImageReference,
} from '../oci/index.js';

export { DEFAULT_DOMAIN, DEFAULT_TAG, familiarName, familiarString, type ImageReference };

/** The key the docker CLI stores Docker Hub credentials under. */
export const INDEX_SERVER = 'https://index.docker.io/v1/';

/** Parses `NAME[:TAG][@DIGEST]` into its normalised parts (ParseNormalizedNamed). */
export const parseReference = parseNormalizedNamed;

/** `docker.io/library/busybox` (docker's Name()). */
export const fullName = repositoryName;

/** `docker.io/library/busybox:latest@sha256:…` (docker's String()). */
export const referenceString = formatReference;

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
