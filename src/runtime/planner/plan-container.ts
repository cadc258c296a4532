// spec → launch plan for a container's init (create/run) and for an extra process (exec). Pure: the
// impure side hands facts in PreparedContainer. The order of ops follows runc's init
// (nsexec stages, prepareRootfs, finalizeNamespace), so that behaviour matches runc's.

import { notImplemented, invalidArgument } from '../../base/index.js';
import type { Spec, Process, Hook, Mount } from '../../oci/index.js';
import { capabilityMask, rlimitResource, parseMountOptions } from '../../oci/index.js';
import type { PlanOp } from '../plan-ops.js';
import { PlanBuilder } from './builder.js';
import {
  CLONE, MS, PR, NAMESPACES, JOIN_ORDER, SYNC_POINT, P_MODE, DEFAULT_DEVICES, DEV_SYMLINKS, S_IFCHR, S_IFBLK,
  S_IFIFO, PROPAGATION_FLAGS, makedev, type SupportedNamespace,
} from './constants.js';
import type { LaunchPlan, PreparedContainer, ShimOptions } from './types.js';

const REMOUNT_ATTRS = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME | MS.RELATIME | MS.STRICTATIME;

function shimOps(b: PlanBuilder, shim: ShimOptions): void {
  b.add('runtime', { op: 'P_MODE', mode: P_MODE[shim.mode === 'create' ? 'CREATE' : shim.mode === 'foreground' ? 'FOREGROUND' : 'SHIM'] });
  if (shim.relayConsole) b.add('process.terminal', { op: 'P_CONSOLE', relay: 1 });
  if (shim.exitFile !== undefined) b.add('runtime', { op: 'P_EXIT_FILE', path: shim.exitFile });
  if (shim.controlSocket !== undefined) b.add('runtime', { op: 'P_CONTROL_SOCKET', path: shim.controlSocket });
  if (shim.io !== undefined) {
    const io = shim.io;
    b.add('runtime', {
      op: 'P_IO',
      flags: (io.stdin ? 1 : 0) | (io.stdinOnce ? 2 : 0) | (io.outputPipes ? 4 : 0),
      logPath: io.log?.path ?? '',
      logMaxSize: BigInt(io.log?.maxSizeBytes ?? 0),
      logMaxFiles: io.log?.maxFiles ?? 1,
    });
  }
  b.add('runtime', { op: 'P_CLONE', flags: 0 });
}

function envValue(env: readonly string[] | undefined, name: string): string {
  const prefix = `${name}=`;
  const hit = env?.find((e) => e.startsWith(prefix));
  return hit === undefined ? '' : hit.slice(prefix.length);
}

function hookOp(hook: Hook, state: string): PlanOp {
  return {
    op: 'RUN_HOOK',
    path: hook.path,
    argv: hook.args ?? [hook.path],
    env: hook.env ?? [],
    stdin: new TextEncoder().encode(state),
    timeoutMs: (hook.timeout ?? 0) * 1000,
  };
}

