// validateRuntimeSpec: each rule with its exact message, runc's and the engines' specs accepted,
// unsupported fields refused as NotImplemented, LSM fields warned on hosts without the LSM.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRuntimeSpec, validateProcessSpec, defaultSpec, sysctlDots, type ValidateRuntimeSpecOptions } from '../../../src/oci/index.js';
import type { ErrorCode } from '../../../src/base/index.js';
import { dockerSpec, podmanSpec, ALWAYS_SENT } from './engine-specs.js';

type Raw = any;

const base = (): Raw => JSON.parse(JSON.stringify(defaultSpec())) as Raw;

function expectError(mutate: (s: Raw) => void, code: ErrorCode, message: string, opts?: ValidateRuntimeSpecOptions, start: () => Raw = base): void {
  const s = start();
  mutate(s);
  assert.throws(() => validateRuntimeSpec(s, opts), (err: unknown) => {
    assert.equal((err as { message?: string }).message, message);
    assert.equal((err as { code?: string }).code, code, message);
    return true;
  });
}

function expectOk(mutate: (s: Raw) => void, opts?: ValidateRuntimeSpecOptions, start: () => Raw = base): { spec: Raw; warnings: string[] } {
  const s = start();
  mutate(s);
  return validateRuntimeSpec(s, opts);
}

function get(o: Raw, path: string): unknown {
  return path.split('.').reduce((v: Raw, k) => (v === undefined ? undefined : v[k]), o);
}

void test('runc spec and runc spec --rootless pass unchanged, with no warnings', () => {
  for (const spec of [defaultSpec(), defaultSpec({ rootless: true, hostUid: 1000, hostGid: 1000 }), defaultSpec({ cgroupNamespace: false })]) {
    const { spec: out, warnings } = validateRuntimeSpec(JSON.parse(JSON.stringify(spec)));
    assert.deepEqual(out, spec);
    assert.deepEqual(warnings, []);
  }
});

void test('docker 28 and podman 4 specs pass, with every field they always send', () => {
  for (const make of [dockerSpec, podmanSpec]) {
    const { spec, warnings } = validateRuntimeSpec(make());
    assert.deepEqual(spec, make());
    assert.deepEqual(warnings, []);
  }
  for (const field of ALWAYS_SENT) {
    assert.ok(get(dockerSpec(), field) !== undefined || get(podmanSpec(), field) !== undefined, field);
  }
});

void test('the input is not modified; nulls are dropped from the copy', () => {
  const raw = base();
  raw.domainname = null;
  raw.linux.resources.devices[0].major = null;
  const { spec } = validateRuntimeSpec(raw);
  assert.equal('domainname' in spec, false);
  assert.equal('major' in (spec.linux!.resources!.devices![0]!), false);
  assert.equal(raw.domainname, null);
});

void test('docker with apparmor host and profile: refused; docker-default on a host without AppArmor: warned and dropped', () => {
  const r = expectOk((s) => { s.process.apparmorProfile = 'docker-default'; }, {}, dockerSpec);
  assert.deepEqual(r.warnings, ['process.apparmorProfile: ignored, AppArmor is not enabled on this host']);
  assert.equal(r.spec.process.apparmorProfile, undefined);
  expectError((s) => { s.process.apparmorProfile = 'docker-default'; }, 'NotImplemented', 'process.apparmorProfile: not supported by skiff-runtime', { hostHasApparmor: true });
  // an empty string is "not set"
  assert.deepEqual(expectOk((s) => { s.process.apparmorProfile = ''; }, { hostHasApparmor: true }).warnings, []);
});

void test('SELinux labels: warned without SELinux, refused with it', () => {
  const r = expectOk((s) => { s.process.selinuxLabel = 'system_u:system_r:container_t:s0'; s.linux.mountLabel = 'system_u:object_r:container_file_t:s0'; });
  assert.deepEqual(r.warnings, [
    'process.selinuxLabel: ignored, SELinux is not enabled on this host',
    'linux.mountLabel: ignored, SELinux is not enabled on this host',
  ]);
  assert.equal(r.spec.linux.mountLabel, undefined);
  expectError((s) => { s.process.selinuxLabel = 'x'; }, 'NotImplemented', 'process.selinuxLabel: not supported by skiff-runtime', { hostHasSelinux: true });
  expectError((s) => { s.linux.mountLabel = 'x'; }, 'NotImplemented', 'linux.mountLabel: not supported by skiff-runtime', { hostHasSelinux: true });
});

