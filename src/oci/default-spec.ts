// What `runc spec` writes (libcontainer/specconv/example.go, runc 1.1, runtime-spec 1.0.2-dev), and
// `runc spec --rootless` (ToRootless). Objects are built in runc's key order, so
// JSON.stringify(spec, null, '\t') is byte-for-byte runc's config.json. Pure: what runc reads from the
// host (cgroup v2 mode, euid/egid) comes in as options.

import type { Mount, Spec } from './runtime-spec.js';

export interface DefaultSpecOptions {
  /** `runc spec --rootless`: no network namespace, a user namespace mapping `hostUid`/`hostGid` to 0. */
  rootless?: boolean;
  /** runc adds a cgroup namespace on a cgroup v2 (unified) host. Default true. */
  cgroupNamespace?: boolean;
  /** The euid/egid mapped to root by the rootless variant (runc uses its own). Default 0. */
  hostUid?: number;
  hostGid?: number;
}

/** The spec version `runc spec` (1.1) writes. */
export const RUNC_SPEC_VERSION = '1.0.2-dev';

export const DEFAULT_CAPABILITIES = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'] as const;

export const DEFAULT_MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
] as const;

export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'] as const;

function defaultMounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

export function defaultSpec(opts: DefaultSpecOptions = {}): Spec {
  const caps = (): string[] => [...DEFAULT_CAPABILITIES];
  const spec: Spec = {
    ociVersion: RUNC_SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: caps(), effective: caps(), permitted: caps(), ambient: caps() },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: defaultMounts(),
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
  if (opts.cgroupNamespace ?? true) spec.linux!.namespaces!.push({ type: 'cgroup' });
  return opts.rootless === true ? toRootless(spec, opts.hostUid ?? 0, opts.hostGid ?? 0) : spec;
}

/** runc's ToRootless: drop netns (a rootless user cannot configure one), add a userns, /sys as an rbind, no cgroup settings. */
function toRootless(spec: Spec, hostUid: number, hostGid: number): Spec {
  const linux = spec.linux!;
  const namespaces = linux.namespaces!.filter((ns) => ns.type !== 'network' && ns.type !== 'user');
  namespaces.push({ type: 'user' });
  const mounts = spec.mounts!.map((m): Mount => {
    if (m.destination === '/sys') {
      return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    }
    if (m.options === undefined) return m;
    return { ...m, options: m.options.filter((o) => !o.startsWith('gid=') && !o.startsWith('uid=')) };
  });
  return {
    ociVersion: spec.ociVersion,
    process: spec.process!,
    root: spec.root!,
    hostname: spec.hostname!,
    mounts,
    linux: {
      uidMappings: [{ containerID: 0, hostID: hostUid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: hostGid, size: 1 }],
      namespaces,
      maskedPaths: linux.maskedPaths!,
      readonlyPaths: linux.readonlyPaths!,
    },
  };
}
