// The seccomp compiler, run on a classic-BPF interpreter: each action, each comparison at the edges
// of the 32-bit halves, arch checks, x32, rule order, and errors naming the field.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSeccomp } from '../../../src/runtime/seccomp/index.js';
import type { LinuxSeccomp } from '../../../src/oci/index.js';

const X86_64 = 0xc000003e;
const I386 = 0x40000003;
const AARCH64 = 0xc00000b7;
const ALLOW = 0x7fff0000;
const KILL_PROCESS = 0x80000000;
const errno = (e: number): number => 0x00050000 | e;

/** Runs a sock_filter program on seccomp_data {nr, arch, args}; returns the RET value. */
function run(program: Uint8Array, nr: number, arch = X86_64, args: bigint[] = []): number {
  const data = new DataView(new ArrayBuffer(64));
  data.setUint32(0, nr, true);
  data.setUint32(4, arch, true);
  args.forEach((v, i) => data.setBigUint64(16 + 8 * i, BigInt.asUintN(64, v), true));
  const code = new DataView(program.buffer, program.byteOffset, program.byteLength);
  let acc = 0;
  for (let pc = 0, steps = 0; steps < 10000; steps++) {
    const op = code.getUint16(pc * 8, true);
    const jt = code.getUint8(pc * 8 + 2);
    const jf = code.getUint8(pc * 8 + 3);
    const k = code.getUint32(pc * 8 + 4, true);
    switch (op) {
      case 0x20: acc = data.getUint32(k, true); pc++; break;
      case 0x54: acc = (acc & k) >>> 0; pc++; break;
      case 0x05: pc += 1 + k; break;
      case 0x15: pc += 1 + (acc === k ? jt : jf); break;
      case 0x25: pc += 1 + (acc > k ? jt : jf); break;
      case 0x35: pc += 1 + (acc >= k ? jt : jf); break;
      case 0x06: return k;
      default: throw new Error(`unknown insn ${op.toString(16)} at ${pc}`);
    }
  }
  throw new Error('no return');
}

const NR = { read: 0, write: 1, mkdir: 83, personality: 135, getcwd: 79, socket: 41 };

test('default action, listed syscalls, errnoRet and EPERM when unset', () => {
  const { program } = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 42 }, { names: ['getcwd'], action: 'SCMP_ACT_ERRNO' }],
  });
  assert.equal(run(program, NR.read), ALLOW);
  assert.equal(run(program, NR.mkdir), errno(42));
  assert.equal(run(program, NR.getcwd), errno(1));
});

test('every action maps to its SECCOMP_RET value; NOTIFY is refused', () => {
  const cases: [LinuxSeccomp['defaultAction'], number][] = [
    ['SCMP_ACT_KILL', 0], ['SCMP_ACT_KILL_THREAD', 0], ['SCMP_ACT_KILL_PROCESS', KILL_PROCESS], ['SCMP_ACT_TRAP', 0x00030000],
    ['SCMP_ACT_LOG', 0x7ffc0000], ['SCMP_ACT_ALLOW', ALLOW], ['SCMP_ACT_TRACE', 0x7ff00000 | 1],
  ];
  for (const [action, ret] of cases) {
    assert.equal(run(compileSeccomp({ defaultAction: action }).program, NR.read), ret, action);
  }
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }),
    { code: 'NotImplemented', message: 'linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported' });
});

test('64-bit comparisons hold on both 32-bit halves, for every operator', () => {
  const big = 0x1_0000_0005n;
  const ops = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE'] as const;
  const truth: Record<(typeof ops)[number], (a: bigint, b: bigint) => boolean> = {
    SCMP_CMP_EQ: (a, b) => a === b, SCMP_CMP_NE: (a, b) => a !== b, SCMP_CMP_LT: (a, b) => a < b,
    SCMP_CMP_LE: (a, b) => a <= b, SCMP_CMP_GT: (a, b) => a > b, SCMP_CMP_GE: (a, b) => a >= b,
  };
  const samples = [0n, 4n, 5n, 6n, 0xffff_ffffn, 0x1_0000_0000n, 0x1_0000_0004n, big, 0x1_0000_0006n, 0x2_0000_0000n, 0xffff_ffff_ffff_ffffn];
  for (const op of ops) {
    const { program } = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 7, args: [{ index: 2, value: Number(big), op }] }],
    });
    for (const s of samples) {
      const expected = truth[op](s, big) ? errno(7) : ALLOW;
      assert.equal(run(program, NR.personality, X86_64, [0n, 0n, s]), expected, `${op} ${s.toString(16)}`);
    }
  }
});

