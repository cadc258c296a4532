// The OCI state object: what hooks read on stdin (runtime-spec specs-go State) and what
// `runc state` prints (runc's containerState), each built in the order Go writes its fields. Pure.

import type { ContainerStatus, State } from './runtime-spec.js';
import { OCI_VERSION } from './runtime-spec.js';

export const CONTAINER_STATUSES: readonly ContainerStatus[] = ['creating', 'created', 'running', 'stopped', 'paused'];

export function isContainerStatus(s: string): s is ContainerStatus {
  return (CONTAINER_STATUSES as readonly string[]).includes(s);
}

export interface OciStateInput {
  ociVersion?: string;
  id: string;
  status: ContainerStatus;
  /** Omitted when ≤ 0 (no process: creating, or stopped). */
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

/** The runtime-spec state (hooks' stdin): ociVersion, id, status, pid, bundle, annotations; empties omitted. */
export function ociState(s: OciStateInput): State {
  return {
    ociVersion: s.ociVersion || OCI_VERSION,
    id: s.id,
    status: s.status,
    ...(s.pid !== undefined && s.pid > 0 ? { pid: s.pid } : {}),
    bundle: s.bundle,
    ...(hasEntries(s.annotations) ? { annotations: { ...s.annotations } } : {}),
  };
}

/** `runc state` / `runc list --format json` output. */
export interface RuncState {
  ociVersion: string;
  id: string;
  /** 0 when the init is gone. */
  pid: number;
  status: ContainerStatus;
  bundle: string;
  rootfs: string;
  /** RFC 3339 with nanoseconds, UTC (Go time.Time). */
  created: string;
  annotations?: Record<string, string>;
  owner: string;
}

export interface RuncStateInput extends Omit<RuncState, 'ociVersion' | 'pid' | 'annotations'> {
  ociVersion?: string;
  pid?: number;
  annotations?: Record<string, string>;
}

/** The state as runc prints it: pid always present (0 when stopped), annotations only when non-empty. */
export function runcState(s: RuncStateInput): RuncState {
  const pid = s.status === 'stopped' || s.pid === undefined || s.pid < 0 ? 0 : s.pid;
  return {
    ociVersion: s.ociVersion || OCI_VERSION,
    id: s.id,
    pid,
    status: s.status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    ...(hasEntries(s.annotations) ? { annotations: { ...s.annotations } } : {}),
    owner: s.owner,
  };
}

/**
 * A time as Go's time.Time marshals it (RFC 3339, nanoseconds with trailing zeros trimmed, "Z"):
 * `nanos` is the sub-second part when known (e.g. from process.hrtime), else the Date's milliseconds.
 */
export function formatGoTime(date: Date, nanos?: number): string {
  const base = date.toISOString().slice(0, 19);
  const ns = nanos ?? date.getUTCMilliseconds() * 1_000_000;
  if (ns === 0) return `${base}Z`;
  return `${base}.${String(ns).padStart(9, '0').replace(/0+$/, '')}Z`;
}

function hasEntries(o: Record<string, string> | undefined): o is Record<string, string> {
  return o !== undefined && Object.keys(o).length > 0;
}
