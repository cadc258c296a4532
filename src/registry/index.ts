// registry/: OCI distribution client (STYLE.md §2.2, L3).
export * from './types.js';
// references live in oci/ (pure), shared with client/; re-exported here for the registry's users
export {
  DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN, DOCKER_HUB_REGISTRY, OFFICIAL_REPO_PREFIX, DEFAULT_TAG, NAME_TOTAL_LENGTH_MAX, parseCanonical, parseNormalizedNamed, normalizeReference, parseAnyReference, validateTag, repositoryName, formatReference, familiarName, familiarString, registryHost, referenceObject,
  type ImageReference,
} from '../oci/index.js';
export * from './platform.js';
export * from './auth.js';
export * from './client.js';
export * from './resolver.js';
export * from './pusher.js';