void test('warned and dropped: personality flags, kernel memory, useHierarchy', () => {
  const r = expectOk((s) => {
    s.linux.personality = { domain: 'LINUX32', flags: ['ADDR_NO_RANDOMIZE'] };
    s.linux.resources.memory = { limit: 1 << 20, kernel: 1 << 20, kernelTCP: 1 << 20, useHierarchy: true };
  });
  assert.deepEqual(r.warnings, [
    'linux.resources.memory.kernel: ignored, kernel memory limits are deprecated (as in runc)',
    'linux.resources.memory.kernelTCP: ignored, kernel memory limits are deprecated (as in runc)',
    'linux.resources.memory.useHierarchy: ignored (as in runc)',
    'linux.personality.flags: ignored, personality flags are not supported (as in runc)',
  ]);
  assert.deepEqual(r.spec.linux.personality, { domain: 'LINUX32' });
  assert.deepEqual(r.spec.linux.resources.memory, { limit: 1 << 20 });
});

const NI: [string, (s: Raw) => void, string][] = [
  ['linux.intelRdt', (s) => { s.linux.intelRdt = { closID: 'x' }; }, 'linux.intelRdt: not supported by skiff-runtime'],
  ['linux.timeOffsets', (s) => { s.linux.timeOffsets = { monotonic: { secs: 1 } }; }, 'linux.timeOffsets: not supported by skiff-runtime'],
  ['linux.memoryPolicy', (s) => { s.linux.memoryPolicy = { mode: 'MPOL_BIND' }; }, 'linux.memoryPolicy: not supported by skiff-runtime'],
  ['linux.netDevices', (s) => { s.linux.netDevices = { eth1: {} }; }, 'linux.netDevices: not supported by skiff-runtime'],
  ['linux.resources.rdma', (s) => { s.linux.resources.rdma = { mlx5_1: { hcaHandles: 3 } }; }, 'linux.resources.rdma: not supported by skiff-runtime'],
  ['time namespace', (s) => { s.linux.namespaces.push({ type: 'time' }); }, 'linux.namespaces[6].type: time namespace is not supported by skiff-runtime'],
  ['process.scheduler', (s) => { s.process.scheduler = { policy: 'SCHED_OTHER' }; }, 'process.scheduler: not supported by skiff-runtime'],
  ['process.ioPriority', (s) => { s.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 1 }; }, 'process.ioPriority: not supported by skiff-runtime'],
  ['process.execCPUAffinity', (s) => { s.process.execCPUAffinity = { initial: '0' }; }, 'process.execCPUAffinity: not supported by skiff-runtime'],
  ['process.commandLine', (s) => { s.process.commandLine = 'cmd.exe'; }, 'process.commandLine: not supported by skiff-runtime'],
  ['process.user.username', (s) => { s.process.user.username = 'Administrator'; }, 'process.user.username: not supported by skiff-runtime'],
  ['mounts[].uidMappings', (s) => { s.mounts[0].uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; }, 'mounts[0].uidMappings: not supported by skiff-runtime'],
  ['mounts[].gidMappings', (s) => { s.mounts[1].gidMappings = []; }, 'mounts[1].gidMappings: not supported by skiff-runtime'],
  ['idmap option', (s) => { s.mounts[1].options.push('idmap'); }, 'mounts[1].options[4]: "idmap" (idmapped mounts) is not supported by skiff-runtime'],
  ['ridmap option', (s) => { s.mounts[0].options = ['rbind', 'ridmap']; }, 'mounts[0].options[1]: "ridmap" (idmapped mounts) is not supported by skiff-runtime'],
  ['windows', (s) => { s.windows = {}; }, 'windows: not supported by skiff-runtime'],
  ['solaris', (s) => { s.solaris = {}; }, 'solaris: not supported by skiff-runtime'],
  ['vm', (s) => { s.vm = { hypervisor: {} }; }, 'vm: not supported by skiff-runtime'],
  ['zos', (s) => { s.zos = {}; }, 'zos: not supported by skiff-runtime'],
  ['unknown top-level key', (s) => { s.platform = { os: 'linux' }; }, 'platform: unknown field, not supported by skiff-runtime'],
  ['unknown process key', (s) => { s.process.foo = 1; }, 'process.foo: unknown field, not supported by skiff-runtime'],
  ['unknown linux key', (s) => { s.linux.bar = true; }, 'linux.bar: unknown field, not supported by skiff-runtime'],
  ['unknown mount key', (s) => { s.mounts[2].flags = 1; }, 'mounts[2].flags: unknown field, not supported by skiff-runtime'],
  ['unknown resources key', (s) => { s.linux.resources.memroy = {}; }, 'linux.resources.memroy: unknown field, not supported by skiff-runtime'],
  ['unknown cpu key', (s) => { s.linux.resources.cpu = { share: 2 }; }, 'linux.resources.cpu.share: unknown field, not supported by skiff-runtime'],
  ['capabilities unknown set', (s) => { s.process.capabilities.all = []; }, 'process.capabilities.all: unknown field, not supported by skiff-runtime'],
  ['unknown hook kind', (s) => { s.hooks = { prestop: [] }; }, 'hooks.prestop: unknown field, not supported by skiff-runtime'],
  ['prototype key', (s) => { s.process = JSON.parse(JSON.stringify(s.process).replace('{', '{"__proto__":{},')) as Raw; }, 'process.__proto__: unknown field, not supported by skiff-runtime'],
  ['ociVersion 2', (s) => { s.ociVersion = '2.0.0'; }, 'ociVersion: version "2.0.0" is not supported by skiff-runtime'],
];

