// config.json → a typed Spec, checked as runc would accept it (libcontainer/specconv, configs/validate,
// utils_linux.go validateProcessSpec), with errors that name the field in youki style. Pure: nothing
// here looks at the host; what depends on the host comes in as options.
//
// Refused as NotImplemented (`<field>: not supported by skiff-runtime`), because skiff-runtime cannot
// honour them and silently ignoring them would run a container other than the one asked for:
//   - fields of other platforms: `windows`, `solaris`, `vm`, `zos`, `freebsd`, `process.commandLine`,
//     `process.user.username`
//   - `linux.intelRdt` (no resctrl support), `linux.timeOffsets` and the `time` namespace (no timens),
//     `linux.memoryPolicy` (no set_mempolicy), `linux.netDevices` (no netdev moves)
//   - `process.scheduler`, `process.ioPriority`, `process.execCPUAffinity` (not in the launch plan)
//   - idmapped mounts: `mounts[].uidMappings`/`gidMappings` and the `idmap`/`ridmap` options
//   - `linux.resources.rdma` (no rdma cgroup controller in runtime/cgroups)
//   - `process.apparmorProfile`, `process.selinuxLabel`, `linux.mountLabel` when the host has that LSM
//     (the plan cannot apply a profile or label)
//   - any key the runtime-spec (1.2, plus memoryPolicy/netDevices of 1.3) does not define
// Warned and removed from the returned spec (runc warns and ignores them too, or the host cannot use
// them): `apparmorProfile`, `selinuxLabel`, `mountLabel` on a host without that LSM,
// `linux.personality.flags`, `linux.resources.memory.kernel`/`kernelTCP`/`useHierarchy`.
// `null` for an optional field means absent (Go's encoding/json reads it so) and is dropped.

import { SkiffError } from '../base/index.js';
import { capabilityNumber } from './capabilities.js';
import { rlimitResource } from './rlimits.js';
import { propagationFlags } from './mount-options.js';
import type { Process, Spec } from './runtime-spec.js';

export interface ValidateRuntimeSpecOptions {
  /** The host has AppArmor enabled (/sys/module/apparmor/parameters/enabled is "Y"). */
  hostHasApparmor?: boolean;
  /** The host has SELinux enabled (selinuxfs mounted). */
  hostHasSelinux?: boolean;
}

export interface ValidatedRuntimeSpec {
  spec: Spec;
  /** Fields that were skipped, one sentence each, e.g. `process.apparmorProfile: ignored, …`. */
  warnings: string[];
}

type Json = Record<string, unknown>;

const UINT32_MAX = 4294967295;
const INT64_MIN = -(2 ** 63);
const INT64_MAX = 2 ** 63;
const UINT64_MAX = 2 ** 64;
/** Kernel limit on uid_map/gid_map lines since Linux 4.15. */
const MAX_ID_MAPPINGS = 340;
/** HOST_NAME_MAX. */
const MAX_HOSTNAME = 64;

const SUPPORTED_NAMESPACES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup'] as const;
type NsType = (typeof SUPPORTED_NAMESPACES)[number];

// runc's list of sysctls that belong to the ipc namespace (configs/validate sysctl()).
const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax',
  'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

/** What each object may hold: `true` = supported, `false` = known but refused, a string = known, refused with that reason. */
type Keys = Record<string, boolean>;

const SPEC_KEYS: Keys = {
  ociVersion: true, process: true, root: true, hostname: true, domainname: true, mounts: true, hooks: true,
  annotations: true, linux: true, windows: false, solaris: false, vm: false, zos: false, freebsd: false,
};
const PROCESS_KEYS: Keys = {
  terminal: true, consoleSize: true, user: true, args: true, env: true, cwd: true, capabilities: true, rlimits: true,
  noNewPrivileges: true, apparmorProfile: true, oomScoreAdj: true, selinuxLabel: true, commandLine: false,
  scheduler: false, ioPriority: false, execCPUAffinity: false,
};
const USER_KEYS: Keys = { uid: true, gid: true, umask: true, additionalGids: true, username: false };
const LINUX_KEYS: Keys = {
  uidMappings: true, gidMappings: true, sysctl: true, resources: true, cgroupsPath: true, namespaces: true,
  devices: true, seccomp: true, rootfsPropagation: true, maskedPaths: true, readonlyPaths: true, mountLabel: true,
  personality: true, timeOffsets: false, intelRdt: false, memoryPolicy: false, netDevices: false,
};
const RESOURCES_KEYS: Keys = {
  devices: true, memory: true, cpu: true, pids: true, blockIO: true, hugepageLimits: true, network: true,
  unified: true, rdma: false,
};

