// What the planner needs besides the spec: facts the impure side gathered (stat of bind sources,
// fds it opened, the compiled seccomp program). Plain data, so the planner stays pure.

import type { PlanOp } from '../plan-ops.js';

export interface PreparedContainer {
  /** Absolute rootfs path on the host. */
  rootfs: string;
  /** For each bind mount index: whether its source is a directory (else a file is created). */
  bindSourceIsDir: ReadonlyMap<number, boolean>;
  /** fd numbers (in the shim) of namespaces to join, by spec type. */
  joinFds: ReadonlyMap<string, number>;
  /** fd number of the exec fifo (O_PATH) when `start` must release the init; undefined for run. */
  execFifoFd?: number | undefined;
  /** fd number of the console socket (--console-socket); undefined: the shim relays the pty. */
  consoleSocketFd?: number | undefined;
  /** Number of fds passed through to the container after stdio (--preserve-fds). */
  preserveFds: number;
  /** Compiled seccomp program (sock_filter array) and its flags, when linux.seccomp is set. */
  seccomp?: { program: Uint8Array; flags: number } | undefined;
  /** Mount points of the host's cgroup v1 hierarchies and the unified one, for `cgroup` mounts. */
  cgroupMounts: readonly CgroupMountPoint[];
  /** Mount point holding the rootfs' parent, to be made private when the root propagation is shared. */
  rootfsParentMount?: string | undefined;
  /** --no-pivot: chroot after moving the rootfs to / instead of pivot_root. */
  noPivot: boolean;
  /** The state JSON handed to startContainer/createContainer hooks on stdin. */
  hookState: string;
}

export interface CgroupMountPoint {
  /** Name of the directory under the cgroup mount in the container (`cpu`, `memory`, `unified`). */
  name: string;
  /** 'cgroup' (v1, with `options` the controllers) or 'cgroup2'. */
  fstype: 'cgroup' | 'cgroup2';
  options: string;
  /** Host path of the container's cgroup in this hierarchy, for a bind when no cgroup ns is made. */
  hostPath: string;
  /** Whether the container has a cgroup in this hierarchy (hierarchies without one are not bound). */
  hostPathExists: boolean;
}

export type ShimMode = 'create' | 'foreground' | 'shim';

export interface ShimOptions {
  mode: ShimMode;
  /** The shim relays the pty itself (terminal without a console socket). */
  relayConsole: boolean;
  exitFile?: string | undefined;
  controlSocket?: string | undefined;
  /** Shim mode for skiffd: the shim owns the container's stdio (pipes or the pty master). */
  io?: ShimIo | undefined;
}

/** The stdio a detached shim owns, and docker's json-file log it writes (native/src/io.c). */
export interface ShimIo {
  /** A pipe for the container's stdin, written from attach streams (docker's OpenStdin). */
  stdin: boolean;
  /** The first attached stdin client closing closes the container's stdin (docker's StdinOnce). */
  stdinOnce: boolean;
  /** stdout and stderr as pipes the shim reads (false with a terminal: the pty master is read). */
  outputPipes: boolean;
  log?: { path: string; maxSizeBytes: number; maxFiles: number } | undefined;
}

/** The plan and, for every op, the spec field that produced it (for error messages). */
export interface LaunchPlan {
  ops: PlanOp[];
  origins: string[];
}
