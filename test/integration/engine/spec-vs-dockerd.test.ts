// buildContainerSpec against the config.json a private dockerd (docker.io 20.10 here) hands its
// runtime. dockerd gets an extra runtime "dump": a script that copies $bundle/config.json aside and
// execs runc. Each case runs `docker run --runtime dump --network none <flags> <busybox image>`,
// reads the dump, feeds buildContainerSpec the Config and HostConfig that `docker inspect` shows (the
// CLI's request after dockerd's defaults) and compares field by field.
//
// Fields that legitimately differ and are left out of the comparison:
//  - ociVersion: dockerd 20.10 writes runc's 1.0.2-dev; Skiff writes the runtime-spec version it implements.
//  - root.path: dockerd's overlay2 mount vs the rootfs dir given to buildContainerSpec (readonly is compared).
//  - linux.cgroupsPath: dockerd's /docker/<id> vs the engine's path.
//  - hooks: dockerd's libnetwork-setkey prestart hook (Skiff sets up networking without a hook).
//  - seccomp rules of a newer profile: the port is moby's current default.json (fixture); dockerd 20.10
//    embeds an older one. The difference is asserted to be exactly SECCOMP_PROFILE_DELTA below.
//  - privileged capabilities: dockerd 20.10's capability list stops at CAP_AUDIT_READ; docker ≥ 23 (and
//    Skiff) grant every capability the host knows (CAP_PERFMON, CAP_BPF, CAP_CHECKPOINT_RESTORE).
// Mount sources are compared exactly: the hosts/hostname/resolv.conf paths come from `docker inspect`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { buildContainerSpec, type ContainerConfig, type HostConfig } from '../../../src/engine/spec/index.js';
import type { LinuxSeccomp, Spec } from '../../../src/oci/index.js';
import { haveDockerd, runCommand, startPrivateDockerd } from '../../helpers/private-dockerd.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerd !== false ? haveDockerd : !existsSync('/bin/busybox') ? 'needs busybox-static' : false;

const CASES: [string, string[]][] = [
  ['plain', []],
  ['user', ['-u', 'app']],
  ['caps', ['--cap-add', 'NET_ADMIN', '--cap-drop', 'CHOWN']],
  ['privileged', ['--privileged']],
  ['readonly', ['--read-only', '--tmpfs', '/run']],
  ['resources', ['-m', '64m', '--cpus', '1.5', '--pids-limit', '50']],
  ['bind', ['-v', 'HOSTDIR:/data:ro']],
  ['nnp', ['--security-opt', 'no-new-privileges']],
  ['ulimit', ['--ulimit', 'nofile=1024:2048']],
  ['init', ['--init']],
  ['sysctl', ['--sysctl', 'net.ipv4.ip_forward=1']],
  ['tty', ['-t']],
  ['groupadd', ['-u', 'app', '--group-add', '1234', '-w', '/tmp', '-e', 'FOO=bar']],
];

/** Rules dockerd 20.10's embedded profile and moby's current default.json disagree on (amd64, default caps). */
const SECCOMP_PROFILE_DELTA = {
  onlyDockerd: ['socket ALLOW'],
  onlyOurs: [
    'name_to_handle_at ALLOW', 'pkey_alloc ALLOW', 'pkey_free ALLOW', 'pkey_mprotect ALLOW', 'process_vm_readv ALLOW',
    'process_vm_writev ALLOW', 'socket ALLOW [{"index":0,"value":40,"op":"SCMP_CMP_NE"}]',
  ],
};

function seccompSet(s: LinuxSeccomp): Set<string> {
  const out = new Set<string>();
  for (const r of s.syscalls ?? []) {
    for (const n of r.names) {
      const act = r.action.replace('SCMP_ACT_', '') + (r.errnoRet === undefined ? '' : `(${r.errnoRet})`);
      out.add(`${n} ${act}${r.args === undefined || r.args.length === 0 ? '' : ' ' + JSON.stringify(r.args)}`);
    }
  }
  return out;
}

