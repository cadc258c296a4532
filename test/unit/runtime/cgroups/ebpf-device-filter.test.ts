// The device program is run by a small interpreter of the opcodes it uses, on the encoded bytes, for
// known rule sets; the integration and cgroup2 suites load it into the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileDeviceFilter, encodeInsns, normaliseDeviceRules, formatDeviceRule,
} from '../../../../src/runtime/cgroups/index.js';
import type { LinuxDeviceCgroup } from '../../../../src/oci/index.js';

const ACC = { m: 1, r: 2, w: 4 } as const;
const TYPE = { b: 1, c: 2 } as const;

/** Executes encoded struct bpf_insn[] on a bpf_cgroup_dev_ctx. */
function run(prog: Buffer, type: 'c' | 'b', major: number, minor: number, access: string): number {
  const reqAccess = [...access].reduce((a, c) => a | ACC[c as keyof typeof ACC], 0);
  const ctx = [(reqAccess << 16) | TYPE[type], major, minor];
  const reg = new Array<number>(11).fill(0);
  const u32 = (n: number): number => n >>> 0;
  for (let pc = 0, steps = 0; pc < prog.length / 8; pc++, steps++) {
    assert.ok(steps < 10_000, 'no loops');
    const code = prog.readUInt8(pc * 8);
    const dst = prog.readUInt8(pc * 8 + 1) & 0xf;
    const src = prog.readUInt8(pc * 8 + 1) >> 4;
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = prog.readInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x61: assert.equal(src, 1); assert.equal(off % 4, 0); reg[dst] = ctx[off / 4]!; break;
      case 0x54: reg[dst] = u32(reg[dst]! & imm); break;
      case 0x5c: reg[dst] = u32(reg[dst]! & reg[src]!); break;
      case 0x44: reg[dst] = u32(reg[dst]! | imm); break;
      case 0x74: reg[dst] = u32(reg[dst]!) >>> imm; break;
      case 0xb4: reg[dst] = u32(imm); break;
      case 0x55: assert.ok(off >= 0); if (reg[dst] !== u32(imm)) pc += off; break;
      case 0x5d: assert.ok(off >= 0); if (reg[dst] !== reg[src]) pc += off; break;
      case 0x95: return reg[0]!;
      default: assert.fail(`unexpected opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  return assert.fail('fell off the end of the program');
}

const compile = (rules: LinuxDeviceCgroup[]): Buffer => encodeInsns(compileDeviceFilter(normaliseDeviceRules(rules)));

void test("docker's default list: deny all, then allow the standard devices", () => {
  const p = compile([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
    { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' }, // pts/*
    { allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }, // tun
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ]);
  assert.equal(run(p, 'c', 1, 3, 'rw'), 1);
  assert.equal(run(p, 'c', 1, 5, 'r'), 1);
  assert.equal(run(p, 'c', 136, 7, 'w'), 1);
  assert.equal(run(p, 'c', 10, 200, 'rw'), 1);
  assert.equal(run(p, 'c', 10, 200, 'm'), 0, 'mknod not in rw');
  assert.equal(run(p, 'c', 10, 229, 'r'), 0);
  assert.equal(run(p, 'c', 1, 8, 'r'), 0, 'not listed: default deny');
  assert.equal(run(p, 'b', 1, 3, 'r'), 0, 'block 1:3 is another device');
});

void test('later rules override earlier ones per access bit', () => {
  const p = compile([
    { allow: true, type: 'a', access: 'rwm' },
    { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
  ]);
  assert.equal(run(p, 'c', 1, 3, 'r'), 1);
  assert.equal(run(p, 'c', 1, 3, 'rw'), 0, 'write denied even when asked with read');
  assert.equal(run(p, 'b', 8, 0, 'rwm'), 1, 'default allow');
  const q = compile([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: -1, minor: -1, access: 'm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'w' },
  ]);
  assert.equal(run(q, 'c', 1, 3, 'rw'), 1, 'r and w from two rules combine');
  assert.equal(run(q, 'c', 4, 1, 'm'), 1, 'mknod of any char device');
  assert.equal(run(q, 'c', 4, 1, 'r'), 0);
  assert.equal(run(q, 'b', 8, 0, 'm'), 0);
});

void test('a wildcard rule resets what came before it', () => {
  const p = compile([
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: false, access: 'rwm' },
  ]);
  assert.equal(run(p, 'c', 1, 3, 'r'), 0);
  assert.deepEqual(normaliseDeviceRules([{ allow: true, type: 'c', major: 1, minor: 3 }, { allow: false }]).rules, []);
});

void test('no rules at all: deny everything (runc emulator default)', () => {
  assert.equal(run(compile([]), 'c', 1, 3, 'r'), 0);
});

void test('instructions of a one-rule program', () => {
  const insns = compileDeviceFilter(normaliseDeviceRules([{ allow: false }, { allow: true, type: 'b', major: 8, minor: -1, access: 'r' }]));
  // prologue (7), type check + major check + OR (3), epilogue (5)
  assert.equal(insns.length, 15);
  assert.deepEqual(insns[7], { code: 0x55, dst: 2, src: 0, off: 2, imm: 1 });
  assert.deepEqual(insns[8], { code: 0x55, dst: 4, src: 0, off: 1, imm: 8 });
  assert.deepEqual(insns[9], { code: 0x44, dst: 6, src: 0, off: 0, imm: 2 });
  assert.equal(insns.at(-1)!.code, 0x95);
});

void test('invalid rules name the field', () => {
  assert.throws(() => normaliseDeviceRules([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rx' }]),
    /: linux\.resources\.devices\[0\]\.access: invalid device access "rx"/);
  assert.throws(() => normaliseDeviceRules([{ allow: true }, { allow: true, type: 'x' as 'c' }]), /devices\[1\]\.type/);
  assert.equal(formatDeviceRule({ allow: true, type: 'c', major: 136, minor: null, access: 'rwm' }), 'c 136:* rwm');
});