void test('unsupported fields are refused as NotImplemented, naming the field', async (t) => {
  for (const [name, mutate, message] of NI) {
    await t.test(name, () => expectError(mutate, 'NotImplemented', message));
  }
});

const INVALID: [string, (s: Raw) => void, string][] = [
  // top level and types
  ['empty object', (s) => { for (const k of Object.keys(s)) delete s[k]; }, 'ociVersion: required'],
  ['ociVersion missing', (s) => { delete s.ociVersion; }, 'ociVersion: required'],
  ['ociVersion not semver', (s) => { s.ociVersion = '1.0'; }, 'ociVersion: "1.0" is not a semantic version'],
  ['ociVersion number', (s) => { s.ociVersion = 1; }, 'ociVersion: must be a string'],
  ['process missing', (s) => { delete s.process; }, 'process: required'],
  ['process not an object', (s) => { s.process = []; }, 'process: must be an object'],
  ['root missing', (s) => { delete s.root; }, 'root: required'],
  ['root.path missing', (s) => { s.root = {}; }, 'root.path: required'],
  ['root.path empty', (s) => { s.root.path = ''; }, 'root.path: must not be empty'],
  ['root.readonly type', (s) => { s.root.readonly = 'yes'; }, 'root.readonly: must be a boolean'],
  ['hostname type', (s) => { s.hostname = 5; }, 'hostname: must be a string'],
  ['hostname too long', (s) => { s.hostname = 'h'.repeat(65); }, 'hostname: longer than 64 bytes'],
  ['annotations value', (s) => { s.annotations = { a: 1 }; }, 'annotations["a"]: must be a string'],
  ['annotations empty key', (s) => { s.annotations = { '': 'x' }; }, 'annotations: keys must not be empty'],
  // process
  ['process.terminal type', (s) => { s.process.terminal = 1; }, 'process.terminal: must be a boolean'],
  ['consoleSize.height', (s) => { s.process.consoleSize = { width: 80 }; }, 'process.consoleSize.height: required'],
  ['consoleSize.width negative', (s) => { s.process.consoleSize = { height: 1, width: -1 }; }, 'process.consoleSize.width: must be between 0 and 4294967295'],
  ['process.user missing', (s) => { delete s.process.user; }, 'process.user: required'],
  ['process.user.uid missing', (s) => { delete s.process.user.uid; }, 'process.user.uid: required'],
  ['process.user.gid float', (s) => { s.process.user.gid = 1.5; }, 'process.user.gid: must be an integer'],
  ['process.user.uid too big', (s) => { s.process.user.uid = 2 ** 32; }, 'process.user.uid: must be between 0 and 4294967295'],
  ['process.user.umask', (s) => { s.process.user.umask = 0o1000; }, 'process.user.umask: must be between 0 and 511'],
  ['additionalGids entry', (s) => { s.process.user.additionalGids = [1, 'x']; }, 'process.user.additionalGids[1]: must be an integer'],
  ['args missing', (s) => { delete s.process.args; }, 'process.args: must not be empty'],
  ['args empty', (s) => { s.process.args = []; }, 'process.args: must not be empty'],
  ['args entry type', (s) => { s.process.args = ['sh', 1]; }, 'process.args[1]: must be a string'],
  ['args NUL', (s) => { s.process.args = ['s\0h']; }, 'process.args[0]: must not contain a NUL byte'],
  ['env entry', (s) => { s.process.env.push('=x'); }, 'process.env[2]: invalid environment variable "=x": name cannot be empty'],
  ['cwd missing', (s) => { delete s.process.cwd; }, 'process.cwd: required'],
  ['cwd empty', (s) => { s.process.cwd = ''; }, 'process.cwd: required'],
  ['cwd relative', (s) => { s.process.cwd = 'tmp'; }, 'process.cwd: must be absolute'],
  ['capability unknown', (s) => { s.process.capabilities.bounding.push('CAP_FOO'); }, 'process.capabilities.bounding[3]: unknown capability "CAP_FOO"'],
  ['capability lower case', (s) => { s.process.capabilities.ambient = ['cap_kill']; }, 'process.capabilities.ambient[0]: unknown capability "cap_kill"'],
  ['capability set type', (s) => { s.process.capabilities.effective = 'CAP_KILL'; }, 'process.capabilities.effective: must be an array'],
  ['rlimit unknown', (s) => { s.process.rlimits[0].type = 'RLIMIT_FOO'; }, 'process.rlimits[0].type: unknown rlimit "RLIMIT_FOO"'],
  ['rlimit soft > hard', (s) => { s.process.rlimits[0].soft = 2048; }, 'process.rlimits[0]: soft limit 2048 is greater than hard limit 1024'],
  ['rlimit duplicate', (s) => { s.process.rlimits.push({ type: 'RLIMIT_NOFILE', hard: 1, soft: 1 }); }, 'process.rlimits[1].type: duplicate rlimit "RLIMIT_NOFILE"'],
  ['rlimit hard missing', (s) => { delete s.process.rlimits[0].hard; }, 'process.rlimits[0].hard: required'],
  ['rlimit negative', (s) => { s.process.rlimits[0].soft = -1; }, 'process.rlimits[0].soft: must be between 0 and 18446744073709552000'],
  ['noNewPrivileges type', (s) => { s.process.noNewPrivileges = 'true'; }, 'process.noNewPrivileges: must be a boolean'],
  ['oomScoreAdj range', (s) => { s.process.oomScoreAdj = 1001; }, 'process.oomScoreAdj: must be between -1000 and 1000'],
  // mounts
  ['mounts type', (s) => { s.mounts = {}; }, 'mounts: must be an array'],
  ['mount destination missing', (s) => { delete s.mounts[3].destination; }, 'mounts[3].destination: required'],
  ['mount destination relative', (s) => { s.mounts[3].destination = 'dev/shm'; }, 'mounts[3].destination: must be absolute'],
  ['mount options type', (s) => { s.mounts[1].options = 'ro'; }, 'mounts[1].options: must be an array'],
  ['mount without type', (s) => { delete s.mounts[0].type; }, 'mounts[0].type: required for a mount that is not a bind mount'],
  ['mount source NUL', (s) => { s.mounts[0].source = 'pr\0c'; }, 'mounts[0].source: must not contain a NUL byte'],
  // hooks
  ['hook path relative', (s) => { s.hooks = { poststart: [{ path: 'hook.sh' }] }; }, 'hooks.poststart[0].path: must be absolute'],
  ['hook path missing', (s) => { s.hooks = { prestart: [{ args: [] }] }; }, 'hooks.prestart[0].path: required'],
  ['hook timeout zero', (s) => { s.hooks = { createRuntime: [{ path: '/bin/true', timeout: 0 }] }; }, 'hooks.createRuntime[0].timeout: must be greater than zero'],
  ['hook timeout float', (s) => { s.hooks = { poststop: [{ path: '/bin/true', timeout: 1.5 }] }; }, 'hooks.poststop[0].timeout: must be an integer'],
  ['hook args type', (s) => { s.hooks = { startContainer: [{ path: '/bin/true', args: 'x' }] }; }, 'hooks.startContainer[0].args: must be an array'],
  ['hooks kind type', (s) => { s.hooks = { createContainer: {} }; }, 'hooks.createContainer: must be an array'],
  // namespaces
  ['namespace unknown', (s) => { s.linux.namespaces.push({ type: 'foo' }); }, 'linux.namespaces[6].type: unknown namespace "foo"'],
  ['namespace duplicate', (s) => { s.linux.namespaces.push({ type: 'pid' }); }, 'linux.namespaces[6]: duplicate namespace "pid"'],
  ['namespace path relative', (s) => { s.linux.namespaces[1].path = 'proc/1/ns/net'; }, 'linux.namespaces[1].path: must be absolute'],
  ['namespace type missing', (s) => { s.linux.namespaces[0] = {}; }, 'linux.namespaces[0].type: required'],
  ['hostname without uts', (s) => { s.linux.namespaces = s.linux.namespaces.filter((n: Raw) => n.type !== 'uts'); }, 'hostname: unable to set hostname without a private UTS namespace'],
  ['domainname without uts', (s) => { delete s.hostname; s.domainname = 'example.com'; s.linux.namespaces = s.linux.namespaces.filter((n: Raw) => n.type !== 'uts'); }, 'domainname: unable to set domainname without a private UTS namespace'],
  ['masked paths without mount ns', (s) => { s.linux.namespaces = s.linux.namespaces.filter((n: Raw) => n.type !== 'mount'); }, 'linux.maskedPaths: unable to restrict sys entries without a private MNT namespace'],
  ['readonly paths without mount ns', (s) => { s.linux.maskedPaths = []; s.linux.namespaces = s.linux.namespaces.filter((n: Raw) => n.type !== 'mount'); }, 'linux.readonlyPaths: unable to restrict sys entries without a private MNT namespace'],
  // id mappings
  ['userns without uidMappings', (s) => { s.linux.namespaces.push({ type: 'user' }); }, 'linux.uidMappings: required when linux.namespaces has user'],
  ['userns without gidMappings', (s) => { s.linux.namespaces.push({ type: 'user' }); s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; }, 'linux.gidMappings: required when linux.namespaces has user'],
  ['mappings without userns', (s) => { s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; }, 'linux.uidMappings: user namespace mappings specified, but linux.namespaces has no user namespace'],
  ['mapping size zero', (s) => { s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 0 }]; }, 'linux.uidMappings[0].size: must be greater than zero'],
  ['mapping hostID missing', (s) => { s.linux.gidMappings = [{ containerID: 0, size: 1 }]; }, 'linux.gidMappings[0].hostID: required'],
  ['mapping container overlap', (s) => { s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 10 }, { containerID: 5, hostID: 5000, size: 10 }]; }, 'linux.uidMappings[1]: container range overlaps linux.uidMappings[0]'],
  ['mapping host overlap', (s) => { s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 10 }, { containerID: 100, hostID: 1009, size: 1 }]; }, 'linux.gidMappings[1]: host range overlaps linux.gidMappings[0]'],
  ['mapping range past 2^32', (s) => { s.linux.uidMappings = [{ containerID: 4294967295, hostID: 0, size: 2 }]; }, 'linux.uidMappings[0]: container range exceeds 4294967295'],
  ['too many mappings', (s) => { s.linux.uidMappings = Array.from({ length: 341 }, (_, i) => ({ containerID: i, hostID: 1000 + i, size: 1 })); }, 'linux.uidMappings: more than 340 mappings'],
  // devices
  ['device type', (s) => { s.linux.devices = [{ path: '/dev/fuse', type: 'x', major: 10, minor: 229 }]; }, 'linux.devices[0].type: invalid device type "x"'],
  ['device path relative', (s) => { s.linux.devices = [{ path: 'dev/fuse', type: 'c', major: 10, minor: 229 }]; }, 'linux.devices[0].path: must be absolute'],
  ['device major missing', (s) => { s.linux.devices = [{ path: '/dev/fuse', type: 'c', minor: 229 }]; }, 'linux.devices[0].major: required'],
  ['device minor missing for u', (s) => { s.linux.devices = [{ path: '/dev/x', type: 'u', major: 1 }]; }, 'linux.devices[0].minor: required'],
  ['device fileMode', (s) => { s.linux.devices = [{ path: '/dev/x', type: 'b', major: 8, minor: 0, fileMode: -1 }]; }, 'linux.devices[0].fileMode: must be between 0 and 4294967295'],
  // paths, propagation, personality, seccomp
  ['masked path relative', (s) => { s.linux.maskedPaths.push('proc/kcore'); }, 'linux.maskedPaths[10]: must be absolute'],
  ['readonly path type', (s) => { s.linux.readonlyPaths = [1]; }, 'linux.readonlyPaths[0]: must be a string'],
  ['rootfsPropagation', (s) => { s.linux.rootfsPropagation = 'recursive'; }, 'linux.rootfsPropagation: unsupported value "recursive"'],
  ['personality domain', (s) => { s.linux.personality = { domain: 'LINUX64' }; }, 'linux.personality.domain: invalid personality domain "LINUX64"'],
  ['personality domain missing', (s) => { s.linux.personality = {}; }, 'linux.personality.domain: required'],
  ['seccomp not an object', (s) => { s.linux.seccomp = 'default'; }, 'linux.seccomp: must be an object'],
  ['cgroupsPath type', (s) => { s.linux.cgroupsPath = 1; }, 'linux.cgroupsPath: must be a string'],
  // sysctl
  ['net sysctl without netns', (s) => { s.linux.namespaces = s.linux.namespaces.filter((n: Raw) => n.type !== 'network'); s.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; }, 'linux.sysctl["net.ipv4.ip_forward"]: sysctl "net.ipv4.ip_forward" not allowed in host network namespace'],
  ['ipc sysctl without ipcns', (s) => { s.linux.namespaces = s.linux.namespaces.filter((n: Raw) => n.type !== 'ipc'); s.linux.sysctl = { 'kernel.shmmax': '1' }; }, 'linux.sysctl["kernel.shmmax"]: sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace'],
  ['mqueue sysctl without ipcns', (s) => { s.linux.namespaces = s.linux.namespaces.filter((n: Raw) => n.type !== 'ipc'); s.linux.sysctl = { 'fs/mqueue/msg_max': '1' }; }, 'linux.sysctl["fs/mqueue/msg_max"]: sysctl "fs.mqueue.msg_max" is not allowed in the hosts ipc namespace'],
  ['kernel.hostname conflicts', (s) => { s.linux.sysctl = { 'kernel.hostname': 'x' }; }, 'linux.sysctl["kernel.hostname"]: sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field'],
  ['kernel.domainname without uts', (s) => { delete s.hostname; s.linux.namespaces = s.linux.namespaces.filter((n: Raw) => n.type !== 'uts'); s.linux.sysctl = { 'kernel.domainname': 'x' }; }, 'linux.sysctl["kernel.domainname"]: sysctl "kernel.domainname" is not in a separate kernel namespace'],
  ['host-wide sysctl', (s) => { s.linux.sysctl = { 'vm.swappiness': '0' }; }, 'linux.sysctl["vm.swappiness"]: sysctl "vm.swappiness" is not in a separate kernel namespace'],
  ['sysctl name', (s) => { s.linux.sysctl = { 'net..x': '0' }; }, 'linux.sysctl["net..x"]: invalid sysctl name "net..x"'],
  ['sysctl value type', (s) => { s.linux.sysctl = { 'net.ipv4.ip_forward': 1 }; }, 'linux.sysctl["net.ipv4.ip_forward"]: must be a string'],
  // resources
  ['device rule access empty', (s) => { s.linux.resources.devices[0].access = ''; }, 'linux.resources.devices[0].access: must not be empty'],
  ['device rule access missing', (s) => { delete s.linux.resources.devices[0].access; }, 'linux.resources.devices[0].access: must not be empty'],
  ['device rule access letters', (s) => { s.linux.resources.devices[0].access = 'rwx'; }, 'linux.resources.devices[0].access: invalid access "rwx"'],
  ['device rule type', (s) => { s.linux.resources.devices[0].type = 'u'; }, 'linux.resources.devices[0].type: invalid cgroup device type "u"'],
  ['device rule allow', (s) => { delete s.linux.resources.devices[0].allow; }, 'linux.resources.devices[0].allow: required'],
  ['cpu.shares', (s) => { s.linux.resources.cpu = { shares: 1 }; }, 'linux.resources.cpu.shares: must be between 2 and 262144'],
  ['cpu.shares high', (s) => { s.linux.resources.cpu = { shares: 262145 }; }, 'linux.resources.cpu.shares: must be between 2 and 262144'],
  ['cpu.quota', (s) => { s.linux.resources.cpu = { quota: 999 }; }, 'linux.resources.cpu.quota: must be at least 1000 (1ms), or -1 for no limit'],
  ['cpu.period', (s) => { s.linux.resources.cpu = { period: 2000000 }; }, 'linux.resources.cpu.period: must be between 1000 and 1000000'],
  ['cpu.cpus', (s) => { s.linux.resources.cpu = { cpus: '0-a' }; }, 'linux.resources.cpu.cpus: invalid list "0-a"'],
  ['cpu.mems reversed', (s) => { s.linux.resources.cpu = { mems: '3-1' }; }, 'linux.resources.cpu.mems: invalid list "3-1"'],
  ['cpu.idle', (s) => { s.linux.resources.cpu = { idle: 2 }; }, 'linux.resources.cpu.idle: must be between 0 and 1'],
  ['blkio weight low', (s) => { s.linux.resources.blockIO = { weight: 5 }; }, 'linux.resources.blockIO.weight: must be between 10 and 1000'],
  ['blkio weight high', (s) => { s.linux.resources.blockIO = { weight: 1001 }; }, 'linux.resources.blockIO.weight: must be between 10 and 1000'],
  ['blkio weightDevice', (s) => { s.linux.resources.blockIO = { weightDevice: [{ major: 8, minor: 0, weight: 2000 }] }; }, 'linux.resources.blockIO.weightDevice[0].weight: must be between 10 and 1000'],
  ['blkio throttle rate', (s) => { s.linux.resources.blockIO = { throttleReadBpsDevice: [{ major: 8, minor: 0 }] }; }, 'linux.resources.blockIO.throttleReadBpsDevice[0].rate: required'],
  ['pids limit', (s) => { s.linux.resources.pids = { limit: -2 }; }, 'linux.resources.pids.limit: must be between -1 and 9223372036854776000'],
  ['pids limit missing', (s) => { s.linux.resources.pids = {}; }, 'linux.resources.pids.limit: required'],
  ['memory swappiness', (s) => { s.linux.resources.memory = { swappiness: 101 }; }, 'linux.resources.memory.swappiness: must be between 0 and 100'],
  ['memory limit', (s) => { s.linux.resources.memory = { limit: -2 }; }, 'linux.resources.memory.limit: must be between -1 and 9223372036854776000'],
  ['memory swap < limit', (s) => { s.linux.resources.memory = { limit: 2048, swap: 1024 }; }, 'linux.resources.memory.swap: memory+swap limit 1024 is less than the memory limit 2048'],
  ['hugepage size', (s) => { s.linux.resources.hugepageLimits = [{ pageSize: '../2MB', limit: 1 }]; }, 'linux.resources.hugepageLimits[0].pageSize: invalid page size "../2MB"'],
  ['unified key', (s) => { s.linux.resources.unified = { '../memory.max': '1' }; }, 'linux.resources.unified["../memory.max"]: must be a cgroup file name such as "memory.high"'],
  ['network priority name', (s) => { s.linux.resources.network = { priorities: [{ name: 'eth/0', priority: 1 }] }; }, 'linux.resources.network.priorities[0].name: invalid interface name "eth/0"'],
  ['network classID', (s) => { s.linux.resources.network = { classID: -1 }; }, 'linux.resources.network.classID: must be between 0 and 4294967295'],
];

