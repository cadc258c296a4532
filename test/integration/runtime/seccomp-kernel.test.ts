// Compiled seccomp filters on the real kernel: a small static loader (test/fixtures/seccomp-exec.c)
// installs a program from compileSeccomp and execs busybox or runs a one-syscall probe. The kernel's
// own checker accepts the programs, errno values and argument rules bite, allowed syscalls still
// work, syscalls newer than the profile get ENOSYS, and foreign ABIs (x32, i386 int 0x80) are killed
// unless listed. Needs root (not strictly, but the suite runs as root) and gcc with a static libc.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/repo.js';
import type { LinuxSeccomp } from '../../../src/oci/index.js';
import { compileSeccomp } from '../../../src/runtime/seccomp/index.js';

const BUSYBOX = '/bin/busybox';
const haveGcc = spawnSync('gcc', ['--version']).status === 0;
const skip = process.getuid?.() !== 0 ? 'needs root' : !haveGcc ? 'needs gcc' : !existsSync(BUSYBOX) ? 'needs busybox-static' : false;

let buildDir = '';
let loader = '';

before(async () => {
  if (skip !== false) return;
  buildDir = await mkdtemp(join(tmpdir(), 'skiff-seccomp-build-'));
  loader = join(buildDir, 'seccomp-exec');
  const cc = spawnSync('gcc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', loader,
    join(repoRoot(), 'test/fixtures/seccomp-exec.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `gcc failed:\n${cc.stderr}`);
});

after(async () => {
  if (buildDir !== '') await rm(buildDir, { recursive: true, force: true });
});

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-seccomp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Compiles `profile`, writes the program into `dir` and runs `cmd` under it through the loader. */
async function runUnder(dir: string, profile: LinuxSeccomp, cmd: string[]): Promise<SpawnSyncReturns<string>> {
  const { program, flags } = compileSeccomp(profile);
  const file = join(dir, `filter-${Math.random().toString(16).slice(2)}.bpf`);
  await writeFile(file, program);
  return spawnSync(loader, [file, String(flags), ...cmd], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
}

const probeResult = (r: SpawnSyncReturns<string>): { ret: number; errno: number } => {
  const m = /^ret=(-?\d+) errno=(\d+)$/m.exec(r.stdout);
  assert.ok(m, `no probe output: status ${r.status} signal ${r.signal} stdout ${r.stdout} stderr ${r.stderr}`);
  return { ret: Number(m[1]), errno: Number(m[2]) };
};

const ERRNO_42_TEXT = 'No message of desired type';

test('an errno rule bites while other syscalls keep working', { skip }, async (t) => {
  const dir = await scratch(t);
  const profile: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 42 }],
  };
  const touch = await runUnder(dir, profile, [BUSYBOX, 'touch', join(dir, 'file')]);
  assert.equal(touch.status, 0, touch.stderr);
  assert.ok(existsSync(join(dir, 'file')));

  const mkdir = await runUnder(dir, profile, [BUSYBOX, 'mkdir', join(dir, 'denied')]);
  assert.equal(mkdir.status, 1);
  assert.match(mkdir.stderr, new RegExp(ERRNO_42_TEXT));
  assert.equal(existsSync(join(dir, 'denied')), false);

  const plain = spawnSync(BUSYBOX, ['mkdir', join(dir, 'unfiltered')]);
  assert.equal(plain.status, 0, 'without the filter mkdir works: the filter made the difference');
});

test('an argument rule bites only on the matching value', { skip }, async (t) => {
  const dir = await scratch(t);
  // chmod(path, mode), fchmodat(dirfd, path, mode) and fchmodat2: refuse the permission bits 0700
  const perms = (index: number) => [{ index, value: 0o7777, valueTwo: 0o700, op: 'SCMP_CMP_MASKED_EQ' as const }];
  const profile: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 42, args: perms(1) },
      { names: ['fchmodat', 'fchmodat2'], action: 'SCMP_ACT_ERRNO', errnoRet: 42, args: perms(2) },
    ],
  };
  const file = join(dir, 'file');
  await writeFile(file, '');
  await chmod(file, 0o644);
  const denied = await runUnder(dir, profile, [BUSYBOX, 'chmod', '700', file]);
  assert.equal(denied.status, 1, denied.stderr);
  assert.match(denied.stderr, new RegExp(ERRNO_42_TEXT));
  assert.equal((await stat(file)).mode & 0o7777, 0o644);

  const allowed = await runUnder(dir, profile, [BUSYBOX, 'chmod', '755', file]);
  assert.equal(allowed.status, 0, allowed.stderr);
  assert.equal((await stat(file)).mode & 0o7777, 0o755);
});

test('KILL_PROCESS kills the process with SIGSYS', { skip }, async (t) => {
  const dir = await scratch(t);
  const r = await runUnder(dir, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }] },
    [BUSYBOX, 'mkdir', join(dir, 'never')]);
  assert.equal(r.signal, 'SIGSYS');
  assert.equal(existsSync(join(dir, 'never')), false);
});