function compare(name: string, docker: Spec, ours: Spec): void {
  const at = (f: string): string => `${name}: ${f}`;
  const dp = docker.process!;
  const op = ours.process!;
  assert.deepEqual(op.args, dp.args, at('process.args'));
  assert.deepEqual(op.env, dp.env, at('process.env'));
  assert.equal(op.cwd, dp.cwd, at('process.cwd'));
  assert.deepEqual(op.user, dp.user, at('process.user'));
  if (name === 'privileged') {
    const d = dp.capabilities!.bounding!;
    assert.deepEqual(op.capabilities!.bounding!.slice(0, d.length), d, at('capabilities (prefix)'));
    assert.deepEqual(op.capabilities!.bounding!.slice(d.length), ['CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE'].slice(0, op.capabilities!.bounding!.length - d.length), at('capabilities (newer)'));
  } else assert.deepEqual(op.capabilities, dp.capabilities, at('process.capabilities'));
  assert.deepEqual(op.rlimits, dp.rlimits, at('process.rlimits'));
  assert.equal(op.noNewPrivileges, dp.noNewPrivileges, at('process.noNewPrivileges'));
  assert.equal(op.terminal, dp.terminal, at('process.terminal'));
  assert.deepEqual(op.consoleSize, dp.consoleSize, at('process.consoleSize'));
  assert.equal(op.oomScoreAdj, dp.oomScoreAdj, at('process.oomScoreAdj'));
  assert.equal(ours.root!.readonly ?? false, docker.root!.readonly ?? false, at('root.readonly'));
  assert.equal(ours.hostname, docker.hostname, at('hostname'));
  assert.deepEqual(ours.mounts, docker.mounts, at('mounts'));
  const dl = docker.linux!;
  const ol = ours.linux!;
  assert.deepEqual(ol.namespaces, dl.namespaces, at('linux.namespaces'));
  assert.deepEqual(ol.maskedPaths, dl.maskedPaths, at('linux.maskedPaths'));
  assert.deepEqual(ol.readonlyPaths, dl.readonlyPaths, at('linux.readonlyPaths'));
  assert.deepEqual(ol.resources, dl.resources, at('linux.resources'));
  assert.deepEqual(ol.sysctl, dl.sysctl, at('linux.sysctl'));
  assert.deepEqual(ol.devices, dl.devices, at('linux.devices'));
  assert.equal(ol.seccomp === undefined, dl.seccomp === undefined, at('seccomp presence'));
  if (ol.seccomp !== undefined && dl.seccomp !== undefined) {
    assert.equal(ol.seccomp.defaultAction, dl.seccomp.defaultAction, at('seccomp.defaultAction'));
    assert.deepEqual(ol.seccomp.architectures, dl.seccomp.architectures, at('seccomp.architectures'));
    const d = seccompSet(dl.seccomp);
    const o = seccompSet(ol.seccomp);
    assert.deepEqual([...d].filter((x) => !o.has(x)).sort(), SECCOMP_PROFILE_DELTA.onlyDockerd, at('seccomp rules only dockerd has'));
    assert.deepEqual([...o].filter((x) => !d.has(x)).sort(), SECCOMP_PROFILE_DELTA.onlyOurs, at('seccomp rules only Skiff has'));
  }
}

test('buildContainerSpec matches the config.json dockerd gives its runtime', { skip, timeout: 300_000 }, async (t) => {
  const dumpDir = mkdtempSync('/tmp/skspec-');
  t.after(() => rmSync(dumpDir, { recursive: true, force: true }));
  const script = join(dumpDir, 'dump.sh');
  mkdirSync(join(dumpDir, 'out'));
  writeFileSync(script, `#!/bin/sh
bundle=""; prev=""
for a in "$@"; do
  if [ "$prev" = "--bundle" ] || [ "$prev" = "-b" ]; then bundle="$a"; fi
  case "$a" in --bundle=*) bundle="\${a#--bundle=}";; esac
  prev="$a"
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then cp "$bundle/config.json" "${dumpDir}/out/$(basename "$bundle").json"; fi
exec runc "$@"
`);
  chmodSync(script, 0o755);
  const rootfs = join(dumpDir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'etc'));
  mkdirSync(join(rootfs, 'tmp'));
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  symlinkSync('busybox', join(rootfs, 'bin/sh'));
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1000:\nextra:x:1001:app\n');
  const hostDir = join(dumpDir, 'hostdir');
  mkdirSync(hostDir);
  const tar = join(dumpDir, 'rootfs.tar');
  assert.equal((await runCommand('tar', ['-C', rootfs, '-cf', tar, '.'])).code, 0);

  const d = await startPrivateDockerd(t, { daemonConfig: { runtimes: { dump: { path: script } } } });
  const imp = await d.docker(['import', tar, 'skiff-spec-bb:1']);
  assert.equal(imp.code, 0, imp.stderr);

  for (const [name, flags0] of CASES) {
    const flags = flags0.map((f) => f.replace('HOSTDIR', hostDir));
    const run = await d.docker(['run', '--name', `c-${name}`, '--runtime', 'dump', '--network', 'none', ...flags, 'skiff-spec-bb:1', 'sh', '-c', ':']);
    const insp = await d.docker(['inspect', `c-${name}`]);
    assert.equal(insp.code, 0, `${name}: ${run.stderr} ${insp.stderr}`);
    const info = (JSON.parse(insp.stdout) as Record<string, unknown>[])[0]!;
    const id = info['Id'] as string;
    const dumped = join(dumpDir, 'out', `${id}.json`);
    assert.ok(existsSync(dumped), `${name}: no config.json dumped (${run.stderr})`);
    const docker = JSON.parse(readFileSync(dumped, 'utf8')) as Spec;
    const built = await buildContainerSpec({
      id,
      name: `c-${name}`,
      image: { id: info['Image'] as string, config: {} },
      config: info['Config'] as ContainerConfig,
      hostConfig: info['HostConfig'] as HostConfig,
      rootfsPath: rootfs,
      hostsPath: info['HostsPath'] as string,
      hostnamePath: info['HostnamePath'] as string,
      resolvConfPath: info['ResolvConfPath'] as string,
      initPath: '/usr/bin/docker-init',
      cgroupsPath: `/docker/${id}`,
    });
    compare(name, docker, built.spec);
    t.diagnostic(`${name}: matches (${built.spec.mounts!.length} mounts, ${built.spec.linux!.seccomp?.syscalls?.length ?? 0} seccomp rules, ${built.spec.linux!.devices?.length ?? 0} devices)`);
  }
});
