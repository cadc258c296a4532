// A classic-BPF interpreter for seccomp programs, for unit tests: it checks a program the way the
// kernel does before loading it (bpf_check_classic + seccomp_check_filter: allowed opcodes, aligned
// loads inside struct seccomp_data, jumps in range, a RET at the end) and runs it on a synthetic
// struct seccomp_data. Written from the kernel's semantics, independent of the compiler under test.

export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  /** Six 64-bit arguments (missing ones are 0); negative values are taken as two's complement. */
  args?: readonly bigint[];
}

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const SECCOMP_DATA_SIZE = 64;
const BPF_MAXINSNS = 4096;
const BPF_MEMWORDS = 16;

// classes, sizes, modes, ops, sources (linux/bpf_common.h)
const CLS = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07 };
const MODE = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0 };
const SIZE_W = 0x00;
const SRC_X = 0x08;
const RVAL = { K: 0x00, X: 0x08, A: 0x10 };

export function decode(program: Uint8Array): Insn[] {
  if (program.length % 8 !== 0) throw new Error(`program length ${program.length} is not a multiple of 8`);
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const out: Insn[] = [];
  for (let i = 0; i < program.length; i += 8) {
    out.push({ code: view.getUint16(i, true), jt: view.getUint8(i + 2), jf: view.getUint8(i + 3), k: view.getUint32(i + 4, true) });
  }
  return out;
}

/** Throws unless the kernel would accept the program as a seccomp filter. */
export function checkSeccompProgram(program: Uint8Array): Insn[] {
  const insns = decode(program);
  if (insns.length === 0 || insns.length > BPF_MAXINSNS) throw new Error(`bad program length ${insns.length}`);
  insns.forEach((insn, pc) => {
    const cls = insn.code & 0x07;
    const fail = (why: string): never => {
      throw new Error(`insn ${pc} (code 0x${insn.code.toString(16)} k ${insn.k}): ${why}`);
    };
    switch (cls) {
      case CLS.LD:
      case CLS.LDX: {
        const mode = insn.code & 0xe0;
        if (cls === CLS.LD && insn.code === (CLS.LD | SIZE_W | MODE.ABS)) {
          if (insn.k % 4 !== 0 || insn.k >= SECCOMP_DATA_SIZE) fail('load outside struct seccomp_data or unaligned');
        } else if (insn.code === (cls | SIZE_W | MODE.LEN)) {
          // seccomp rewrites it to the size of seccomp_data
        } else if (insn.code === (cls | MODE.IMM)) {
          // fine
        } else if (insn.code === (cls | MODE.MEM)) {
          if (insn.k >= BPF_MEMWORDS) fail('scratch slot out of range');
        } else {
          fail(`load mode 0x${mode.toString(16)} not allowed in seccomp`);
        }
        break;
      }
      case CLS.ST:
      case CLS.STX:
        if (insn.k >= BPF_MEMWORDS) fail('scratch slot out of range');
        break;
      case CLS.ALU: {
        const op = insn.code & 0xf0;
        if (![0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0].includes(op)) fail('unknown ALU op');
        if ((op === 0x30 || op === 0x90) && (insn.code & SRC_X) === 0 && insn.k === 0) fail('division by zero');
        break;
      }
      case CLS.JMP: {
        const op = insn.code & 0xf0;
        if (op === 0x00) {
          if (pc + 1 + insn.k >= insns.length) fail('JA out of range');
        } else {
          if (![0x10, 0x20, 0x30, 0x40].includes(op)) fail('unknown jump op');
          if (pc + 1 + insn.jt >= insns.length || pc + 1 + insn.jf >= insns.length) fail('conditional jump out of range');
        }
        break;
      }
      case CLS.RET:
        if (![RVAL.K, RVAL.A].includes(insn.code & 0x18)) fail('bad RET source');
        break;
      case CLS.MISC:
        if (insn.code !== 0x07 && insn.code !== 0x87) fail('unknown MISC op');
        break;
    }
  });
  if ((insns[insns.length - 1]!.code & 0x07) !== CLS.RET) throw new Error('the last instruction is not a RET');
  return insns;
}

