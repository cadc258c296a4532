// Architectures: the native x86_64 is always filtered; a syscall from an arch not in the filter, or an
// x32 syscall when X32 is not listed, gets libseccomp's bad-arch action (kill); i386 and x32 use their
// own numbers; i386 socket and ipc calls are also matched through socketcall(2)/ipc(2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSeccomp } from '../../../../src/runtime/seccomp/index.js';
import { AUDIT_AARCH64, AUDIT_I386, AUDIT_X86_64, compile, errno, NR, NR_I386, NR_X32, RET, X32_BIT } from './fixtures.js';

test('with no architectures, only x86_64 passes: i386, aarch64 and x32 syscalls are killed', () => {
  const run = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
  assert.equal(run(NR.read), RET.ALLOW);
  assert.equal(run(NR.mkdir), errno(1));
  assert.equal(run(NR_I386.getpid, [], AUDIT_I386), RET.KILL_THREAD);
  assert.equal(run(NR.read, [], AUDIT_AARCH64), RET.KILL_THREAD);
  assert.equal(run(NR_X32.getpid, [], AUDIT_X86_64), RET.KILL_THREAD, 'an x32 number must not match x86_64 rules');
  assert.equal(run(X32_BIT | NR.mkdir, [], AUDIT_X86_64), RET.KILL_THREAD);
  assert.equal(run(-1, [], AUDIT_X86_64), RET.KILL_THREAD, 'nr -1 has bit 30 set, as libseccomp treats it');
});

test('an x32 number never reaches an x86_64 rule, even with X32 listed', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 },
      { names: ['rt_sigaction'], action: 'SCMP_ACT_ERRNO', errnoRet: 6 },
    ],
  });
  assert.equal(run(NR.mkdir), errno(5));
  assert.equal(run(NR_X32.mkdir), errno(5), 'x32 mkdir is 83 | bit 30');
  assert.equal(run(NR.rt_sigaction), errno(6));
  assert.equal(run(NR_X32.rt_sigaction), errno(6), 'x32 rt_sigaction is 512 | bit 30, its own number');
  assert.equal(run(X32_BIT | NR.rt_sigaction), RET.ALLOW, '13 | bit 30 is not rt_sigaction on x32');
  assert.equal(run(NR_X32.getpid), RET.ALLOW);
  assert.equal(run(NR_I386.getpid, [], AUDIT_I386), RET.KILL_THREAD, 'X86 is still not listed');
});

test('SCMP_ARCH_X86 uses the i386 numbers', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['getpid', 'personality'], action: 'SCMP_ACT_ALLOW' }],
  });
  assert.equal(run(NR_I386.getpid, [], AUDIT_I386), RET.ALLOW);
  assert.equal(run(NR_I386.personality, [], AUDIT_I386), RET.ALLOW);
  assert.equal(run(NR.getpid, [], AUDIT_I386), errno(1), '39 is mkdir on i386');
  assert.equal(run(NR.getpid), RET.ALLOW);
  assert.equal(run(NR_X32.getpid), RET.KILL_THREAD);
});

test('i386 socket calls also match socketcall(2) with the call number in argument 0', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86'],
    syscalls: [
      { names: ['socket', 'send'], action: 'SCMP_ACT_ALLOW' },
      { names: ['shmat'], action: 'SCMP_ACT_ALLOW' },
      { names: ['connect'], action: 'SCMP_ACT_ERRNO', errnoRet: 111 },
    ],
  });
  assert.equal(run(NR_I386.socket, [], AUDIT_I386), RET.ALLOW);
  assert.equal(run(NR_I386.socketcall, [1n], AUDIT_I386), RET.ALLOW, 'SYS_SOCKET');
  assert.equal(run(NR_I386.socketcall, [9n], AUDIT_I386), RET.ALLOW, 'SYS_SEND: only reachable through socketcall');
  assert.equal(run(NR_I386.socketcall, [3n], AUDIT_I386), errno(111), 'SYS_CONNECT');
  assert.equal(run(NR_I386.socketcall, [2n], AUDIT_I386), errno(1), 'SYS_BIND is not allowed');
  assert.equal(run(NR_I386.shmat, [], AUDIT_I386), RET.ALLOW);
  assert.equal(run(NR_I386.ipc, [21n], AUDIT_I386), RET.ALLOW, 'SHMAT');
  assert.equal(run(NR_I386.ipc, [22n], AUDIT_I386), errno(1), 'SHMDT');
  assert.equal(run(NR.socket), RET.ALLOW, 'x86_64 socket');
});

test('on i386 a socketcall argument rule replaces argument 0 by the call number (libseccomp)', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86'],
    syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 97, args: [{ index: 0, value: 40, op: 'SCMP_CMP_EQ' }] }],
  });
  assert.equal(run(NR_I386.socket, [40n], AUDIT_I386), errno(97));
  assert.equal(run(NR_I386.socket, [2n], AUDIT_I386), RET.ALLOW);
  assert.equal(run(NR_I386.socketcall, [1n], AUDIT_I386), errno(97), 'socketcall cannot see the family');
  assert.equal(run(NR_I386.socketcall, [3n], AUDIT_I386), RET.ALLOW);
});

test('an unconditional socketcall rule wins over the multiplexed socket rules', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86'],
    syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ALLOW' }, { names: ['socketcall'], action: 'SCMP_ACT_TRAP' }],
  });
  assert.equal(run(NR_I386.socketcall, [1n], AUDIT_I386), RET.TRAP);
});

test('foreign and unknown architectures are refused by name', () => {
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'] }), {
    code: 'NotImplemented', message: 'linux.seccomp.architectures[1]: SCMP_ARCH_AARCH64 is not supported on an x86_64 host',
  });
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['x86_64'] }), {
    code: 'InvalidArgument', message: 'linux.seccomp.architectures[0]: unknown architecture "x86_64"',
  });
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }, { nativeArch: 'aarch64' as 'x86_64' }), {
    code: 'NotImplemented', message: 'linux.seccomp: seccomp filters are only compiled for x86_64 hosts, not aarch64',
  });
});
