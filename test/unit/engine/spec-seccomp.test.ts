// buildContainerSpec's seccomp against moby's default.json (test/fixtures, verbatim) specialised by a
// small independent reference of moby's setupSeccomp written here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DOCKER_DEFAULT_SECCOMP_PROFILE, specialiseSeccomp } from '../../../src/engine/spec/index.js';
import { baseInput, repoFile } from '../../fixtures/spec-input.js';
import { buildContainerSpec } from '../../../src/engine/spec/index.js';

interface Rule { names: string[]; action: string; errnoRet?: number; args?: unknown[]; includes?: Record<string, unknown>; excludes?: Record<string, unknown> }

function reference(profile: { defaultAction: string; defaultErrnoRet?: number; archMap: { architecture: string; subArchitectures: string[] | null }[]; syscalls: Rule[] }, caps: string[], arch: string, kernel: [number, number]): unknown {
  const ge = (v: string): boolean => {
    const [a, b] = v.split('.').map(Number) as [number, number];
    return kernel[0] > a || (kernel[0] === a && kernel[1] >= b);
  };
  const native = { amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64' }[arch]!;
  const entry = profile.archMap.find((a) => a.architecture === native)!;
  const syscalls = profile.syscalls.filter((r) => {
    const ex = (r.excludes ?? {}) as { arches?: string[]; caps?: string[]; minKernel?: string };
    const inc = (r.includes ?? {}) as { arches?: string[]; caps?: string[]; minKernel?: string };
    if (ex.arches?.includes(arch) === true) return false;
    if (ex.caps?.some((c) => caps.includes(c)) === true) return false;
    if (ex.minKernel !== undefined && ge(ex.minKernel)) return false;
    if (inc.arches !== undefined && !inc.arches.includes(arch)) return false;
    if (inc.caps !== undefined && !inc.caps.every((c) => caps.includes(c))) return false;
    if (inc.minKernel !== undefined && !ge(inc.minKernel)) return false;
    return true;
  }).map((r) => ({ names: r.names, action: r.action, ...(r.errnoRet === undefined ? {} : { errnoRet: r.errnoRet }), ...(r.args === undefined ? {} : { args: r.args }) }));
  return { defaultAction: profile.defaultAction, defaultErrnoRet: profile.defaultErrnoRet, architectures: [entry.architecture, ...(entry.subArchitectures ?? [])], syscalls };
}

const fixture = JSON.parse(readFileSync(repoFile('test/fixtures/docker-default-seccomp.json'), 'utf8'));

test('the TS port of default.json is the fixture, rule for rule', () => {
  const port = JSON.parse(JSON.stringify(DOCKER_DEFAULT_SECCOMP_PROFILE));
  assert.deepEqual(port, fixture);
});

test("buildContainerSpec's seccomp = default.json specialised for docker's default caps on amd64", async (t) => {
  const input = baseInput(t);
  const built = await buildContainerSpec({ ...input, kernel: { major: 6, minor: 1 } });
  const caps = built.spec.process!.capabilities!.bounding!;
  assert.equal(caps.length, 14);
  const want = reference(fixture, caps, 'amd64', [6, 1]);
  if (process.arch === 'x64') assert.deepEqual(JSON.parse(JSON.stringify(built.spec.linux!.seccomp)), want);
  // by construction, independent of the host arch
  assert.deepEqual(JSON.parse(JSON.stringify(specialiseSeccomp(DOCKER_DEFAULT_SECCOMP_PROFILE, { bounding: caps, arch: 'amd64', kernel: { major: 6, minor: 1 } }))), want);
});

test('caps, arch and kernel select rules as moby does', () => {
  for (const [caps, arch, k] of [[['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'], 'amd64', [4, 4]], [[], 'arm64', [5, 10]]] as const) {
    const got = specialiseSeccomp(DOCKER_DEFAULT_SECCOMP_PROFILE, { bounding: caps, arch, kernel: { major: k[0], minor: k[1] } });
    assert.deepEqual(JSON.parse(JSON.stringify(got)), reference(fixture, [...caps], arch, [k[0], k[1]]));
  }
  const s390 = specialiseSeccomp(DOCKER_DEFAULT_SECCOMP_PROFILE, { bounding: [], arch: 's390x', kernel: { major: 6, minor: 1 } })!;
  assert.deepEqual(s390.syscalls!.filter((c) => c.names.includes('clone') && c.args !== undefined).map((c) => c.args![0]!.index), [1]);
  assert.deepEqual(s390.architectures, ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390']);
  // ptrace needs kernel 4.8 without CAP_SYS_PTRACE
  const old = specialiseSeccomp(DOCKER_DEFAULT_SECCOMP_PROFILE, { bounding: [], arch: 'amd64', kernel: { major: 4, minor: 4 } })!;
  assert.equal(old.syscalls!.some((s) => s.names.includes('ptrace')), false);
  const admin = specialiseSeccomp(DOCKER_DEFAULT_SECCOMP_PROFILE, { bounding: ['CAP_SYS_ADMIN'], arch: 'amd64', kernel: { major: 6, minor: 1 } })!;
  assert.equal(admin.syscalls!.some((s) => s.names.includes('clone3') && s.action === 'SCMP_ACT_ERRNO'), false);
  assert.equal(admin.syscalls!.some((s) => s.names.includes('mount')), true);
});