class Checker {
  readonly warnings: string[] = [];

  constructor(readonly opts: ValidateRuntimeSpecOptions) {}

  // --- errors -------------------------------------------------------------------------------

  bad(field: string, message: string): SkiffError {
    return new SkiffError('InvalidArgument', `${field || 'config'}: ${message}`, { field });
  }

  unsupported(field: string, what = 'not supported by skiff-runtime'): SkiffError {
    return new SkiffError('NotImplemented', `${field}: ${what}`, { field });
  }

  // --- shapes -------------------------------------------------------------------------------

  /** A plain object whose keys are all in `keys`; null-valued keys are dropped. */
  object(v: unknown, field: string, keys?: Keys): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.bad(field, 'must be an object');
    const o = v as Json;
    for (const k of Object.keys(o)) {
      const sub = join(field, k);
      if (o[k] === null) {
        delete o[k];
        continue;
      }
      if (keys === undefined) continue;
      if (!Object.hasOwn(keys, k)) throw this.unsupported(sub, 'unknown field, not supported by skiff-runtime');
      if (keys[k] === false) throw this.unsupported(sub);
    }
    return o;
  }

  /** A string-to-string map (annotations, sysctl, unified). */
  stringMap(v: unknown, field: string): Record<string, string> {
    const o = this.object(v, field);
    for (const [k, val] of Object.entries(o)) {
      if (typeof val !== 'string') throw this.bad(`${field}[${JSON.stringify(k)}]`, 'must be a string');
    }
    return o as Record<string, string>;
  }

  array(v: unknown, field: string): unknown[] {
    if (!Array.isArray(v)) throw this.bad(field, 'must be an array');
    return v;
  }

  string(v: unknown, field: string): string {
    if (typeof v !== 'string') throw this.bad(field, 'must be a string');
    if (v.includes('\0')) throw this.bad(field, 'must not contain a NUL byte');
    return v;
  }

  stringArray(v: unknown, field: string): string[] {
    return this.array(v, field).map((s, i) => this.string(s, `${field}[${i}]`));
  }

  boolean(v: unknown, field: string): boolean {
    if (typeof v !== 'boolean') throw this.bad(field, 'must be a boolean');
    return v;
  }

  integer(v: unknown, field: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.bad(field, 'must be an integer');
    if (v < min || v > max) throw this.bad(field, `must be between ${min} and ${max}`);
    return v;
  }

  uint32 = (v: unknown, field: string): number => this.integer(v, field, 0, UINT32_MAX);
  uint64 = (v: unknown, field: string): number => this.integer(v, field, 0, UINT64_MAX);
  int64 = (v: unknown, field: string): number => this.integer(v, field, INT64_MIN, INT64_MAX);

  absolute(v: unknown, field: string): string {
    const s = this.string(v, field);
    if (!s.startsWith('/')) throw this.bad(field, 'must be absolute');
    return s;
  }

  required(o: Json, key: string, field: string): unknown {
    if (!Object.hasOwn(o, key)) throw this.bad(join(field, key), 'required');
    return o[key];
  }

  /** Calls `check` on o[key] when it is present. */
  opt<T>(o: Json, key: string, field: string, check: (v: unknown, f: string) => T): T | undefined {
    return Object.hasOwn(o, key) ? check.call(this, o[key], join(field, key)) : undefined;
  }

  warn(o: Json, key: string, field: string, why: string): void {
    if (Object.hasOwn(o, key)) {
      this.warnings.push(`${join(field, key)}: ${why}`);
      delete o[key];
    }
  }

  // --- the spec -----------------------------------------------------------------------------

  spec(raw: unknown): Spec {
    const s = this.object(raw, '', SPEC_KEYS);
    const version = this.string(this.required(s, 'ociVersion', ''), 'ociVersion');
    const m = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(version);
    if (m === null) throw this.bad('ociVersion', `"${version}" is not a semantic version`);
    if (m[1] !== '1') throw this.unsupported('ociVersion', `version "${version}" is not supported by skiff-runtime`);

    if (!Object.hasOwn(s, 'process')) throw this.bad('process', 'required');
    this.process(s.process);
    if (!Object.hasOwn(s, 'root')) throw this.bad('root', 'required');
    this.root(s.root);
    const hostname = this.opt(s, 'hostname', '', this.string);
    if (hostname !== undefined && byteLength(hostname) > MAX_HOSTNAME) throw this.bad('hostname', `longer than ${MAX_HOSTNAME} bytes`);
    const domainname = this.opt(s, 'domainname', '', this.string);
    if (domainname !== undefined && byteLength(domainname) > MAX_HOSTNAME) throw this.bad('domainname', `longer than ${MAX_HOSTNAME} bytes`);
    this.opt(s, 'mounts', '', (v, f) => this.array(v, f).forEach((mnt, i) => this.mount(mnt, `${f}[${i}]`)));
    this.opt(s, 'hooks', '', this.hooks);
    this.opt(s, 'annotations', '', (v, f) => {
      const a = this.stringMap(v, f);
      for (const k of Object.keys(a)) if (k === '') throw this.bad(f, 'keys must not be empty');
    });
    const linux = this.opt(s, 'linux', '', this.linux);
    this.crossChecks(s as unknown as Spec, linux);
    return s as unknown as Spec;
  }

  process(v: unknown): void {
    const F = 'process';
    const p = this.object(v, F, PROCESS_KEYS);
    this.opt(p, 'terminal', F, this.boolean);
    this.opt(p, 'consoleSize', F, (cv, f) => {
      const c = this.object(cv, f, { height: true, width: true });
      this.uint32(this.required(c, 'height', f), `${f}.height`);
      this.uint32(this.required(c, 'width', f), `${f}.width`);
    });
    this.user(this.required(p, 'user', F));
    const args = this.opt(p, 'args', F, this.stringArray);
    if (args === undefined || args.length === 0) throw this.bad(`${F}.args`, 'must not be empty');
    this.opt(p, 'env', F, (ev, f) => this.stringArray(ev, f).forEach((e, i) => {
      if (e.startsWith('=') || e === '') throw this.bad(`${f}[${i}]`, `invalid environment variable "${e}": name cannot be empty`);
    }));
    if (!Object.hasOwn(p, 'cwd') || p.cwd === '') throw this.bad(`${F}.cwd`, 'required');
    this.absolute(p.cwd, `${F}.cwd`);
    this.opt(p, 'capabilities', F, this.capabilities);
    this.opt(p, 'rlimits', F, this.rlimits);
    this.opt(p, 'noNewPrivileges', F, this.boolean);
    this.opt(p, 'oomScoreAdj', F, (n, f) => this.integer(n, f, -1000, 1000));
    this.lsm(p, 'apparmorProfile', F, this.opts.hostHasApparmor === true, 'AppArmor');
    this.lsm(p, 'selinuxLabel', F, this.opts.hostHasSelinux === true, 'SELinux');
  }

  /** An LSM field: refused when the host has the LSM (the plan cannot apply it), else warned and dropped. */
  lsm(o: Json, key: string, field: string, hostHas: boolean, lsm: string): void {
    if (!Object.hasOwn(o, key)) return;
    const value = this.string(o[key], `${field}.${key}`);
    if (value === '') {
      delete o[key];
      return;
    }
    if (hostHas) throw this.unsupported(`${field}.${key}`);
    this.warn(o, key, field, `ignored, ${lsm} is not enabled on this host`);
  }

  user(v: unknown): void {
    const F = 'process.user';
    const u = this.object(v, F, USER_KEYS);
    this.uint32(this.required(u, 'uid', F), `${F}.uid`);
    this.uint32(this.required(u, 'gid', F), `${F}.gid`);
    this.opt(u, 'umask', F, (n, f) => this.integer(n, f, 0, 0o777));
    this.opt(u, 'additionalGids', F, (a, f) => this.array(a, f).forEach((g, i) => this.uint32(g, `${f}[${i}]`)));
  }

  capabilities(v: unknown, field: string): void {
    const c = this.object(v, field, { bounding: true, effective: true, inheritable: true, permitted: true, ambient: true });
    for (const set of Object.keys(c)) {
      this.stringArray(c[set], `${field}.${set}`).forEach((name, i) => {
        if (capabilityNumber(name) === undefined) throw this.bad(`${field}.${set}[${i}]`, `unknown capability "${name}"`);
      });
    }
  }

  rlimits(v: unknown, field: string): void {
    const seen = new Set<string>();
    this.array(v, field).forEach((rv, i) => {
      const f = `${field}[${i}]`;
      const r = this.object(rv, f, { type: true, hard: true, soft: true });
      const type = this.string(this.required(r, 'type', f), `${f}.type`);
      if (rlimitResource(type) === undefined) throw this.bad(`${f}.type`, `unknown rlimit "${type}"`);
      if (seen.has(type)) throw this.bad(`${f}.type`, `duplicate rlimit "${type}"`);
      seen.add(type);
      const hard = this.uint64(this.required(r, 'hard', f), `${f}.hard`);
      const soft = this.uint64(this.required(r, 'soft', f), `${f}.soft`);
      if (soft > hard) throw this.bad(f, `soft limit ${soft} is greater than hard limit ${hard}`);
    });
  }

  root(v: unknown): void {
    const r = this.object(v, 'root', { path: true, readonly: true });
    const path = this.string(this.required(r, 'path', 'root'), 'root.path');
    if (path === '') throw this.bad('root.path', 'must not be empty');
    this.opt(r, 'readonly', 'root', this.boolean);
  }

  mount(v: unknown, field: string): void {
    const m = this.object(v, field, { destination: true, type: true, source: true, options: true, uidMappings: false, gidMappings: false });
    this.absolute(this.required(m, 'destination', field), `${field}.destination`);
    const type = this.opt(m, 'type', field, this.string);
    this.opt(m, 'source', field, this.string);
    const options = this.opt(m, 'options', field, this.stringArray) ?? [];
    options.forEach((o, i) => {
      if (o === 'idmap' || o === 'ridmap') throw this.unsupported(`${field}.options[${i}]`, `"${o}" (idmapped mounts) is not supported by skiff-runtime`);
    });
    const isBind = options.includes('bind') || options.includes('rbind');
    if (!isBind && !options.includes('remount') && (type === undefined || type === '')) {
      throw this.bad(`${field}.type`, 'required for a mount that is not a bind mount');
    }
  }

  hooks(v: unknown, field: string): void {
    const h = this.object(v, field, Object.fromEntries(HOOK_KINDS.map((k) => [k, true])));
    for (const kind of Object.keys(h)) {
      this.array(h[kind], `${field}.${kind}`).forEach((hv, i) => {
        const f = `${field}.${kind}[${i}]`;
        const hook = this.object(hv, f, { path: true, args: true, env: true, timeout: true });
        this.absolute(this.required(hook, 'path', f), `${f}.path`);
        this.opt(hook, 'args', f, this.stringArray);
        this.opt(hook, 'env', f, this.stringArray);
        this.opt(hook, 'timeout', f, (t, tf) => {
          if (typeof t !== 'number' || !Number.isInteger(t)) throw this.bad(tf, 'must be an integer');
          if (t <= 0) throw this.bad(tf, 'must be greater than zero');
        });
      });
    }
  }

  // --- linux --------------------------------------------------------------------------------

  linux(v: unknown, F: string): LinuxFacts {
    const l = this.object(v, F, LINUX_KEYS);
    const namespaces = this.opt(l, 'namespaces', F, this.namespaces) ?? new Map<NsType, string | undefined>();
    const uidMappings = this.opt(l, 'uidMappings', F, this.idMappings);
    const gidMappings = this.opt(l, 'gidMappings', F, this.idMappings);
    this.opt(l, 'sysctl', F, this.stringMap);
    this.opt(l, 'resources', F, this.resources);
    this.opt(l, 'cgroupsPath', F, this.string);
    this.opt(l, 'devices', F, this.devices);
    this.opt(l, 'seccomp', F, (s, f) => this.object(s, f)); // deep checks: runtime/seccomp
    this.opt(l, 'rootfsPropagation', F, (p, f) => {
      const value = this.string(p, f);
      if (value !== '' && propagationFlags(value) === undefined) throw this.bad(f, `unsupported value "${value}"`);
    });
    this.opt(l, 'maskedPaths', F, (a, f) => this.array(a, f).forEach((p, i) => this.absolute(p, `${f}[${i}]`)));
    this.opt(l, 'readonlyPaths', F, (a, f) => this.array(a, f).forEach((p, i) => this.absolute(p, `${f}[${i}]`)));
    this.lsm(l, 'mountLabel', F, this.opts.hostHasSelinux === true, 'SELinux');
    this.opt(l, 'personality', F, (pv, f) => {
      const p = this.object(pv, f, { domain: true, flags: true });
      const domain = this.string(this.required(p, 'domain', f), `${f}.domain`);
      if (domain !== 'LINUX' && domain !== 'LINUX32') throw this.bad(`${f}.domain`, `invalid personality domain "${domain}"`);
      if (Object.hasOwn(p, 'flags')) {
        const flags = this.stringArray(p.flags, `${f}.flags`);
        if (flags.length > 0) this.warnings.push(`${f}.flags: ignored, personality flags are not supported (as in runc)`);
        delete p.flags;
      }
    });
    return { namespaces, uidMappings, gidMappings };
  }

  namespaces(v: unknown, field: string): Map<NsType, string | undefined> {
    const out = new Map<NsType, string | undefined>();
    this.array(v, field).forEach((nv, i) => {
      const f = `${field}[${i}]`;
      const ns = this.object(nv, f, { type: true, path: true });
      const type = this.string(this.required(ns, 'type', f), `${f}.type`);
      if (type === 'time') throw this.unsupported(`${f}.type`, 'time namespace is not supported by skiff-runtime');
      if (!(SUPPORTED_NAMESPACES as readonly string[]).includes(type)) throw this.bad(`${f}.type`, `unknown namespace "${type}"`);
      if (out.has(type as NsType)) throw this.bad(f, `duplicate namespace "${type}"`);
      let path = this.opt(ns, 'path', f, this.string);
      if (path === '') {
        delete ns.path;
        path = undefined;
      }
      // any of the seven can be joined with setns(2); the file must be an nsfs path, absolute
      if (path !== undefined) this.absolute(path, `${f}.path`);
      out.set(type as NsType, path);
    });
    return out;
  }

  idMappings(v: unknown, field: string): IdMap[] {
    const maps = this.array(v, field).map((mv, i): IdMap => {
      const f = `${field}[${i}]`;
      const m = this.object(mv, f, { containerID: true, hostID: true, size: true });
      const containerID = this.uint32(this.required(m, 'containerID', f), `${f}.containerID`);
      const hostID = this.uint32(this.required(m, 'hostID', f), `${f}.hostID`);
      const size = this.uint32(this.required(m, 'size', f), `${f}.size`);
      if (size === 0) throw this.bad(`${f}.size`, 'must be greater than zero');
      if (containerID + size > UINT32_MAX + 1) throw this.bad(f, 'container range exceeds 4294967295');
      if (hostID + size > UINT32_MAX + 1) throw this.bad(f, 'host range exceeds 4294967295');
      return { containerID, hostID, size };
    });
    if (maps.length > MAX_ID_MAPPINGS) throw this.bad(field, `more than ${MAX_ID_MAPPINGS} mappings`);
    // the kernel refuses overlapping ranges on either side (kernel/user_namespace.c mappings_overlap)
    for (let i = 0; i < maps.length; i++) {
      for (let j = 0; j < i; j++) {
        const a = maps[i]!;
        const b = maps[j]!;
        if (overlaps(a.containerID, b.containerID, a.size, b.size)) throw this.bad(`${field}[${i}]`, `container range overlaps ${field}[${j}]`);
        if (overlaps(a.hostID, b.hostID, a.size, b.size)) throw this.bad(`${field}[${i}]`, `host range overlaps ${field}[${j}]`);
      }
    }
    return maps;
  }

  devices(v: unknown, field: string): void {
    this.array(v, field).forEach((dv, i) => {
      const f = `${field}[${i}]`;
      const d = this.object(dv, f, { path: true, type: true, major: true, minor: true, fileMode: true, uid: true, gid: true });
      this.absolute(this.required(d, 'path', f), `${f}.path`);
      const type = this.string(this.required(d, 'type', f), `${f}.type`);
      if (!['c', 'b', 'u', 'p'].includes(type)) throw this.bad(`${f}.type`, `invalid device type "${type}"`);
      if (type !== 'p') {
        this.uint32(this.required(d, 'major', f), `${f}.major`);
        this.uint32(this.required(d, 'minor', f), `${f}.minor`);
      } else {
        this.opt(d, 'major', f, this.uint32);
        this.opt(d, 'minor', f, this.uint32);
      }
      this.opt(d, 'fileMode', f, this.uint32);
      this.opt(d, 'uid', f, this.uint32);
      this.opt(d, 'gid', f, this.uint32);
    });
  }

  // --- resources ----------------------------------------------------------------------------

  resources(v: unknown, F: string): void {
    const r = this.object(v, F, RESOURCES_KEYS);
    this.opt(r, 'devices', F, (dv, field) => this.array(dv, field).forEach((rv, i) => {
      const f = `${field}[${i}]`;
      const d = this.object(rv, f, { allow: true, type: true, major: true, minor: true, access: true });
      this.boolean(this.required(d, 'allow', f), `${f}.allow`);
      const type = this.opt(d, 'type', f, this.string);
      if (type !== undefined && type !== '' && !['a', 'c', 'b'].includes(type)) throw this.bad(`${f}.type`, `invalid cgroup device type "${type}"`);
      this.opt(d, 'major', f, (n, nf) => this.integer(n, nf, -1, UINT32_MAX));
      this.opt(d, 'minor', f, (n, nf) => this.integer(n, nf, -1, UINT32_MAX));
      const access = this.opt(d, 'access', f, this.string);
      if (access === undefined || access === '') throw this.bad(`${f}.access`, 'must not be empty');
      if (!/^[rwm]{1,3}$/.test(access) || new Set(access).size !== access.length) throw this.bad(`${f}.access`, `invalid access "${access}"`);
    }));
    this.opt(r, 'memory', F, this.memory);
    this.opt(r, 'cpu', F, this.cpu);
    this.opt(r, 'pids', F, (pv, f) => {
      const p = this.object(pv, f, { limit: true });
      // 0 and negative values mean no limit (runc writes "max"); docker sends -1 to unset
      this.integer(this.required(p, 'limit', f), `${f}.limit`, -1, INT64_MAX);
    });
    this.opt(r, 'blockIO', F, this.blockIO);
    this.opt(r, 'hugepageLimits', F, (hv, field) => this.array(hv, field).forEach((lv, i) => {
      const f = `${field}[${i}]`;
      const l = this.object(lv, f, { pageSize: true, limit: true });
      const size = this.string(this.required(l, 'pageSize', f), `${f}.pageSize`);
      // it becomes part of a cgroup file name (hugetlb.<size>.max)
      if (!/^[1-9][0-9]*[KMGTP]B$/.test(size)) throw this.bad(`${f}.pageSize`, `invalid page size "${size}"`);
      this.uint64(this.required(l, 'limit', f), `${f}.limit`);
    }));
    this.opt(r, 'network', F, (nv, f) => {
      const n = this.object(nv, f, { classID: true, priorities: true });
      this.opt(n, 'classID', f, this.uint32);
      this.opt(n, 'priorities', f, (pv, pf) => this.array(pv, pf).forEach((e, i) => {
        const ef = `${pf}[${i}]`;
        const p = this.object(e, ef, { name: true, priority: true });
        const name = this.string(this.required(p, 'name', ef), `${ef}.name`);
        if (name === '' || /[\s/]/.test(name)) throw this.bad(`${ef}.name`, `invalid interface name "${name}"`);
        this.uint32(this.required(p, 'priority', ef), `${ef}.priority`);
      }));
    });
    this.opt(r, 'unified', F, (uv, f) => {
      for (const k of Object.keys(this.stringMap(uv, f))) {
        // a file name in the container's cgroup directory, never a path
        if (!/^[a-z0-9_]+\.[A-Za-z0-9_.]+$/.test(k)) throw this.bad(`${f}[${JSON.stringify(k)}]`, 'must be a cgroup file name such as "memory.high"');
      }
    });
  }

  memory(v: unknown, F: string): void {
    const m = this.object(v, F, {
      limit: true, reservation: true, swap: true, kernel: true, kernelTCP: true, swappiness: true,
      disableOOMKiller: true, useHierarchy: true, checkBeforeUpdate: true,
    });
    const limit = this.opt(m, 'limit', F, (n, f) => this.integer(n, f, -1, INT64_MAX));
    this.opt(m, 'reservation', F, (n, f) => this.integer(n, f, -1, INT64_MAX));
    const swap = this.opt(m, 'swap', F, (n, f) => this.integer(n, f, -1, INT64_MAX));
    if (limit !== undefined && swap !== undefined && limit > 0 && swap > 0 && swap < limit) {
      throw this.bad(`${F}.swap`, `memory+swap limit ${swap} is less than the memory limit ${limit}`);
    }
    this.opt(m, 'swappiness', F, (n, f) => this.integer(n, f, 0, 100));
    this.opt(m, 'disableOOMKiller', F, this.boolean);
    this.opt(m, 'checkBeforeUpdate', F, this.boolean);
    this.opt(m, 'kernel', F, this.int64);
    this.opt(m, 'kernelTCP', F, this.int64);
    this.opt(m, 'useHierarchy', F, this.boolean);
    this.warn(m, 'kernel', F, 'ignored, kernel memory limits are deprecated (as in runc)');
    this.warn(m, 'kernelTCP', F, 'ignored, kernel memory limits are deprecated (as in runc)');
    this.warn(m, 'useHierarchy', F, 'ignored (as in runc)');
  }

  cpu(v: unknown, F: string): void {
    const c = this.object(v, F, {
      shares: true, quota: true, burst: true, period: true, realtimeRuntime: true, realtimePeriod: true, cpus: true,
      mems: true, idle: true,
    });
    this.opt(c, 'shares', F, (n, f) => {
      // 0 = unset; otherwise the cgroup v1 range (MIN_SHARES..MAX_SHARES), which runc converts for v2
      const shares = this.uint64(n, f);
      if (shares !== 0 && (shares < 2 || shares > 262144)) throw this.bad(f, 'must be between 2 and 262144');
    });
    this.opt(c, 'quota', F, (n, f) => {
      const quota = this.integer(n, f, -1, INT64_MAX);
      if (quota > 0 && quota < 1000) throw this.bad(f, 'must be at least 1000 (1ms), or -1 for no limit');
    });
    this.opt(c, 'period', F, (n, f) => {
      const period = this.uint64(n, f);
      if (period !== 0 && (period < 1000 || period > 1000000)) throw this.bad(f, 'must be between 1000 and 1000000');
    });
    this.opt(c, 'burst', F, this.uint64);
    this.opt(c, 'realtimeRuntime', F, this.int64);
    this.opt(c, 'realtimePeriod', F, this.uint64);
    this.opt(c, 'cpus', F, this.cpuList);
    this.opt(c, 'mems', F, this.cpuList);
    this.opt(c, 'idle', F, (n, f) => this.integer(n, f, 0, 1));
  }

  /** A cpuset list: "0-3,5,7-8"; empty means unset. */
  cpuList(v: unknown, field: string): void {
    const s = this.string(v, field);
    if (s === '') return;
    for (const part of s.split(',')) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (m === null || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) throw this.bad(field, `invalid list "${s}"`);
    }
  }

  blockIO(v: unknown, F: string): void {
    const b = this.object(v, F, {
      weight: true, leafWeight: true, weightDevice: true, throttleReadBpsDevice: true, throttleWriteBpsDevice: true,
      throttleReadIOPSDevice: true, throttleWriteIOPSDevice: true,
    });
    this.opt(b, 'weight', F, this.blkioWeight);
    this.opt(b, 'leafWeight', F, this.blkioWeight);
    this.opt(b, 'weightDevice', F, (a, field) => this.array(a, field).forEach((dv, i) => {
      const f = `${field}[${i}]`;
      const d = this.object(dv, f, { major: true, minor: true, weight: true, leafWeight: true });
      this.int64(this.required(d, 'major', f), `${f}.major`);
      this.int64(this.required(d, 'minor', f), `${f}.minor`);
      this.opt(d, 'weight', f, this.blkioWeight);
      this.opt(d, 'leafWeight', f, this.blkioWeight);
    }));
    for (const key of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice']) {
      this.opt(b, key, F, (a, field) => this.array(a, field).forEach((dv, i) => {
        const f = `${field}[${i}]`;
        const d = this.object(dv, f, { major: true, minor: true, rate: true });
        this.int64(this.required(d, 'major', f), `${f}.major`);
        this.int64(this.required(d, 'minor', f), `${f}.minor`);
        this.uint64(this.required(d, 'rate', f), `${f}.rate`);
      }));
    }
  }

  /** 0 means unset (docker always sends blockIO.weight, 0 by default); otherwise CFQ/BFQ's 10..1000. */
  blkioWeight(v: unknown, field: string): void {
    const w = this.integer(v, field, 0, 65535);
    if (w !== 0 && (w < 10 || w > 1000)) throw this.bad(field, 'must be between 10 and 1000');
  }

  // --- rules that span fields ---------------------------------------------------------------

  crossChecks(s: Spec, linux: LinuxFacts | undefined): void {
    const ns = linux?.namespaces ?? new Map<NsType, string | undefined>();
    if (s.hostname !== undefined && s.hostname !== '' && !ns.has('uts')) {
      throw this.bad('hostname', 'unable to set hostname without a private UTS namespace');
    }
    if (s.domainname !== undefined && s.domainname !== '' && !ns.has('uts')) {
      throw this.bad('domainname', 'unable to set domainname without a private UTS namespace');
    }
    const l = s.linux;
    if (l === undefined) return;
    if (ns.has('user') && ns.get('user') === undefined) {
      // a new user namespace needs maps; a joined one brings its own (runc tolerates both when they match)
      if (linux?.uidMappings === undefined || linux.uidMappings.length === 0) throw this.bad('linux.uidMappings', 'required when linux.namespaces has user');
      if (linux.gidMappings === undefined || linux.gidMappings.length === 0) throw this.bad('linux.gidMappings', 'required when linux.namespaces has user');
    }
    if (!ns.has('user')) {
      if (linux?.uidMappings !== undefined) throw this.bad('linux.uidMappings', 'user namespace mappings specified, but linux.namespaces has no user namespace');
      if (linux?.gidMappings !== undefined) throw this.bad('linux.gidMappings', 'user namespace mappings specified, but linux.namespaces has no user namespace');
    }
    if (!ns.has('mount')) {
      if ((l.maskedPaths?.length ?? 0) > 0) throw this.bad('linux.maskedPaths', 'unable to restrict sys entries without a private MNT namespace');
      if ((l.readonlyPaths?.length ?? 0) > 0) throw this.bad('linux.readonlyPaths', 'unable to restrict sys entries without a private MNT namespace');
    }
    for (const key of Object.keys(l.sysctl ?? {})) this.sysctl(key, ns);
  }

  /** runc's rule: a sysctl may be set only when the container has its own namespace for it. */
  sysctl(key: string, ns: Map<NsType, string | undefined>): void {
    const f = `linux.sysctl[${JSON.stringify(key)}]`;
    const name = sysctlDots(key);
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_/:@+-]+)+$/.test(name)) throw this.bad(f, `invalid sysctl name "${key}"`);
    if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) {
      if (!ns.has('ipc')) throw this.bad(f, `sysctl "${name}" is not allowed in the hosts ipc namespace`);
      return;
    }
    if (name.startsWith('net.')) {
      // a joined netns (docker --net=container:, podman's netns path) is fine; only the host's is not,
      // and whether a path is the host's is for the runtime to check
      if (!ns.has('network')) throw this.bad(f, `sysctl "${name}" not allowed in host network namespace`);
      return;
    }
    if (ns.has('uts')) {
      if (name === 'kernel.domainname') return;
      if (name === 'kernel.hostname') throw this.bad(f, `sysctl "${name}" is not allowed as it conflicts with the OCI "hostname" field`);
    }
    throw this.bad(f, `sysctl "${name}" is not in a separate kernel namespace`);
  }
}

