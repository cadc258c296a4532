// Actions: each OCI action's SECCOMP_RET value, errnoRet and defaultErrnoRet, EPERM when unset (as
// runc), TRACE's message, and the refusals (NOTIFY, errnoRet on an action that has no errno).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LinuxSeccomp, SeccompAction } from '../../../../src/oci/index.js';
import { compileSeccomp } from '../../../../src/runtime/seccomp/index.js';
import { compile, errno, NR, RET, trace } from './fixtures.js';

test('each default action maps to its SECCOMP_RET value', () => {
  const cases: [SeccompAction, number][] = [
    ['SCMP_ACT_ALLOW', RET.ALLOW],
    ['SCMP_ACT_KILL', RET.KILL_THREAD],
    ['SCMP_ACT_KILL_THREAD', RET.KILL_THREAD],
    ['SCMP_ACT_KILL_PROCESS', RET.KILL_PROCESS],
    ['SCMP_ACT_TRAP', RET.TRAP],
    ['SCMP_ACT_LOG', RET.LOG],
    ['SCMP_ACT_ERRNO', errno(1)],
    ['SCMP_ACT_TRACE', trace(1)],
  ];
  for (const [action, ret] of cases) {
    assert.equal(compile({ defaultAction: action })(NR.read), ret, action);
  }
});

test('each rule action maps to its SECCOMP_RET value and other syscalls get the default', () => {
  const cases: [SeccompAction, number][] = [
    ['SCMP_ACT_KILL', RET.KILL_THREAD],
    ['SCMP_ACT_KILL_THREAD', RET.KILL_THREAD],
    ['SCMP_ACT_KILL_PROCESS', RET.KILL_PROCESS],
    ['SCMP_ACT_TRAP', RET.TRAP],
    ['SCMP_ACT_LOG', RET.LOG],
    ['SCMP_ACT_ERRNO', errno(1)],
    ['SCMP_ACT_TRACE', trace(1)],
  ];
  for (const [action, ret] of cases) {
    const run = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action }] });
    assert.equal(run(NR.mkdir), ret, action);
    assert.equal(run(NR.read), RET.ALLOW, action);
  }
  const run = compile({ defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: [{ names: ['read', 'write', 'personality'], action: 'SCMP_ACT_ALLOW' }] });
  assert.equal(run(NR.read), RET.ALLOW);
  assert.equal(run(NR.write), RET.ALLOW);
  assert.equal(run(NR.mkdir), RET.KILL_PROCESS);
});

test('errnoRet, EPERM when unset, defaultErrnoRet, TRACE message', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 95,
    syscalls: [
      { names: ['read', 'write', 'getpid'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 42 },
      { names: ['getcwd'], action: 'SCMP_ACT_ERRNO' },
      { names: ['personality'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
      { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 0 },
    ],
  });
  assert.equal(run(NR.mkdir), errno(42));
  assert.equal(run(NR.getcwd), errno(1));
  assert.equal(run(NR.personality), trace(7));
  assert.equal(run(NR.socket), errno(0), 'errnoRet 0 is kept: the syscall "succeeds" with 0');
  assert.equal(run(NR.clone), errno(95));
  assert.equal(run(NR.getpid), RET.ALLOW);
});

test('SCMP_ACT_NOTIFY and listenerPath are refused as not implemented', () => {
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }), {
    code: 'NotImplemented', message: /^linux\.seccomp\.syscalls\[0\]\.action: SCMP_ACT_NOTIFY is not supported/,
  });
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_NOTIFY' }), {
    code: 'NotImplemented', message: /^linux\.seccomp\.defaultAction: SCMP_ACT_NOTIFY is not supported/,
  });
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' }), {
    code: 'NotImplemented', message: 'linux.seccomp.listenerPath: seccomp user notification is not supported',
  });
});

test('bad actions and errno values are refused, naming the field', () => {
  const bad = (profile: unknown, message: string): void => {
    assert.throws(() => compileSeccomp(profile as LinuxSeccomp), { code: 'InvalidArgument', message });
  };
  bad({ defaultAction: 'SCMP_ACT_NOPE' }, 'linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"');
  bad({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }, 'linux.seccomp.defaultAction: required');
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, { names: ['mkdir'], action: 'ALLOW' }] },
    'linux.seccomp.syscalls[1].action: unknown action "ALLOW"');
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] },
    'linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL');
  bad({ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 },
    'linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW');
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 65536 }] },
    'linux.seccomp.syscalls[0].errnoRet: must be an integer between 0 and 65535');
  bad({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: -1 }, 'linux.seccomp.defaultErrnoRet: must be an integer between 0 and 65535');
  bad({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1.5 }, 'linux.seccomp.defaultErrnoRet: must be an integer between 0 and 65535');
});
