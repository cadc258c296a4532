// Classic BPF for seccomp: instruction encoding and a small assembler with labels, so that jumps
// are resolved after the program is laid out (conditional jumps reach 255 instructions; longer
// distances go through a JA, which takes a 32-bit offset). Pure.

export const BPF = {
  LD_W_ABS: 0x20,
  ALU_AND_K: 0x54,
  JMP_JA: 0x05,
  JMP_JEQ_K: 0x15,
  JMP_JGT_K: 0x25,
  JMP_JGE_K: 0x35,
  RET_K: 0x06,
} as const;

export const BPF_MAXINSNS = 4096;

/** A label, the next instruction, or the one after it (to jump over a following JA). */
type Target = string | 'next' | 'skip1';

interface Insn {
  code: number;
  k: number;
  /** For conditional jumps: targets when true/false; for JA: target in `jt`. */
  jt?: Target;
  jf?: Target;
}

export class Assembler {
  private readonly insns: Insn[] = [];
  private readonly labels = new Map<string, number>();
  private nextLabel = 0;

  label(): string {
    return `L${this.nextLabel++}`;
  }

  place(label: string): void {
    this.labels.set(label, this.insns.length);
  }

  load(offset: number): void {
    this.insns.push({ code: BPF.LD_W_ABS, k: offset });
  }

  and(mask: number): void {
    this.insns.push({ code: BPF.ALU_AND_K, k: mask >>> 0 });
  }

  /** Conditional jump on the accumulator against k. */
  jump(code: number, k: number, jt: Target, jf: Target): void {
    this.insns.push({ code, k: k >>> 0, jt, jf });
  }

  goto(target: string): void {
    this.insns.push({ code: BPF.JMP_JA, k: 0, jt: target });
  }

  /** if (A <code> k) goto target, at any distance: the test falls into a JA when true, skips it when false. */
  jumpFar(code: number, k: number, target: string): void {
    this.jump(code, k, 'next', 'skip1');
    this.goto(target);
  }

  jumpIfEqualFar(k: number, target: string): void {
    this.jumpFar(BPF.JMP_JEQ_K, k, target);
  }

  ret(value: number): void {
    this.insns.push({ code: BPF.RET_K, k: value >>> 0 });
  }

  get length(): number {
    return this.insns.length;
  }

  /** Resolves labels into offsets and encodes struct sock_filter[] (little-endian). */
  assemble(): Uint8Array {
    const out = new Uint8Array(this.insns.length * 8);
    const view = new DataView(out.buffer);
    const offsetTo = (from: number, target: Target | undefined): number => {
      if (target === undefined || target === 'next') return 0;
      if (target === 'skip1') return 1;
      const at = this.labels.get(target);
      if (at === undefined) throw new Error(`seccomp: unplaced label ${target}`);
      const off = at - from - 1;
      if (off < 0) throw new Error('seccomp: backward jump');
      return off;
    };
    this.insns.forEach((insn, i) => {
      let k = insn.k;
      let jt = 0;
      let jf = 0;
      if (insn.code === BPF.JMP_JA) {
        k = offsetTo(i, insn.jt);
      } else if (insn.jt !== undefined) {
        jt = offsetTo(i, insn.jt);
        jf = offsetTo(i, insn.jf);
        if (jt > 255 || jf > 255) throw new Error('seccomp: conditional jump out of range');
      }
      view.setUint16(i * 8, insn.code, true);
      view.setUint8(i * 8 + 2, jt);
      view.setUint8(i * 8 + 3, jf);
      view.setUint32(i * 8 + 4, k >>> 0, true);
    });
    return out;
  }
}