test('MASKED_EQ uses value as the mask and valueTwo as the datum; several args are ANDed', () => {
  const { program } = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{
      names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 97,
      args: [{ index: 0, value: 0xff, valueTwo: 0x10, op: 'SCMP_CMP_MASKED_EQ' }, { index: 1, value: 3, op: 'SCMP_CMP_EQ' }],
    }],
  });
  assert.equal(run(program, NR.socket, X86_64, [0x110n, 3n]), errno(97));
  assert.equal(run(program, NR.socket, X86_64, [0x110n, 2n]), ALLOW);
  assert.equal(run(program, NR.socket, X86_64, [0x111n, 3n]), ALLOW);
});

test('the first matching rule decides; a later catch-all applies when the first does not match', () => {
  const { program } = compileSeccomp({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 22 },
    ],
  });
  assert.equal(run(program, NR.personality, X86_64, [0n]), ALLOW);
  assert.equal(run(program, NR.personality, X86_64, [8n]), errno(22));
  assert.equal(run(program, NR.read), errno(1));
});

test('arches: foreign ones are killed, listed ones use their own numbers, x32 only when listed', () => {
  const profile: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 }] };
  const native = compileSeccomp(profile).program;
  assert.equal(run(native, NR.mkdir, AARCH64), KILL_PROCESS);
  assert.equal(run(native, 39, I386), KILL_PROCESS, 'i386 not listed');
  assert.equal(run(native, 0x40000000 | NR.mkdir, X86_64), KILL_PROCESS, 'x32 not listed');
  const all = compileSeccomp({ ...profile, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }).program;
  assert.equal(run(all, 39, I386), errno(5), 'mkdir is 39 on i386');
  assert.equal(run(all, NR.mkdir, I386), ALLOW, '83 is symlink on i386');
  assert.equal(run(all, 0x40000000 | NR.mkdir, X86_64), errno(5), 'x32 mkdir');
  assert.throws(() => compileSeccomp({ ...profile, architectures: ['SCMP_ARCH_AARCH64'] }), /architectures\[0\]: "SCMP_ARCH_AARCH64" is not supported/);
});

test('unknown names are skipped with a warning; bad input names the field', () => {
  const r = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['no_such_syscall', 'mkdir'], action: 'SCMP_ACT_ERRNO' }] });
  assert.deepEqual(r.warnings, ['linux.seccomp.syscalls[0]: unknown syscall "no_such_syscall" skipped']);
  assert.equal(run(r.program, NR.mkdir), errno(1));
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }),
    /syscalls\[0\]\.args\[0\]\.index: must be between 0 and 5/);
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0, op: 'SCMP_CMP_XX' as 'SCMP_CMP_EQ' }] }] }),
    /args\[0\]\.op: unknown operator "SCMP_CMP_XX"/);
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] }), /flags\[0\]/);
});

test('a docker-sized profile (every syscall allowed, argument rules on some, three arches) fits BPF_MAXINSNS', async () => {
  const { SYSCALLS_X86_64 } = await import('../../../src/runtime/seccomp/syscall-tables.js');
  const syscalls: LinuxSeccomp['syscalls'] = [];
  const argNames = ['read', 'personality', 'clone', 'socket'];
  for (let i = 0; i < 10; i++) syscalls.push({ names: argNames, action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: i, op: 'SCMP_CMP_EQ' }] });
  syscalls.push({ names: Object.keys(SYSCALLS_X86_64).filter((n) => !argNames.includes(n)), action: 'SCMP_ACT_ALLOW' });
  const r = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls });
  assert.ok(r.program.length / 8 <= 4096);
  assert.equal(run(r.program, NR.read, X86_64, [9n]), ALLOW);
  assert.equal(run(r.program, NR.read, X86_64, [10n]), errno(1));
  assert.equal(run(r.program, NR.mkdir, X86_64), ALLOW);
  assert.equal(run(r.program, 39, I386), ALLOW, 'i386 mkdir');
});
