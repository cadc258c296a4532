// Rule semantics shared with runc + libseccomp: rules with the default action are skipped, an
// unconditional rule beats argument rules in any order, the first unconditional rule wins, argument
// rules are tried in order; unknown names are skipped with a warning; runc's -ENOSYS for syscalls
// newer than the profile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LinuxSeccomp } from '../../../../src/oci/index.js';
import { compileSeccomp, isSeccompDisabled } from '../../../../src/runtime/seccomp/index.js';
import { AUDIT_I386, compile, errno, NR, NR_I386, NR_X32, RET, X32_BIT } from './fixtures.js';

const personalityIs = (value: number) => [{ index: 0, value, op: 'SCMP_CMP_EQ' as const }];

test('an unconditional rule wins over argument rules, before or after them (libseccomp db_rule_add)', () => {
  for (const order of ['conditional first', 'unconditional first']) {
    const rules: LinuxSeccomp['syscalls'] = [
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 3, args: personalityIs(8) },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW' },
    ];
    if (order === 'unconditional first') rules.reverse();
    const run = compile({ defaultAction: 'SCMP_ACT_TRAP', syscalls: rules });
    assert.equal(run(NR.personality, [8n]), RET.ALLOW, order);
    assert.equal(run(NR.personality, [0n]), RET.ALLOW, order);
  }
});

test('the first unconditional rule for a syscall wins', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 4 }, { names: ['mkdir', 'getcwd'], action: 'SCMP_ACT_KILL' }],
  });
  assert.equal(run(NR.mkdir), errno(4));
  assert.equal(run(NR.getcwd), RET.KILL_THREAD);
});

test('a rule with the default action is skipped and cannot shadow later rules (runc matchCall)', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['personality'], action: 'SCMP_ACT_ERRNO' },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: personalityIs(0) },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['mkdir'], action: 'SCMP_ACT_ALLOW' },
    ],
  });
  assert.equal(run(NR.personality, [0n]), RET.ALLOW);
  assert.equal(run(NR.personality, [1n]), errno(1));
  assert.equal(run(NR.mkdir), RET.ALLOW, 'ERRNO with errnoRet 1 equals the default ERRNO (EPERM)');
});

test('argument rules are tried in profile order; the first that holds decides', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 10, args: [{ index: 0, value: 100, op: 'SCMP_CMP_GT' }] },
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 11, args: [{ index: 0, value: 200, op: 'SCMP_CMP_GT' }] },
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 12, args: [{ index: 1, value: 1, op: 'SCMP_CMP_EQ' }] },
    ],
  });
  assert.equal(run(NR.personality, [300n]), errno(10));
  assert.equal(run(NR.personality, [150n, 1n]), errno(10));
  assert.equal(run(NR.personality, [50n, 1n]), errno(12));
  assert.equal(run(NR.personality, [50n, 0n]), RET.ALLOW);
  assert.deepEqual(run.warnings, [
    'linux.seccomp.syscalls: argument rules for "personality" have different actions; the first matching rule in profile order decides (libseccomp may order them by argument instead)',
  ]);
});

test('argument rules that share one action give no warning', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: personalityIs(0) },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: personalityIs(8) },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: personalityIs(0x20000) },
    ],
  });
  for (const v of [0n, 8n, 0x20000n]) assert.equal(run(NR.personality, [v]), RET.ALLOW);
  assert.equal(run(NR.personality, [9n]), errno(1));
  assert.deepEqual(run.warnings, []);
});

test('unknown syscall names are skipped with a warning; the other names of the entry still count', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['read'], action: 'SCMP_ACT_LOG' },
      { names: ['no_such_syscall', 'mkdir', 'arm_fadvise64_64'], action: 'SCMP_ACT_ERRNO', errnoRet: 2 },
    ],
  });
  assert.equal(run(NR.mkdir), errno(2));
  assert.deepEqual(run.warnings, [
    'linux.seccomp.syscalls[1].names[0]: unknown syscall "no_such_syscall", skipped',
    'linux.seccomp.syscalls[1].names[2]: unknown syscall "arm_fadvise64_64", skipped',
  ]);
});

test('a name known only on another listed arch is no warning and no x86_64 rule', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86'],
    syscalls: [{ names: ['socketcall', '_llseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 2 }],
  });
  assert.deepEqual(run.warnings, []);
  assert.equal(run(140, [], AUDIT_I386), errno(2), '_llseek on i386');
  assert.equal(run(140), RET.ALLOW, '140 is getpriority on x86_64');
});

