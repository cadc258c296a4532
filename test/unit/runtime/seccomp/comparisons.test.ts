// Argument comparisons: all seven operators on 64-bit values against a reference written with BigInt,
// at the edges of the 32-bit halves and with negative-like values; AND of several arguments; runc's
// OR when one argument is named twice; 32-bit ABIs (i386, x32) compare the low word only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LinuxSeccomp, SeccompOperator } from '../../../../src/oci/index.js';
import { compileSeccomp } from '../../../../src/runtime/seccomp/index.js';
import { AUDIT_I386, AUDIT_X86_64, compile, errno, NR, NR_I386, NR_X32, RET } from './fixtures.js';

const U64 = (1n << 64n) - 1n;
const SAMPLES = [
  0n, 1n, 4n, 5n, 6n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_fffen, 0xffff_ffffn, 0x1_0000_0000n, 0x1_0000_0001n,
  0x1_0000_0004n, 0x1_0000_0005n, 0x1_0000_0006n, 0x1_ffff_ffffn, 0x2_0000_0000n, 0x2_0000_0005n, 0xffff_ffff_0000_0005n,
  0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, U64 - 1n, U64,
];

type Holds = (arg: bigint, value: bigint, two: bigint) => boolean;
const REFERENCE: Record<SeccompOperator, Holds> = {
  SCMP_CMP_EQ: (x, v) => x === v,
  SCMP_CMP_NE: (x, v) => x !== v,
  SCMP_CMP_LT: (x, v) => x < v,
  SCMP_CMP_LE: (x, v) => x <= v,
  SCMP_CMP_GT: (x, v) => x > v,
  SCMP_CMP_GE: (x, v) => x >= v,
  SCMP_CMP_MASKED_EQ: (x, mask, datum) => (x & mask) === (datum & mask),
};

/** Operands as JSON numbers can carry them exactly (the profile's value/valueTwo are numbers). */
const OPERANDS: [bigint, bigint][] = [
  [5n, 0n], [0n, 0n], [0xffff_ffffn, 0xffff_fffen], [0x1_0000_0000n, 0x1_0000_0000n], [0x1_0000_0005n, 5n],
  [0x2_0000_0000n, 0n], [0xffff_ffff_0000_0000n, 0xffff_ffff_0000_0000n], [0x7ffff_ffff_ffffn, 0x5_0000_0005n],
];

for (const op of Object.keys(REFERENCE) as SeccompOperator[]) {
  test(`${op} on 64-bit arguments matches unsigned 64-bit arithmetic`, () => {
    for (const [value, two] of OPERANDS) {
      const run = compile({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 7, args: [{ index: 2, value: Number(value), valueTwo: Number(two), op }] }],
      });
      for (const sample of SAMPLES) {
        const expected = REFERENCE[op](sample, value, two) ? errno(7) : RET.ALLOW;
        assert.equal(run(NR.personality, [0n, 0n, sample]), expected, `${op} value=0x${value.toString(16)} two=0x${two.toString(16)} arg=0x${sample.toString(16)}`);
      }
    }
  });
}

test('negative values wrap to two\'s complement (arg -1 and value -1 are 2^64-1)', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 9, args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] },
      { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 9, args: [{ index: 0, value: -2, op: 'SCMP_CMP_GT' }] },
    ],
  });
  assert.equal(run(NR.read, [-1n]), errno(9));
  assert.equal(run(NR.read, [0xffff_ffffn]), RET.ALLOW, 'a 32-bit -1 is not a 64-bit -1');
  assert.equal(run(NR.write, [-1n]), errno(9));
  assert.equal(run(NR.write, [-2n]), RET.ALLOW);
  assert.equal(run(NR.write, [0x7fff_ffff_ffff_ffffn]), RET.ALLOW, 'unsigned: 2^63-1 < 2^64-2');
});

test('bigint operands are taken as given', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 3, args: [{ index: 5, value: 0xffff_ffff_ffff_fff0n as unknown as number, op: 'SCMP_CMP_GE' }] }],
  });
  assert.equal(run(NR.read, [0n, 0n, 0n, 0n, 0n, 0xffff_ffff_ffff_fff0n]), errno(3));
  assert.equal(run(NR.read, [0n, 0n, 0n, 0n, 0n, 0xffff_ffff_ffff_ffefn]), RET.ALLOW);
});

test('MASKED_EQ: value is the mask, valueTwo the datum; datum bits outside the mask are ignored (libseccomp)', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      // Docker's clone rule, inverted: ERRNO when any namespace flag is set.
      { names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_NE' }] },
      { names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 2, args: [{ index: 0, value: 0x1, valueTwo: 0x3, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  });
  assert.equal(run(NR.read, [1n]), errno(2), 'datum 3 & mask 1 = 1');
  assert.equal(run(NR.read, [3n]), errno(2));
  assert.equal(run(NR.read, [2n]), RET.ALLOW);
});

test('a MASKED_EQ with an empty mask always holds: the rule becomes unconditional', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 2, args: [{ index: 1, value: 0, valueTwo: 5, op: 'SCMP_CMP_MASKED_EQ' }] }],
  });
  assert.equal(run(NR.read, [0n, 12345n]), errno(2));
});

