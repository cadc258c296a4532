// OCI bundles for conformance tests: runc's default spec (`runc spec`, runc 1.1) as a literal,
// pointed at the cached busybox rootfs, plus per-test overrides.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Spec } from '../../src/oci/index.js';
import { busyboxRootfs, copyRootfs } from '../fixtures/busybox-rootfs.js';
import type { Cleanup } from './cleanup.js';

/** Parent of every test container's cgroup (linux.cgroupsPath); never another process's cgroup. */
export const CGROUP_PARENT = 'skiff-test';

/**
 * What `runc spec` prints (runc 1.1.x), written out here on purpose: the suite checks runtimes
 * against runc's own defaults, independently of src/oci/default-spec.ts.
 */
export function runcDefaultSpec(): Spec {
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
      },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export interface BundleOptions {
  /** process.args */
  args: string[];
  /** Container id: names the cgroup /skiff-test/<id>. */
  id: string;
  /** A private writable copy of the rootfs instead of the shared cached one mounted read-only. */
  writableRootfs?: boolean;
  /** Last word on the spec. */
  edit?: (spec: Spec) => void;
}

export interface Bundle {
  dir: string;
  rootfs: string;
  spec: Spec;
}

export async function makeTempDir(cleanup: Cleanup, prefix = 'skiff-conformance-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  cleanup.add(() => fs.rm(dir, { recursive: true, force: true }), `rm ${dir}`);
  return dir;
}

/** Writes <tmp>/config.json (and a rootfs copy if asked); cleanup removes the directory. */
export async function writeBundle(cleanup: Cleanup, opts: BundleOptions): Promise<Bundle> {
  const dir = await makeTempDir(cleanup, 'skiff-bundle-');
  const spec = runcDefaultSpec();
  let rootfs: string;
  if (opts.writableRootfs) {
    rootfs = path.join(dir, 'rootfs');
    await copyRootfs(rootfs);
    spec.root = { path: 'rootfs', readonly: false };
  } else {
    rootfs = await busyboxRootfs();
    spec.root = { path: rootfs, readonly: true };
  }
  spec.process!.terminal = false;
  spec.process!.args = opts.args;
  spec.linux!.cgroupsPath = `/${CGROUP_PARENT}/${opts.id}`;
  opts.edit?.(spec);
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2) + '\n');
  return { dir, rootfs, spec };
}