void test('invalid specs are refused as InvalidArgument with the field first', async (t) => {
  for (const [name, mutate, message] of INVALID) {
    await t.test(name, () => expectError(mutate, 'InvalidArgument', message));
  }
});

void test('non-object configs', () => {
  for (const raw of [null, 1, 'x', []]) {
    assert.throws(() => validateRuntimeSpec(raw), { message: 'config: must be an object' });
  }
  assert.throws(() => validateRuntimeSpec({ f: () => 1 }), { message: 'config: must be JSON data' });
});

void test('accepted edge cases runc accepts too', () => {
  // docker: blockIO.weight 0, pids -1 (unset), memory swap -1, cpu shares 0 (unset)
  expectOk((s) => { s.linux.resources.blockIO = { weight: 0, leafWeight: 10 }; s.linux.resources.pids = { limit: -1 }; s.linux.resources.memory = { limit: 1 << 30, swap: -1, reservation: 0 }; s.linux.resources.cpu = { shares: 0, quota: -1, period: 100000, cpus: '0-3,5', mems: '0', idle: 1, realtimeRuntime: -1 }; });
  // joined namespaces: net.* sysctls allowed (podman's netns path), user ns path without mappings
  expectOk((s) => { s.linux.namespaces[1].path = '/run/netns/x'; s.linux.sysctl = { 'net.core.somaxconn': '1024', 'net/ipv4/conf/eth0.100/rp_filter': '1' }; });
  expectOk((s) => { s.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }); });
  // containerd/CRI-O send a userns path and its mappings together (runc tolerates it)
  expectOk((s) => { s.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }); s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]; s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]; });
  // every namespace can be joined
  expectOk((s) => { s.linux.namespaces = s.linux.namespaces.map((n: Raw) => ({ type: n.type, path: `/proc/1/ns/${n.type}` })); });
  // ipc and uts sysctls in their namespaces
  expectOk((s) => { s.linux.sysctl = { 'kernel.shm_rmid_forced': '1', 'kernel.sem': '250 32000 32 128', 'fs.mqueue.queues_max': '256', 'kernel.domainname': 'example.com' }; });
  // an empty namespace path means "new"
  expectOk((s) => { s.linux.namespaces[0].path = ''; });
  // bind mounts need no type; remount needs no type; relative bind source
  expectOk((s) => { s.mounts.push({ destination: '/data', source: 'data', options: ['rbind', 'ro'] }, { destination: '/data', options: ['remount', 'ro', 'bind'] }); });
  // every propagation value, hooks with timeouts, devices, rlimit infinity, all capabilities
  for (const p of ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable']) expectOk((s) => { s.linux.rootfsPropagation = p; });
  expectOk((s) => {
    s.hooks = { prestart: [{ path: '/bin/true', args: ['true'], env: ['A=1'], timeout: 5 }], poststop: [] };
    s.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }, { path: '/dev/fifo', type: 'p' }];
    s.process.rlimits.push({ type: 'RLIMIT_CORE', hard: JSON.parse('18446744073709551615') as number, soft: 0 });
    s.process.capabilities.bounding = ['CAP_CHOWN', 'CAP_CHECKPOINT_RESTORE', 'CAP_BPF', 'CAP_PERFMON'];
    s.process.user.umask = 0o022;
    s.process.oomScoreAdj = -1000;
    s.ociVersion = '1.2.1-rc.1+dev';
    s.annotations = { 'org.opencontainers.image.stopSignal': '15' };
    s.linux.resources.hugepageLimits = [{ pageSize: '2MB', limit: 0 }, { pageSize: '1GB', limit: 1 << 30 }];
    s.linux.resources.unified = { 'memory.high': '1G', 'io.weight': 'default 100' };
    s.linux.resources.network = { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }] };
  });
});

void test('sysctlDots converts sysctl(8) slash syntax like runc', () => {
  assert.equal(sysctlDots('net/ipv4/conf/eno2.100/rp_filter'), 'net.ipv4.conf.eno2/100.rp_filter');
  assert.equal(sysctlDots('net.ipv4.ip_forward'), 'net.ipv4.ip_forward');
  assert.equal(sysctlDots('kernel'), 'kernel');
  assert.equal(sysctlDots(''), '');
});

void test('validateProcessSpec: an exec process.json with the same rules', () => {
  const p = { ...defaultSpec().process!, args: ['ps'], apparmorProfile: 'x' };
  const r = validateProcessSpec(p);
  assert.deepEqual(r.warnings, ['process.apparmorProfile: ignored, AppArmor is not enabled on this host']);
  assert.deepEqual(r.process.args, ['ps']);
  assert.throws(() => validateProcessSpec({ ...p, cwd: 'x' }), { message: 'process.cwd: must be absolute' });
  assert.throws(() => validateProcessSpec({ ...p, ioPriority: {} }), { message: 'process.ioPriority: not supported by skiff-runtime' });
});