test('comparisons on different arguments of one rule are ANDed', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{
      names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 97,
      args: [{ index: 0, value: 40, op: 'SCMP_CMP_EQ' }, { index: 1, value: 0x1_0000_0000, op: 'SCMP_CMP_LT' }, { index: 2, value: 3, op: 'SCMP_CMP_GE' }],
    }],
  });
  assert.equal(run(NR.socket, [40n, 1n, 3n]), errno(97));
  assert.equal(run(NR.socket, [40n, 0xffff_ffffn, 9n]), errno(97));
  assert.equal(run(NR.socket, [41n, 1n, 3n]), RET.ALLOW);
  assert.equal(run(NR.socket, [40n, 0x1_0000_0000n, 3n]), RET.ALLOW);
  assert.equal(run(NR.socket, [40n, 1n, 2n]), RET.ALLOW);
  assert.equal(run(NR.socket, [40n + (1n << 32n), 1n, 3n]), RET.ALLOW, 'the high word of arg 0 counts');
});

test('two comparisons on the same argument are ORed, as runc splits them into separate rules', () => {
  const run = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [{
      names: ['personality'], action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }, { index: 1, value: 9, op: 'SCMP_CMP_EQ' }],
    }],
  });
  assert.equal(run(NR.personality, [0n]), RET.ALLOW);
  assert.equal(run(NR.personality, [0xffff_ffffn]), RET.ALLOW);
  assert.equal(run(NR.personality, [5n, 9n]), RET.ALLOW, 'arg 1 alone is a rule too');
  assert.equal(run(NR.personality, [5n, 8n]), errno(1));
});

test('i386 and x32 compare the low 32 bits only, as libseccomp does for 32-bit ABIs', () => {
  const profile: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 1, value: -1, op: 'SCMP_CMP_EQ' }] },
      { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 14, args: [{ index: 0, value: 0x1_0000_0002, op: 'SCMP_CMP_GT' }] },
    ],
  };
  const run = compile(profile);
  // x86_64: all 64 bits
  assert.equal(run(NR.mkdir, [0n, 0xffff_ffffn]), RET.ALLOW);
  assert.equal(run(NR.mkdir, [0n, -1n]), errno(13));
  // i386: a 32-bit -1 matches a 64-bit -1 operand
  assert.equal(run(NR_I386.mkdir, [0n, 0xffff_ffffn], AUDIT_I386), errno(13));
  assert.equal(run(NR_I386.mkdir, [0n, 0xffff_fffen], AUDIT_I386), RET.ALLOW);
  assert.equal(run(NR_I386.getpid, [3n], AUDIT_I386), errno(14), 'low words: 3 > 2');
  assert.equal(run(NR_I386.getpid, [2n], AUDIT_I386), RET.ALLOW);
  // x32: same audit arch as x86_64, low words too
  assert.equal(run(NR_X32.mkdir, [0n, 0xffff_ffffn], AUDIT_X86_64), errno(13));
  assert.equal(run(NR_X32.getpid, [3n], AUDIT_X86_64), errno(14));
  assert.equal(run(NR.getpid, [3n]), RET.ALLOW, 'x86_64: 3 < 2^32+2');
});

test('bad comparisons are refused, naming the field', () => {
  const withArg = (arg: unknown): LinuxSeccomp => ({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, { names: ['read'], action: 'SCMP_ACT_ERRNO' },
      { names: ['read'], action: 'SCMP_ACT_ERRNO' }, { names: ['write'], action: 'SCMP_ACT_ERRNO', args: [arg as never] }],
  });
  const bad = (arg: unknown, message: string): void => {
    assert.throws(() => compileSeccomp(withArg(arg)), { code: 'InvalidArgument', message });
  };
  bad({ index: 0, value: 1, op: 'SCMP_CMP_XX' }, 'linux.seccomp.syscalls[3].args[0].op: unknown operator "SCMP_CMP_XX"');
  bad({ index: 0, value: 1 }, 'linux.seccomp.syscalls[3].args[0].op: required');
  bad({ index: 6, value: 1, op: 'SCMP_CMP_EQ' }, 'linux.seccomp.syscalls[3].args[0].index: must be an integer between 0 and 5, got 6');
  bad({ index: -1, value: 1, op: 'SCMP_CMP_EQ' }, 'linux.seccomp.syscalls[3].args[0].index: must be an integer between 0 and 5, got -1');
  bad({ index: '0', value: 1, op: 'SCMP_CMP_EQ' }, 'linux.seccomp.syscalls[3].args[0].index: must be an integer between 0 and 5, got "0"');
  bad({ index: 0, value: 1.5, op: 'SCMP_CMP_EQ' }, 'linux.seccomp.syscalls[3].args[0].value: must be an integer');
  bad({ index: 0, value: 2 ** 64, op: 'SCMP_CMP_EQ' }, 'linux.seccomp.syscalls[3].args[0].value: 18446744073709552000 does not fit in 64 bits');
  bad({ index: 0, value: 1, valueTwo: 'x', op: 'SCMP_CMP_MASKED_EQ' }, 'linux.seccomp.syscalls[3].args[0].valueTwo: must be an integer');
  bad(null, 'linux.seccomp.syscalls[3].args[0]: must be an object');
});