interface IdMap { containerID: number; hostID: number; size: number }

interface LinuxFacts {
  namespaces: Map<NsType, string | undefined>;
  uidMappings: IdMap[] | undefined;
  gidMappings: IdMap[] | undefined;
}

function join(field: string, key: string): string {
  return field === '' ? key : `${field}.${key}`;
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

function overlaps(a: number, b: number, sizeA: number, sizeB: number): boolean {
  return a < b + sizeB && b < a + sizeA;
}

/** sysctl(8) accepts "/" as the separator: "net/ipv4/conf/eth0.100/rp_filter" → "net.ipv4.conf.eth0/100.rp_filter". */
export function sysctlDots(name: string): string {
  const first = name.search(/[./]/);
  if (first === -1 || name[first] === '.') return name;
  return name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/**
 * Checks a parsed config.json and returns it as a Spec (a copy, with nulls and skipped fields
 * removed) plus the warnings for what was skipped.
 * Throws SkiffError InvalidArgument for what runc would refuse, NotImplemented for what skiff-runtime
 * cannot do; the message starts with the field.
 */
export function validateRuntimeSpec(raw: unknown, opts: ValidateRuntimeSpecOptions = {}): ValidatedRuntimeSpec {
  const checker = new Checker(opts);
  let copy: unknown;
  try {
    copy = structuredClone(raw);
  } catch (err) {
    throw new SkiffError('InvalidArgument', 'config: must be JSON data', { cause: err });
  }
  const spec = checker.spec(copy);
  return { spec, warnings: checker.warnings };
}

/** The same checks for a lone process (`runc exec --process process.json`), fields named `process.*`. */
export function validateProcessSpec(raw: unknown, opts: ValidateRuntimeSpecOptions = {}): { process: Process; warnings: string[] } {
  const checker = new Checker(opts);
  let copy: unknown;
  try {
    copy = structuredClone(raw);
  } catch (err) {
    throw new SkiffError('InvalidArgument', 'process: must be JSON data', { cause: err });
  }
  checker.process(copy);
  return { process: copy as Process, warnings: checker.warnings };
}
