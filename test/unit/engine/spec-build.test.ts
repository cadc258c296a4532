import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DOCKER_DEFAULT_CAPABILITIES, buildContainerSpec, mergeImageConfig, mergeTmpfsOptions, parseBind, tweakCapabilities, validateHostConfig,
} from '../../../src/engine/spec/index.js';
import { baseInput, SPEC_ID } from '../../fixtures/spec-input.js';

test('merge: docker rules for Env, Cmd/Entrypoint, WorkingDir, User, Labels, ports, volumes, StopSignal', () => {
  const image = {
    Env: ['PATH=/img', 'A=1'], Cmd: ['img-cmd'], Entrypoint: ['/ep'], WorkingDir: '/w', User: 'app', Labels: { a: '1', b: '2' },
    ExposedPorts: { '80/tcp': {} }, Volumes: { '/v': {} }, StopSignal: 'SIGQUIT',
  };
  const m = mergeImageConfig({ Env: ['A=2', 'B=3'], Labels: { b: 'x' }, ExposedPorts: { '443/tcp': {} } }, image);
  assert.deepEqual(m.Env, ['A=2', 'B=3', 'PATH=/img']);
  assert.deepEqual(m.Cmd, ['img-cmd']);
  assert.deepEqual(m.Entrypoint, ['/ep']);
  assert.equal(m.WorkingDir, '/w');
  assert.equal(m.User, 'app');
  assert.deepEqual(m.Labels, { b: 'x', a: '1' });
  assert.deepEqual(Object.keys(m.ExposedPorts!).sort(), ['443/tcp', '80/tcp']);
  assert.deepEqual(m.Volumes, { '/v': {} });
  assert.equal(m.StopSignal, 'SIGQUIT');
  // a user Cmd keeps the image entrypoint; a user entrypoint drops the image Cmd
  assert.deepEqual(mergeImageConfig({ Cmd: ['x'] }, image).Entrypoint, ['/ep']);
  const ep = mergeImageConfig({ Entrypoint: ['/mine'] }, image);
  assert.deepEqual([ep.Entrypoint, ep.Cmd ?? null], [['/mine'], null]);
  assert.deepEqual(mergeImageConfig({ Env: [] }, image).Env, ['PATH=/img', 'A=1']);
});

test("capabilities: docker's 14 defaults, add/drop, ALL, privileged", () => {
  assert.deepEqual(tweakCapabilities([], [], false), [...DOCKER_DEFAULT_CAPABILITIES]);
  assert.equal(DOCKER_DEFAULT_CAPABILITIES.length, 14);
  const t = tweakCapabilities(['net_admin'], ['CAP_CHOWN'], false);
  assert.deepEqual(t, [...DOCKER_DEFAULT_CAPABILITIES.slice(1), 'CAP_NET_ADMIN']);
  assert.deepEqual(tweakCapabilities(['NET_ADMIN'], ['ALL'], false), ['CAP_NET_ADMIN']);
  const all = tweakCapabilities(['ALL'], ['SYS_ADMIN'], false, 40);
  assert.equal(all.length, 40);
  assert.equal(all.includes('CAP_SYS_ADMIN'), false);
  assert.equal(tweakCapabilities([], [], true, 37).length, 38);
  assert.throws(() => tweakCapabilities(['NOPE'], [], false), { code: 'InvalidArgument', message: 'unknown capability: "CAP_NOPE"' });
});