test('syscalls newer than the profile get ENOSYS under a denying default (runc patchbpf)', () => {
  const profile: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['read', 'write', 'getpid', 'set_mempolicy_home_node'], action: 'SCMP_ACT_ALLOW' }],
  };
  const run = compile(profile);
  assert.equal(run(NR.set_mempolicy_home_node), RET.ALLOW);
  assert.equal(run(NR.openat2), errno(1), 'older than the newest named: the default');
  assert.equal(run(NR.cachestat), errno(38), 'newer than the newest named: ENOSYS');
  assert.equal(run(1000), errno(38));
  assert.equal(run(X32_BIT | 451), errno(38), 'x32 has its own threshold');
  assert.equal(run(X32_BIT | 100), errno(1));
  assert.equal(run(NR_I386.getpid, [], AUDIT_I386), RET.ALLOW);
  assert.equal(run(451, [], AUDIT_I386), errno(38));
  assert.equal(run(NR.read, [], 0xc00000b7), RET.KILL_THREAD, 'a foreign arch is still killed');

  const rulesNamingDefault = compile({ ...profile, syscalls: [...profile.syscalls!, { names: ['cachestat'], action: 'SCMP_ACT_ERRNO' }] });
  assert.equal(rulesNamingDefault(NR.cachestat), errno(1), 'a syscall the profile names is not "newer", even when its rule is skipped');
  assert.equal(rulesNamingDefault(NR.cachestat + 1), errno(38));
});

test('no ENOSYS stub under permissive defaults or a default that already is ENOSYS', () => {
  for (const defaultAction of ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'] as const) {
    const run = compile({ defaultAction, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL_PROCESS' }] });
    assert.notEqual(run(NR.cachestat), errno(38), defaultAction);
  }
  const enosys = compile({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] });
  assert.equal(enosys(NR.cachestat), errno(38));
  assert.ok(enosys.program.length < compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }).program.length);
  const kill = compile({ defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] });
  assert.equal(kill(NR.write), errno(38), 'write (1) is newer than read (0)');
  const none = compile({ defaultAction: 'SCMP_ACT_KILL_PROCESS' });
  assert.equal(none(NR.read), RET.KILL_PROCESS, 'no syscall named: no threshold');
});

test('names and entries are validated, naming the field', () => {
  const bad = (syscalls: unknown, message: string): void => {
    assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls } as LinuxSeccomp), { code: 'InvalidArgument', message });
  };
  bad([{ names: [], action: 'SCMP_ACT_ERRNO' }], 'linux.seccomp.syscalls[0].names: must list at least one syscall');
  bad([{ action: 'SCMP_ACT_ERRNO' }], 'linux.seccomp.syscalls[0].names: must list at least one syscall');
  bad([{ names: ['read'], action: 'SCMP_ACT_ERRNO' }, { names: ['read', ''], action: 'SCMP_ACT_ERRNO' }], 'linux.seccomp.syscalls[1].names[1]: must be a non-empty string');
  bad([{ names: [7], action: 'SCMP_ACT_ERRNO' }], 'linux.seccomp.syscalls[0].names[0]: must be a non-empty string');
  bad([null], 'linux.seccomp.syscalls[0]: must be an object');
  bad({}, 'linux.seccomp.syscalls: must be an array');
  bad([{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: {} }], 'linux.seccomp.syscalls[0].args: must be an array');
});

test('isSeccompDisabled follows runc: no default action and no syscalls', () => {
  assert.equal(isSeccompDisabled({} as LinuxSeccomp), true);
  assert.equal(isSeccompDisabled({ defaultAction: '' as 'SCMP_ACT_ALLOW', syscalls: [] }), true);
  assert.equal(isSeccompDisabled({ defaultAction: 'SCMP_ACT_ALLOW' }), false);
  assert.equal(isSeccompDisabled({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] } as LinuxSeccomp), false);
});

test('duplicate names and arches are harmless', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86'],
    syscalls: [{ names: ['mkdir', 'mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 17 }],
  });
  assert.equal(run(NR.mkdir), errno(17));
  assert.equal(run(NR_I386.mkdir, [], AUDIT_I386), errno(17));
  assert.equal(run(NR_X32.mkdir), RET.KILL_THREAD);
});