/** rlimits, capabilities, user, cwd, no_new_privs, seccomp and execve: the end of every process. */
function processOps(
  b: PlanBuilder,
  process: Process,
  opts: {
    seccomp?: { program: Uint8Array; flags: number } | undefined;
    preserveFds: number;
    consoleFd: number | undefined;
    execFifoFd?: number | undefined;
    startHooks?: readonly Hook[] | undefined;
    hookState?: string | undefined;
    setUmask: boolean;
  },
): void {
  if (process.terminal === true) {
    b.add('process.terminal', {
      op: 'CONSOLE',
      fd: opts.consoleFd ?? -1,
      rows: process.consoleSize?.height ?? 0,
      cols: process.consoleSize?.width ?? 0,
    });
  }
  (process.rlimits ?? []).forEach((rl, i) => {
    b.add(`process.rlimits[${i}] (${rl.type})`, {
      op: 'SETRLIMIT',
      resource: rlimitOrThrow(rl.type, i),
      soft: BigInt(rl.soft),
      hard: BigInt(rl.hard),
    });
  });
  const nnp = process.noNewPrivileges === true;
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: do it before capabilities drop.
  if (opts.seccomp && !nnp) b.add('linux.seccomp', { op: 'SECCOMP', program: opts.seccomp.program, flags: opts.seccomp.flags });
  b.add('runtime', { op: 'CLOSE_FDS', from: 3 + opts.preserveFds });

  const caps = process.capabilities ?? {};
  b.add('process.capabilities.bounding', { op: 'CAP_BOUNDING', keep: capabilityMask(caps.bounding ?? []) });
  b.add('process.user', { op: 'PRCTL', option: PR.SET_KEEPCAPS, arg2: 1n, arg3: 0n });
  b.add('process.user.additionalGids', { op: 'SETGROUPS', gids: process.user.additionalGids ?? [] });
  b.add('process.user.gid', { op: 'SETRESGID', gid: process.user.gid });
  b.add('process.user.uid', { op: 'SETRESUID', uid: process.user.uid });
  b.add('process.user', { op: 'PRCTL', option: PR.SET_KEEPCAPS, arg2: 0n, arg3: 0n });
  b.add('process.capabilities', {
    op: 'CAPSET',
    effective: capabilityMask(caps.effective ?? []),
    permitted: capabilityMask(caps.permitted ?? []),
    inheritable: capabilityMask(caps.inheritable ?? []),
  });
  // the kernel raises an ambient capability only if it is permitted and inheritable; runc warns
  // about the others and goes on, so the plan asks only for what can be granted
  const ambient = capabilityMask(caps.ambient ?? []) & capabilityMask(caps.permitted ?? []) & capabilityMask(caps.inheritable ?? []);
  b.add('process.capabilities.ambient', { op: 'CAP_AMBIENT', raise: ambient });
  if (opts.setUmask || process.user.umask !== undefined) {
    b.add('process.user.umask', { op: 'UMASK', mask: process.user.umask ?? 0o022 });
  }
  b.add('process.cwd', { op: 'CHDIR', path: process.cwd });
  if (nnp) b.add('process.noNewPrivileges', { op: 'PRCTL', option: PR.SET_NO_NEW_PRIVS, arg2: 1n, arg3: 0n });

  const args = process.args ?? [];
  if (args.length === 0) throw invalidArgument('process.args: must not be empty', { field: 'process.args' });
  const searchPath = envValue(process.env, 'PATH');
  b.add('process.args[0]', { op: 'CHECK_EXEC', path: args[0]!, searchPath });
  if (opts.execFifoFd !== undefined) b.add('runtime', { op: 'WAIT_FIFO', fd: opts.execFifoFd });
  (opts.startHooks ?? []).forEach((h, i) => b.add(`hooks.startContainer[${i}]`, hookOp(h, opts.hookState ?? '')));
  // With no_new_privs the filter goes last, so the fewest syscalls of ours run under it.
  if (opts.seccomp && nnp) b.add('linux.seccomp', { op: 'SECCOMP', program: opts.seccomp.program, flags: opts.seccomp.flags });
  b.add('process.args', { op: 'EXECVE', path: args[0]!, argv: args, envp: process.env ?? [], searchPath });
}

