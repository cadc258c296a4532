// A BPF_PROG_TYPE_CGROUP_DEVICE program for a device rule set (what runc's devicefilter and crun's
// ebpf.c generate). Instead of runc's first-match over emulator-cleaned rules, the program folds the
// rules in order into the set of allowed access bits for the device, then checks the request against
// it; that gives the v1 semantics of partial-access rules (`deny c 1:3 w` after `allow c 1:3 rwm`).

import type { DeviceRuleSet } from './device-rules.js';

// include/uapi/linux/bpf.h
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
const ALL_ACCESS = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

// Opcodes (BPF class | op | source).
export const OP = {
  LDXW: 0x61, // dst = *(u32 *)(src + off)
  AND32_K: 0x54,
  AND32_X: 0x5c,
  OR32_K: 0x44,
  RSH32_K: 0x74,
  MOV32_K: 0xb4,
  JNE_K: 0x55,
  JNE_X: 0x5d,
  EXIT: 0x95,
} as const;

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6;

const insn = (code: number, dst: number, src: number, off: number, imm: number): BpfInsn => ({ code, dst, src, off, imm });

export function accessBits(access: string): number {
  let bits = 0;
  if (access.includes('r')) bits |= BPF_DEVCG_ACC_READ;
  if (access.includes('w')) bits |= BPF_DEVCG_ACC_WRITE;
  if (access.includes('m')) bits |= BPF_DEVCG_ACC_MKNOD;
  return bits;
}

/**
 * struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, access_type = (access << 16) | type.
 * R2 type, R3 requested access, R4 major, R5 minor, R6 allowed access so far; returns 1 to allow.
 */
export function compileDeviceFilter(set: DeviceRuleSet): BpfInsn[] {
  const out: BpfInsn[] = [
    insn(OP.LDXW, R2, R1, 0, 0),
    insn(OP.AND32_K, R2, 0, 0, 0xffff),
    insn(OP.LDXW, R3, R1, 0, 0),
    insn(OP.RSH32_K, R3, 0, 0, 16),
    insn(OP.LDXW, R4, R1, 4, 0),
    insn(OP.LDXW, R5, R1, 8, 0),
    insn(OP.MOV32_K, R6, 0, 0, set.defaultAllow ? ALL_ACCESS : 0),
  ];
  for (const rule of set.rules) {
    const checks: [number, number][] = [[R2, rule.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK]];
    if (rule.major !== null) checks.push([R4, rule.major | 0]);
    if (rule.minor !== null) checks.push([R5, rule.minor | 0]);
    const bits = accessBits(rule.access);
    // Each check jumps over the rest of the checks and the one update instruction.
    checks.forEach(([reg, value], i) => out.push(insn(OP.JNE_K, reg, 0, checks.length - i, value)));
    out.push(rule.allow ? insn(OP.OR32_K, R6, 0, 0, bits) : insn(OP.AND32_K, R6, 0, 0, ~bits & ALL_ACCESS));
  }
  out.push(
    insn(OP.AND32_X, R6, R3, 0, 0), // R6 = allowed & requested
    insn(OP.MOV32_K, R0, 0, 0, 0),
    insn(OP.JNE_X, R6, R3, 1, 0), // some requested bit not allowed: return 0
    insn(OP.MOV32_K, R0, 0, 0, 1),
    insn(OP.EXIT, 0, 0, 0, 0),
  );
  return out;
}

/** struct bpf_insn as the kernel reads it: u8 code, u8 dst:4 src:4, s16 off, s32 imm (little endian). */
export function encodeInsns(insns: BpfInsn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((i, n) => {
    buf.writeUInt8(i.code, n * 8);
    buf.writeUInt8(((i.src & 0xf) << 4) | (i.dst & 0xf), n * 8 + 1);
    buf.writeInt16LE(i.off, n * 8 + 2);
    buf.writeInt32LE(i.imm | 0, n * 8 + 4);
  });
  return buf;
}
