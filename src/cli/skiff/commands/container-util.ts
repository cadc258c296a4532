// Small helpers shared by the container verbs.

import { isDaemonError, isStreamError } from '../../../client/index.js';

/** docker's text for an error: "Error response from daemon: …" for daemon answers. */
export function describeErrorText(err: unknown): string {
  if (isDaemonError(err)) return `Error response from daemon: ${err.message}`;
  if (isStreamError(err)) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** `sha256:abc…` → the first 12 hex digits (stringid.TruncateID). */
export function shortId(id: string): string {
  const bare = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  return bare.slice(0, 12);
}