function rlimitOrThrow(type: string, i: number): number {
  const n = rlimitResource(type);
  if (n === undefined) throw invalidArgument(`process.rlimits[${i}].type: unknown rlimit "${type}"`, { field: `process.rlimits[${i}].type` });
  return n;
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

function cgroupMountOps(b: PlanBuilder, origin: string, m: Mount, flags: number, newCgroupNs: boolean, prep: PreparedContainer): void {
  const dest = m.destination;
  const readonly = (flags & MS.RDONLY) !== 0;
  const baseFlags = flags & ~MS.RDONLY;
  b.add(origin, { op: 'MKDIR', path: dest, mode: 0o755, resolve: 1 });
  const unified = prep.cgroupMounts.length === 1 && prep.cgroupMounts[0]!.fstype === 'cgroup2' && prep.cgroupMounts[0]!.name === '';
  if (unified) {
    const cm = prep.cgroupMounts[0]!;
    if (newCgroupNs) {
      b.add(origin, { op: 'MOUNT', source: 'cgroup', target: dest, fstype: 'cgroup2', flags: BigInt(flags), data: '', resolve: 1 });
    } else {
      b.add(origin, { op: 'MOUNT', source: cm.hostPath, target: dest, fstype: '', flags: BigInt(MS.BIND | MS.REC), data: '', resolve: 1 });
      b.add(origin, { op: 'MOUNT', source: '', target: dest, fstype: '', flags: BigInt(MS.BIND | MS.REMOUNT | (flags & REMOUNT_ATTRS)), data: '', resolve: 1 });
    }
    return;
  }
  // v1 and hybrid: a tmpfs holding one mount per hierarchy, as runc does.
  b.add(origin, { op: 'MOUNT', source: 'tmpfs', target: dest, fstype: 'tmpfs', flags: BigInt(MS.NOSUID | MS.NODEV | MS.NOEXEC), data: 'mode=755', resolve: 1 });
  for (const cm of prep.cgroupMounts) {
    if (!newCgroupNs && !cm.hostPathExists) continue;
    const sub = joinPath(dest, cm.name);
    b.add(origin, { op: 'MKDIR', path: sub, mode: 0o755, resolve: 1 });
    if (newCgroupNs) {
      b.add(origin, { op: 'MOUNT', source: 'cgroup', target: sub, fstype: cm.fstype, flags: BigInt(baseFlags | (readonly ? MS.RDONLY : 0)), data: cm.options, resolve: 1 });
    } else {
      b.add(origin, { op: 'MOUNT', source: cm.hostPath, target: sub, fstype: '', flags: BigInt(MS.BIND | MS.REC), data: '', resolve: 1 });
      b.add(origin, { op: 'MOUNT', source: '', target: sub, fstype: '', flags: BigInt(MS.BIND | MS.REMOUNT | (baseFlags & REMOUNT_ATTRS) | (readonly ? MS.RDONLY : 0)), data: '', resolve: 1 });
    }
    // co-mounted controllers (cpu,cpuacct) get a symlink per controller name
    if (cm.fstype === 'cgroup') {
      for (const controller of cm.options.split(',')) {
        if (controller !== cm.name && !controller.startsWith('name=') && cm.name.includes(',')) {
          b.add(origin, { op: 'SYMLINK', target: cm.name, path: joinPath(dest, controller), resolve: 1 });
        }
      }
    }
  }
  if (readonly) {
    b.add(origin, { op: 'MOUNT', source: '', target: dest, fstype: '', flags: BigInt(MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC), data: 'mode=755', resolve: 1 });
  }
}

function mountOps(b: PlanBuilder, spec: Spec, prep: PreparedContainer, newCgroupNs: boolean): { devRemountRo: boolean } {
  let devRemountRo = false;
  (spec.mounts ?? []).forEach((m, i) => {
    const origin = `mounts[${i}] (${m.destination})`;
    const parsed = parseMountOptions(m.options ?? []);
    if (parsed.extensions.length > 0) {
      throw notImplemented(`mounts[${i}].options: "${parsed.extensions[0]}" is not supported`, { field: `mounts[${i}].options` });
    }
    if (parsed.recAttrSet !== 0 || parsed.recAttrClr !== 0) {
      throw notImplemented(`mounts[${i}].options: recursive mount attributes (rro, rnosuid, …) are not supported`, { field: `mounts[${i}].options` });
    }
    const isBind = (parsed.flags & MS.BIND) !== 0 || m.type === 'bind';
    const dest = m.destination;
    if (isBind) {
      const source = m.source ?? '';
      const isDir = prep.bindSourceIsDir.get(i) ?? true;
      b.add(origin, isDir ? { op: 'MKDIR', path: dest, mode: 0o755, resolve: 1 } : { op: 'MKFILE', path: dest, mode: 0o755, resolve: 1 });
      b.add(origin, { op: 'MOUNT', source, target: dest, fstype: '', flags: BigInt(MS.BIND | (parsed.flags & MS.REC)), data: '', resolve: 1 });
      const attrs = parsed.flags & REMOUNT_ATTRS;
      if (attrs !== 0) {
        b.add(origin, { op: 'MOUNT', source: '', target: dest, fstype: '', flags: BigInt(MS.BIND | MS.REMOUNT | attrs), data: '', resolve: 1 });
      }
    } else if (m.type === 'cgroup') {
      cgroupMountOps(b, origin, m, parsed.flags, newCgroupNs, prep);
    } else {
      const type = m.type ?? '';
      // proc and sysfs must not be mounted through a symlink (runc's checkProcMount, CVE-2019-19921)
      const resolve = type === 'proc' || type === 'sysfs' ? 2 : 1;
      let flags = parsed.flags;
      if (dest === '/dev' && (flags & MS.RDONLY) !== 0) {
        // devices are created in /dev first; it becomes read-only after
        flags &= ~MS.RDONLY;
        devRemountRo = true;
      }
      b.add(origin, { op: 'MKDIR', path: dest, mode: 0o755, resolve });
      b.add(origin, { op: 'MOUNT', source: m.source ?? type, target: dest, fstype: type, flags: BigInt(flags), data: parsed.data, resolve });
    }
    for (const propagation of parsed.propagation) {
      b.add(origin, { op: 'MOUNT', source: '', target: dest, fstype: '', flags: BigInt(propagation), data: '', resolve: 1 });
    }
  });
  return { devRemountRo };
}

function deviceOps(b: PlanBuilder, spec: Spec, userNs: boolean): void {
  const mounts = spec.mounts ?? [];
  const devIsHostBind = mounts.some((m) => m.destination === '/dev' && (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind')));
  if (devIsHostBind) return;
  const specDevices = spec.linux?.devices ?? [];
  const devices: { path: string; type: string; major: number; minor: number; fileMode: number; uid: number; gid: number; origin: string }[] = [];
  for (const d of DEFAULT_DEVICES) {
    if (!specDevices.some((s) => s.path === d.path)) {
      devices.push({ path: d.path, type: 'c', major: d.major, minor: d.minor, fileMode: 0o666, uid: 0, gid: 0, origin: `default device ${d.path}` });
    }
  }
  specDevices.forEach((d, i) => {
    devices.push({
      path: d.path, type: d.type, major: d.major ?? 0, minor: d.minor ?? 0, fileMode: d.fileMode ?? 0o666,
      uid: d.uid ?? 0, gid: d.gid ?? 0, origin: `linux.devices[${i}] (${d.path})`,
    });
  });
  for (const d of devices) {
    if (userNs) {
      // mknod is refused in a user namespace: bind the host's node instead
      b.add(d.origin, { op: 'MKFILE', path: d.path, mode: 0o644, resolve: 1 });
      b.add(d.origin, { op: 'MOUNT', source: d.path, target: d.path, fstype: '', flags: BigInt(MS.BIND), data: '', resolve: 1 });
      continue;
    }
    const typeBits = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : S_IFCHR;
    b.add(d.origin, {
      op: 'MKNOD', path: d.path, mode: typeBits | (d.fileMode & 0o7777), dev: d.type === 'p' ? 0n : makedev(d.major, d.minor),
      uid: d.uid, gid: d.gid, resolve: 1,
    });
  }
  for (const [target, path] of DEV_SYMLINKS) b.add('/dev', { op: 'SYMLINK', target, path, resolve: 1 });
  b.add('/dev', { op: 'SYMLINK', target: '/proc/kcore', path: '/dev/core', resolve: 1 });
  if (mounts.some((m) => m.destination === '/dev/pts' && m.type === 'devpts')) {
    b.add('/dev/ptmx', { op: 'SYMLINK', target: 'pts/ptmx', path: '/dev/ptmx', resolve: 1 });
  }
}

function rootPropagationFlags(value: string | undefined): number {
  switch (value) {
    case undefined:
    case '':
      return MS.SLAVE | MS.REC;
    case 'private': return MS.PRIVATE;
    case 'rprivate': return MS.PRIVATE | MS.REC;
    case 'slave': return MS.SLAVE;
    case 'rslave': return MS.SLAVE | MS.REC;
    case 'shared': return MS.SHARED;
    case 'rshared': return MS.SHARED | MS.REC;
    case 'unbindable': return MS.UNBINDABLE;
    case 'runbindable': return MS.UNBINDABLE | MS.REC;
    default:
      throw invalidArgument(`linux.rootfsPropagation: unknown propagation "${value}"`, { field: 'linux.rootfsPropagation' });
  }
}

/** The init of a new container: `create` (with an exec fifo) and `run`. */
export function planContainer(spec: Spec, prep: PreparedContainer, shim: ShimOptions): LaunchPlan {
  const process = spec.process;
  if (!process) throw invalidArgument('process: required to run a container', { field: 'process' });
  const b = new PlanBuilder();
  shimOps(b, shim);

  // C1: join namespaces (user first), create the user namespace, let TypeScript map ids and join cgroups
  const namespaces = spec.linux?.namespaces ?? [];
  const isNew = (t: SupportedNamespace): boolean => namespaces.some((n) => n.type === t && !n.path);
  for (const type of JOIN_ORDER) {
    const fd = prep.joinFds.get(type);
    if (fd !== undefined) {
      const index = namespaces.findIndex((n) => n.type === type);
      b.add(`linux.namespaces[${index}] (${type})`, { op: 'SETNS', fd, nstype: NAMESPACES[type].flag });
    }
  }
  const userNs = isNew('user');
  if (userNs) b.add('linux.namespaces (user)', { op: 'UNSHARE', flags: CLONE.NEWUSER });
  b.add('linux.uidMappings', { op: 'SYNC', point: SYNC_POINT.PREPARE });
  let cloneFlags = 0;
  for (const type of JOIN_ORDER) if (type !== 'user' && isNew(type)) cloneFlags |= NAMESPACES[type].flag;
  b.add('linux.namespaces', { op: 'CLONE_INIT', flags: cloneFlags });

  // C2: the container's init
  if (userNs) {
    const rootMapped = (spec.linux?.uidMappings ?? []).some((m) => m.containerID === 0) &&
      (spec.linux?.gidMappings ?? []).some((m) => m.containerID === 0);
    if (rootMapped) {
      b.add('linux.gidMappings', { op: 'SETRESGID', gid: 0 });
      b.add('linux.uidMappings', { op: 'SETRESUID', uid: 0 });
    }
  }
  const hooks = spec.hooks ?? {};
  if ((hooks.prestart?.length ?? 0) + (hooks.createRuntime?.length ?? 0) > 0) {
    b.add('hooks.createRuntime', { op: 'SYNC', point: SYNC_POINT.CREATE_RUNTIME });
  }
  if (!isNew('mount') && !prep.joinFds.has('mount')) {
    throw invalidArgument('linux.namespaces: a mount namespace is required', { field: 'linux.namespaces' });
  }

  b.add('linux.rootfsPropagation', { op: 'MOUNT', source: '', target: '/', fstype: '', flags: BigInt(MS.REC | rootPropagationFlags(spec.linux?.rootfsPropagation)), data: '', resolve: 0 });
  if (prep.rootfsParentMount !== undefined) {
    b.add('root.path', { op: 'MOUNT', source: '', target: prep.rootfsParentMount, fstype: '', flags: BigInt(MS.PRIVATE), data: '', resolve: 0 });
  }
  b.add('root.path', { op: 'MOUNT', source: prep.rootfs, target: prep.rootfs, fstype: '', flags: BigInt(MS.BIND | MS.REC), data: '', resolve: 0 });
  b.add('root.path', { op: 'SET_ROOT', path: prep.rootfs });
  const { devRemountRo } = mountOps(b, spec, prep, isNew('cgroup'));
  deviceOps(b, spec, userNs);
  (hooks.createContainer ?? []).forEach((h, i) => b.add(`hooks.createContainer[${i}]`, hookOp(h, prep.hookState)));
  b.add('root.path', prep.noPivot ? { op: 'CHROOT' } : { op: 'PIVOT_ROOT' });
  if (devRemountRo) {
    b.add('mounts (/dev)', { op: 'MOUNT', source: '', target: '/dev', fstype: '', flags: BigInt(MS.REMOUNT | MS.RDONLY | MS.NOSUID), data: '', resolve: 1 });
  }

  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    b.add(`linux.sysctl[${key}]`, { op: 'WRITE_FILE', path: `/proc/sys/${key.replace(/\./g, '/')}`, data: value, resolve: 2 });
  }
  if (isNew('network')) b.add('linux.namespaces (network)', { op: 'LOOPBACK_UP' });
  if (spec.hostname !== undefined && spec.hostname !== '') b.add('hostname', { op: 'SETHOSTNAME', name: spec.hostname });
  if (spec.domainname !== undefined && spec.domainname !== '') b.add('domainname', { op: 'SETDOMAINNAME', name: spec.domainname });
  (spec.linux?.readonlyPaths ?? []).forEach((p, i) => b.add(`linux.readonlyPaths[${i}] (${p})`, { op: 'READONLY_PATH', path: p }));
  (spec.linux?.maskedPaths ?? []).forEach((p, i) => b.add(`linux.maskedPaths[${i}] (${p})`, { op: 'MASK_PATH', path: p }));
  if (spec.root?.readonly === true) {
    b.add('root.readonly', { op: 'MOUNT', source: '', target: '/', fstype: '', flags: BigInt(MS.BIND | MS.REMOUNT | MS.RDONLY), data: '', resolve: 1 });
  }
  if (spec.linux?.personality) {
    b.add('linux.personality', { op: 'PERSONALITY', persona: spec.linux.personality.domain === 'LINUX32' ? 0x0008 : 0x0000 });
  }
  processOps(b, process, {
    seccomp: prep.seccomp,
    preserveFds: prep.preserveFds,
    consoleFd: prep.consoleSocketFd,
    execFifoFd: prep.execFifoFd,
    startHooks: hooks.startContainer,
    hookState: prep.hookState,
    setUmask: true,
  });
  return b.build();
}

export interface PreparedExec {
  /** fds (in the shim) of the container init's namespaces that differ from the host's. */
  joinFds: ReadonlyMap<SupportedNamespace, number>;
  seccomp?: { program: Uint8Array; flags: number } | undefined;
  preserveFds: number;
  consoleSocketFd?: number | undefined;
  /** fd of an exec fifo: the process waits until its opener (skiffd, once attached) reads it. */
  execFifoFd?: number | undefined;
}

/** An extra process in a running container (`exec`): join its namespaces and cgroups, then run. */
export function planExec(process: Process, prep: PreparedExec, shim: ShimOptions): LaunchPlan {
  const b = new PlanBuilder();
  shimOps(b, shim);
  b.add('runtime', { op: 'SYNC', point: SYNC_POINT.PREPARE });
  for (const type of JOIN_ORDER) {
    const fd = prep.joinFds.get(type);
    if (fd !== undefined) b.add(`namespace ${type}`, { op: 'SETNS', fd, nstype: NAMESPACES[type].flag });
  }
  b.add('runtime', { op: 'CLONE_INIT', flags: 0 });
  b.add('runtime', { op: 'SET_ROOT', path: '/' });
  processOps(b, process, {
    seccomp: prep.seccomp,
    preserveFds: prep.preserveFds,
    consoleFd: prep.consoleSocketFd,
    execFifoFd: prep.execFifoFd,
    setUmask: false,
  });
  return b.build();
}

export { PROPAGATION_FLAGS };