/** Runs a checked program on `data`; returns the filter's 32-bit verdict. */
export function runSeccomp(program: Uint8Array | Insn[], data: SeccompData): number {
  const insns = program instanceof Uint8Array ? checkSeccompProgram(program) : program;
  const bytes = new DataView(new ArrayBuffer(SECCOMP_DATA_SIZE));
  bytes.setInt32(0, data.nr | 0, true);
  bytes.setUint32(4, data.arch >>> 0, true);
  bytes.setBigUint64(8, BigInt.asUintN(64, data.instructionPointer ?? 0n), true);
  (data.args ?? []).forEach((v, i) => bytes.setBigUint64(16 + 8 * i, BigInt.asUintN(64, v), true));
  let a = 0;
  let x = 0;
  const mem = new Array<number>(BPF_MEMWORDS).fill(0);
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, jt, jf, k } = insns[pc]!;
    const cls = code & 0x07;
    const src = (code & SRC_X) !== 0 ? x : k;
    switch (cls) {
      case CLS.LD:
        if ((code & 0xe0) === MODE.ABS) a = bytes.getUint32(k, true);
        else if ((code & 0xe0) === MODE.LEN) a = SECCOMP_DATA_SIZE;
        else if ((code & 0xe0) === MODE.IMM) a = k;
        else a = mem[k]!;
        break;
      case CLS.LDX:
        if ((code & 0xe0) === MODE.LEN) x = SECCOMP_DATA_SIZE;
        else if ((code & 0xe0) === MODE.IMM) x = k;
        else x = mem[k]!;
        break;
      case CLS.ST: mem[k] = a; break;
      case CLS.STX: mem[k] = x; break;
      case CLS.ALU:
        a = alu(code & 0xf0, a, src);
        break;
      case CLS.JMP: {
        const op = code & 0xf0;
        if (op === 0x00) {
          pc += k;
          break;
        }
        const taken = op === 0x10 ? a === src : op === 0x20 ? a > src : op === 0x30 ? a >= src : (a & src) !== 0;
        pc += taken ? jt : jf;
        break;
      }
      case CLS.RET:
        return ((code & 0x18) === RVAL.A ? a : k) >>> 0;
      case CLS.MISC:
        if (code === 0x07) x = a;
        else a = x;
        break;
    }
  }
  throw new Error('fell off the end of the program');
}

function alu(op: number, a: number, v: number): number {
  switch (op) {
    case 0x00: return (a + v) >>> 0;
    case 0x10: return (a - v) >>> 0;
    case 0x20: return Number((BigInt(a) * BigInt(v)) & 0xffffffffn);
    case 0x30: return Math.floor(a / v) >>> 0;
    case 0x40: return (a | v) >>> 0;
    case 0x50: return (a & v) >>> 0;
    case 0x60: return v >= 32 ? 0 : (a << v) >>> 0;
    case 0x70: return v >= 32 ? 0 : a >>> v;
    case 0x80: return (-a) >>> 0;
    case 0x90: return (a % v) >>> 0;
    case 0xa0: return (a ^ v) >>> 0;
    default: throw new Error(`unknown ALU op 0x${op.toString(16)}`);
  }
}

/** SECCOMP_RET_* verdict split into its action name and 16-bit data. */
export function describeVerdict(ret: number): { action: string; data: number } {
  const action = (ret & 0xffff0000) >>> 0;
  const names: Record<number, string> = {
    0x80000000: 'KILL_PROCESS', 0x00000000: 'KILL_THREAD', 0x00030000: 'TRAP', 0x00050000: 'ERRNO',
    0x7fc00000: 'USER_NOTIF', 0x7ff00000: 'TRACE', 0x7ffc0000: 'LOG', 0x7fff0000: 'ALLOW',
  };
  return { action: names[action] ?? `0x${action.toString(16)}`, data: ret & 0xffff };
}

/** Longest path through the program, in instructions executed (for tests on filter cost). */
export function longestPath(insns: readonly Insn[]): number {
  const memo = new Array<number>(insns.length).fill(-1);
  for (let pc = insns.length - 1; pc >= 0; pc--) {
    const { code, jt, jf, k } = insns[pc]!;
    const cls = code & 0x07;
    let next: number[];
    if (cls === CLS.RET) next = [];
    else if (cls === CLS.JMP) next = (code & 0xf0) === 0 ? [pc + 1 + k] : [pc + 1 + jt, pc + 1 + jf];
    else next = [pc + 1];
    memo[pc] = 1 + Math.max(0, ...next.map((n) => memo[n]!));
  }
  return memo[0]!;
}