test('default spec: process, env, namespaces, default mounts, devices, resources, masked paths', async (t) => {
  const { spec, user } = await buildContainerSpec(baseInput(t, { config: { Hostname: 'h1', Cmd: ['sh', '-c', 'x'], Env: ['PATH=/mine', 'X=1'], Tty: true } }));
  const p = spec.process!;
  assert.deepEqual(p.args, ['sh', '-c', 'x']);
  assert.deepEqual(p.env, ['PATH=/mine', 'HOSTNAME=h1', 'TERM=xterm', 'X=1']);
  assert.equal(p.terminal, true);
  assert.deepEqual(p.user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.deepEqual(user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.deepEqual(p.capabilities!.effective, [...DOCKER_DEFAULT_CAPABILITIES]);
  assert.equal(p.oomScoreAdj, 0);
  assert.equal(p.noNewPrivileges, undefined);
  assert.equal(spec.hostname, 'h1');
  assert.deepEqual(spec.linux!.namespaces!.map((n) => n.type), ['mount', 'network', 'uts', 'pid', 'ipc']);
  assert.deepEqual(spec.mounts!.map((m) => m.destination), [
    '/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts',
  ]);
  assert.deepEqual(spec.mounts![6]!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864']);
  assert.deepEqual(spec.mounts![7], { destination: '/etc/resolv.conf', type: 'bind', source: '/c/resolv.conf', options: ['rbind', 'rprivate'] });
  assert.deepEqual(spec.linux!.resources, {
    devices: spec.linux!.resources!.devices, memory: { disableOOMKiller: false }, cpu: { shares: 0 }, blockIO: { weight: 0 },
  });
  assert.equal(spec.linux!.resources!.devices!.length, 8);
  assert.deepEqual(spec.linux!.sysctl, { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' });
  assert.equal(spec.linux!.maskedPaths!.length, 10);
  assert.equal(spec.linux!.cgroupsPath, `/skiff/${SPEC_ID}`);
});

test('user app: bounding set only; GroupAdd; no command is an error', async (t) => {
  const { spec } = await buildContainerSpec(baseInput(t, { config: { Cmd: ['sh'], User: 'app' }, hostConfig: { GroupAdd: ['7'] } }));
  assert.deepEqual(spec.process!.user, { uid: 1000, gid: 1000, additionalGids: [1000, 1001, 7] });
  assert.deepEqual(Object.keys(spec.process!.capabilities!), ['bounding']);
  await assert.rejects(buildContainerSpec(baseInput(t, { config: { Cmd: [] } })), { message: 'No command specified' });
  await assert.rejects(buildContainerSpec(baseInput(t, { config: { Cmd: ['sh'], User: 'ghost' } })), { message: 'unable to find user ghost: no matching entries in passwd file' });
});

test('privileged: all caps, no seccomp, no masked/readonly paths, rw /sys and cgroup, allow-all devices', async (t) => {
  const { spec } = await buildContainerSpec(baseInput(t, { hostConfig: { Privileged: true } }));
  assert.equal(spec.process!.capabilities!.bounding!.length, 41);
  assert.equal(spec.linux!.seccomp, undefined);
  assert.equal(spec.linux!.maskedPaths, undefined);
  assert.equal(spec.linux!.readonlyPaths, undefined);
  assert.deepEqual(spec.mounts!.find((m) => m.destination === '/sys')!.options, ['nosuid', 'noexec', 'nodev']);
  assert.deepEqual(spec.mounts!.find((m) => m.destination === '/sys/fs/cgroup')!.options, ['nosuid', 'noexec', 'nodev']);
  assert.deepEqual(spec.linux!.resources!.devices, [{ allow: true, access: 'rwm' }]);
});

test('mounts: binds, tmpfs, --read-only, --init; sorted by depth after the defaults', async (t) => {
  const { spec } = await buildContainerSpec(baseInput(t, {
    hostConfig: { Binds: ['/srv/data:/data:ro,z', '/srv/a/:/a/b/c'], Tmpfs: { '/run': '', '/tmp': 'size=1m,exec' }, ReadonlyRootfs: true, Init: true },
    initPath: '/usr/bin/skiff-init',
  }));
  assert.deepEqual(spec.root, { path: spec.root!.path, readonly: true });
  assert.deepEqual(spec.process!.args, ['/sbin/docker-init', '--', 'sh']);
  const m = spec.mounts!.map((x) => [x.destination, x.type, x.source, (x.options ?? []).join(',')]);
  assert.deepEqual(m, [
    ['/proc', 'proc', 'proc', 'nosuid,noexec,nodev'],
    ['/dev', 'tmpfs', 'tmpfs', 'nosuid,strictatime,mode=755,size=65536k'],
    ['/dev/pts', 'devpts', 'devpts', 'nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5'],
    ['/sys', 'sysfs', 'sysfs', 'nosuid,noexec,nodev,ro'],
    ['/sys/fs/cgroup', 'cgroup', 'cgroup', 'ro,nosuid,noexec,nodev'],
    ['/dev/mqueue', 'mqueue', 'mqueue', 'nosuid,noexec,nodev'],
    ['/dev/shm', 'tmpfs', 'shm', 'nosuid,noexec,nodev,mode=1777,size=67108864'],
    ['/sbin/docker-init', 'bind', '/usr/bin/skiff-init', 'bind,ro'],
    ['/data', 'bind', '/srv/data', 'rbind,ro,rprivate'],
    ['/run', 'tmpfs', 'tmpfs', 'noexec,nosuid,nodev,rprivate'],
    ['/tmp', 'tmpfs', 'tmpfs', 'nosuid,nodev,rprivate,size=1m,exec'],
    ['/etc/resolv.conf', 'bind', '/c/resolv.conf', 'rbind,ro,rprivate'],
    ['/etc/hostname', 'bind', '/c/hostname', 'rbind,ro,rprivate'],
    ['/etc/hosts', 'bind', '/c/hosts', 'rbind,ro,rprivate'],
    ['/a/b/c', 'bind', '/srv/a', 'rbind,rprivate'],
  ]);
  assert.deepEqual(mergeTmpfsOptions(['noexec', 'rprivate', 'exec', 'size=1', 'size=2', 'shared']), ['exec', 'size=2', 'shared']);
  assert.throws(() => mergeTmpfsOptions(['bogus']), /Invalid tmpfs option/);
  assert.deepEqual(parseBind('vol:/x:nocopy'), { source: 'vol', destination: '/x', type: 'volume', rw: true, propagation: '' });
  assert.throws(() => parseBind('/a:/b:rx'), { message: 'invalid mode: rx' });
});

test('resources: NanoCpus → quota/period, memory swap default, pids, cpuset; ulimits, nnp, sysctls, seccomp unconfined', async (t) => {
  const { spec } = await buildContainerSpec(baseInput(t, {
    config: { Cmd: ['sh'], Domainname: 'example.org' },
    hostConfig: {
      Memory: 64 << 20, NanoCpus: 1.5e9, PidsLimit: 50, CpusetCpus: '0-1', MemoryReservation: 32 << 20, CpuShares: 512,
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }], SecurityOpt: ['no-new-privileges', 'seccomp=unconfined'],
      Sysctls: { 'net.ipv4.ip_forward': '1' }, OomScoreAdj: 100,
    },
  }));
  const r = spec.linux!.resources!;
  assert.deepEqual(r.memory, { limit: 67108864, reservation: 33554432, swap: 134217728, disableOOMKiller: false });
  assert.deepEqual(r.cpu, { shares: 512, quota: 150000, period: 100000, cpus: '0-1' });
  assert.deepEqual(r.pids, { limit: 50 });
  assert.deepEqual(spec.process!.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 2048, soft: 1024 }]);
  assert.equal(spec.process!.noNewPrivileges, true);
  assert.equal(spec.process!.oomScoreAdj, 100);
  assert.equal(spec.linux!.seccomp, undefined);
  assert.equal(spec.domainname, 'example.org');
  assert.deepEqual(spec.linux!.sysctl, {
    'kernel.domainname': 'example.org', 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ip_forward': '1',
  });
  const quarter = await buildContainerSpec(baseInput(t, { hostConfig: { NanoCpus: 0.25e9 } }));
  assert.deepEqual(quarter.spec.linux!.resources!.cpu, { shares: 0, quota: 25000, period: 100000 });
});

test('namespaces: host modes, netns path, cgroupns', async (t) => {
  const host = await buildContainerSpec(baseInput(t, { config: { Cmd: ['sh'] }, hostConfig: { NetworkMode: 'host', PidMode: 'host', IpcMode: 'host', UTSMode: 'host', CgroupnsMode: 'private' } }));
  assert.deepEqual(host.spec.linux!.namespaces, [{ type: 'mount' }, { type: 'cgroup' }]);
  assert.equal(host.spec.hostname, undefined);
  assert.equal(host.spec.linux!.sysctl, undefined);
  const joined = await buildContainerSpec(baseInput(t, { netnsPath: '/run/netns/x' }));
  assert.deepEqual(joined.spec.linux!.namespaces![1], { type: 'network', path: '/run/netns/x' });
});

test("validation: docker's texts, the field named", () => {
  const cfg = {};
  const bad: [object, string, string][] = [
    [{ Memory: 1024 }, 'Minimum memory limit allowed is 6MB', 'HostConfig.Memory'],
    [{ Memory: 64 << 20, MemorySwap: 32 << 20 }, 'Minimum memoryswap limit should be larger than memory limit, see usage', 'HostConfig.MemorySwap'],
    [{ RestartPolicy: { Name: 'sometimes' } }, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'", 'HostConfig.RestartPolicy.Name'],
    [{ RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } }, "invalid restart policy: maximum retry count can only be used with 'on-failure'", 'HostConfig.RestartPolicy.MaximumRetryCount'],
    [{ AutoRemove: true, RestartPolicy: { Name: 'always' } }, "can't create 'AutoRemove' container with restart policy", 'HostConfig.AutoRemove'],
    [{ NanoCpus: 1e9, CpuQuota: 5000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set', 'HostConfig.NanoCpus'],
    [{ NanoCpus: 9e9 }, 'Range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available', 'HostConfig.NanoCpus'],
    [{ CpuPeriod: 10 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)', 'HostConfig.CpuPeriod'],
    [{ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000', 'HostConfig.BlkioWeight'],
    [{ OomScoreAdj: 2000 }, 'Invalid value 2000, range for oom score adj is [-1000, 1000]', 'HostConfig.OomScoreAdj'],
    [{ IpcMode: 'weird' }, 'invalid IPC mode: weird', 'HostConfig.IpcMode'],
  ];
  for (const [hc, message, field] of bad) assert.throws(() => validateHostConfig(hc, cfg, { cpus: 4 }), { code: 'InvalidArgument', message, field });
  assert.throws(() => validateHostConfig({}, { WorkingDir: 'rel' }), { message: "the working directory 'rel' is invalid, it needs to be an absolute path" });
  assert.deepEqual(validateHostConfig({ OomKillDisable: true }, cfg, { cpus: 4 }), [
    'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
  ]);
});

test('/dev/shm: tmpfs with ShmSize, the engine bind when given, the host one with --ipc host, none with --ipc none', async (t) => {
  const shmOf = (spec: { mounts?: { destination: string; type?: string; source?: string; options?: string[] }[] }): unknown =>
    spec.mounts!.filter((m) => m.destination === '/dev/shm').map((m) => [m.type, m.source, (m.options ?? []).join(',')]);
  assert.deepEqual(shmOf((await buildContainerSpec(baseInput(t, { hostConfig: { ShmSize: 1 << 20 } }))).spec), [['tmpfs', 'shm', 'nosuid,noexec,nodev,mode=1777,size=1048576']]);
  assert.deepEqual(shmOf((await buildContainerSpec(baseInput(t, { shmPath: '/c/shm' }))).spec), [['bind', '/c/shm', 'rbind,rprivate']]);
  const host = await buildContainerSpec(baseInput(t, { hostConfig: { IpcMode: 'host' } }));
  assert.deepEqual(shmOf(host.spec), [['bind', '/dev/shm', 'rbind,rprivate']]);
  assert.equal(host.spec.linux!.namespaces!.some((n) => n.type === 'ipc'), false);
  assert.deepEqual(shmOf((await buildContainerSpec(baseInput(t, { hostConfig: { IpcMode: 'none' } }))).spec), []);
  const joined = await buildContainerSpec(baseInput(t, { hostConfig: { IpcMode: 'container:abc', PidMode: 'container:abc' }, ipcNsPath: '/proc/7/ns/ipc', pidNsPath: '/proc/7/ns/pid' }));
  assert.deepEqual(joined.spec.linux!.namespaces!.filter((n) => n.path !== undefined), [{ type: 'pid', path: '/proc/7/ns/pid' }, { type: 'ipc', path: '/proc/7/ns/ipc' }]);
});

test('the image config is merged in: image Env, WorkingDir, User and Entrypoint reach the spec', async (t) => {
  const { spec } = await buildContainerSpec(baseInput(t, {
    config: { Cmd: ['run'] },
    image: { id: 'sha256:' + 'b'.repeat(64), config: { Env: ['PATH=/opt/bin', 'LANG=C'], WorkingDir: '/srv', User: 'app', Entrypoint: ['/ep'] } },
  }));
  assert.deepEqual(spec.process!.args, ['/ep', 'run']);
  assert.deepEqual(spec.process!.env, ['PATH=/opt/bin', `HOSTNAME=${SPEC_ID.slice(0, 12)}`, 'LANG=C']);
  assert.equal(spec.process!.cwd, '/srv');
  assert.equal(spec.process!.user.uid, 1000);
});