/** Everything busybox needs for `echo` and the probes need for printf, and nothing else. */
const ALLOW_LIST = [
  'arch_prctl', 'brk', 'close', 'execve', 'exit', 'exit_group', 'fstat', 'getpid', 'getuid', 'geteuid', 'ioctl',
  'mmap', 'mprotect', 'munmap', 'newfstatat', 'prlimit64', 'read', 'readlink', 'rseq', 'rt_sigaction',
  'rt_sigprocmask', 'set_robust_list', 'set_tid_address', 'uname', 'write', 'writev', 'getrandom', 'prctl',
  'set_mempolicy_home_node',
];

test('a denying profile: listed syscalls work, others get the errno, newer ones ENOSYS', { skip }, async (t) => {
  const dir = await scratch(t);
  const profile: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'],
    syscalls: [{ names: ALLOW_LIST, action: 'SCMP_ACT_ALLOW' }],
  };
  const echo = await runUnder(dir, profile, [BUSYBOX, 'echo', 'hello']);
  assert.equal(echo.status, 0, echo.stderr);
  assert.equal(echo.stdout, 'hello\n');

  const getppid = probeResult(await runUnder(dir, profile, ['@nr', '110']));
  assert.deepEqual(getppid, { ret: -1, errno: 1 }, 'getppid is not listed: EPERM');
  const fileSetattr = probeResult(await runUnder(dir, profile, ['@nr', '469']));
  assert.deepEqual(fileSetattr, { ret: -1, errno: 38 }, 'newer than set_mempolicy_home_node (450): ENOSYS');
  const unfiltered = spawnSync(BUSYBOX, ['true']);
  assert.equal(unfiltered.status, 0);
});

test('an x32 syscall is killed unless SCMP_ARCH_X32 is listed', { skip }, async (t) => {
  const dir = await scratch(t);
  const killed = await runUnder(dir, { defaultAction: 'SCMP_ACT_ALLOW' }, ['@x32-getpid']);
  assert.equal(killed.signal, 'SIGSYS', `status ${killed.status} stdout ${killed.stdout}`);
  const passed = await runUnder(dir, { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X32'] }, ['@x32-getpid']);
  assert.equal(passed.signal, null);
  const r = probeResult(passed);
  assert.ok(r.ret > 0 || r.errno === 38, `the kernel ran it (pid, or ENOSYS without the x32 ABI): ${passed.stdout}`);
  const refused = probeResult(await runUnder(dir, {
    defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X32'],
    syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 42 }],
  }, ['@x32-getpid']));
  assert.deepEqual(refused, { ret: -1, errno: 42 }, 'the x32 rule decides');
});

test('an i386 syscall (int 0x80) is killed unless SCMP_ARCH_X86 is listed', { skip }, async (t) => {
  const dir = await scratch(t);
  const baseline = await runUnder(dir, { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86'] }, ['@i386-getpid']);
  if (baseline.signal === 'SIGSEGV' || baseline.signal === 'SIGILL') {
    t.skip(`int 0x80 is not available here (${baseline.signal} without a filter decision)`);
    return;
  }
  assert.ok(probeResult(baseline).ret > 0, baseline.stdout);
  const killed = await runUnder(dir, { defaultAction: 'SCMP_ACT_ALLOW' }, ['@i386-getpid']);
  assert.equal(killed.signal, 'SIGSYS');
  const refused = probeResult(await runUnder(dir, {
    defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86'],
    syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 42 }],
  }, ['@i386-getpid']));
  assert.deepEqual(refused, { ret: -1, errno: 42 });
});

test('the kernel accepts a large profile whose program needs long jumps', { skip }, async (t) => {
  const dir = await scratch(t);
  // ioctl gets 400 argument rules (an unconditional ALLOW would override them), then a catch-all
  const syscalls: NonNullable<LinuxSeccomp['syscalls']> = [{ names: ALLOW_LIST.filter((n) => n !== 'ioctl'), action: 'SCMP_ACT_ALLOW' }];
  for (let i = 0; i < 400; i++) {
    syscalls.push({ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 1000 + i, args: [{ index: 1, value: 0x5401_0000 + i, op: 'SCMP_CMP_EQ' }] });
  }
  syscalls.push({ names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0, op: 'SCMP_CMP_GE' }] });
  syscalls.push({ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 42, args: [{ index: 0, value: 0x1_0000_0000, op: 'SCMP_CMP_LT' }] });
  const profile: LinuxSeccomp = { defaultAction: 'SCMP_ACT_KILL_PROCESS', architectures: ['SCMP_ARCH_X86'], syscalls };
  assert.ok(compileSeccomp(profile).program.length / 8 > 2000);
  const echo = await runUnder(dir, profile, [BUSYBOX, 'echo', 'ok']);
  assert.equal(echo.status, 0, `${echo.signal ?? ''} ${echo.stderr}`);
  assert.equal(echo.stdout, 'ok\n');
  assert.deepEqual(probeResult(await runUnder(dir, profile, ['@nr', '110'])), { ret: -1, errno: 42 }, 'getppid(0): 0 < 2^32');
});
