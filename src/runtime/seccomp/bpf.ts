// Classic BPF for seccomp: the few opcodes the compiler emits and an assembler with symbolic labels.
// Conditional jumps only reach 255 instructions ahead (u8 offsets), so `assemble` relaxes: any
// conditional jump whose target is too far is given a trampoline (an unconditional JA, which takes a
// 32-bit offset) right after it, and layout repeats until every offset fits. Jumps only go forward,
// as the kernel's checker requires. Pure.

export const BPF = {
  LD_W_ABS: 0x20, // BPF_LD | BPF_W | BPF_ABS
  ALU_AND_K: 0x54, // BPF_ALU | BPF_AND | BPF_K
  JMP_JA: 0x05, // BPF_JMP | BPF_JA
  JMP_JEQ_K: 0x15,
  JMP_JGT_K: 0x25,
  JMP_JGE_K: 0x35,
  JMP_JSET_K: 0x45,
  RET_K: 0x06, // BPF_RET | BPF_K
} as const;

/** The kernel's limit on a classic BPF program (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

export type CondCode = typeof BPF.JMP_JEQ_K | typeof BPF.JMP_JGT_K | typeof BPF.JMP_JGE_K | typeof BPF.JMP_JSET_K;

/** A jump target: a label, or `next` (fall through to the following instruction). */
export type Target = Label | 'next';

export interface Label {
  readonly id: number;
}

type Item =
  | { kind: 'label'; label: Label }
  | { kind: 'op'; code: number; k: number }
  | { kind: 'cond'; code: CondCode; k: number; jt: Target; jf: Target }
  | { kind: 'ja'; target: Label };

type CondItem = Extract<Item, { kind: 'cond' }>;

const MAX_COND_OFFSET = 255;

export class Assembler {
  private items: Item[] = [];
  private labelCount = 0;

  label(): Label {
    return { id: this.labelCount++ };
  }

  place(label: Label): void {
    this.items.push({ kind: 'label', label });
  }

  /** A = 32-bit word at `offset` of struct seccomp_data. */
  load(offset: number): void {
    this.items.push({ kind: 'op', code: BPF.LD_W_ABS, k: offset });
  }

  and(mask: number): void {
    this.items.push({ kind: 'op', code: BPF.ALU_AND_K, k: mask >>> 0 });
  }

  /** if (A <code> k) goto jt else goto jf. */
  jump(code: CondCode, k: number, jt: Target, jf: Target): void {
    this.items.push({ kind: 'cond', code, k: k >>> 0, jt, jf });
  }

  goto(target: Label): void {
    this.items.push({ kind: 'ja', target });
  }

  ret(value: number): void {
    this.items.push({ kind: 'op', code: BPF.RET_K, k: value >>> 0 });
  }

  /** Instructions emitted so far, before relaxation adds trampolines. */
  get length(): number {
    return this.items.filter((i) => i.kind !== 'label').length;
  }

  /** Lays the program out, adding trampolines for far conditional jumps; returns struct sock_filter[]. */
  assemble(): Uint8Array {
    let items = this.items;
    for (;;) {
      const at = layout(items);
      const far = new Set<Item>();
      let pc = 0;
      for (const item of items) {
        if (item.kind === 'label') continue;
        if (item.kind === 'cond' && (distance(at, pc, item.jt) > MAX_COND_OFFSET || distance(at, pc, item.jf) > MAX_COND_OFFSET)) {
          far.add(item);
        }
        pc++;
      }
      if (far.size === 0) return encode(items, at);
      items = items.flatMap((item) => (far.has(item) ? trampoline(item as CondItem, () => this.label()) : [item]));
    }
  }
}

/** Label id → instruction index. */
function layout(items: readonly Item[]): Map<number, number> {
  const at = new Map<number, number>();
  let pc = 0;
  for (const item of items) {
    if (item.kind === 'label') at.set(item.label.id, pc);
    else pc++;
  }
  return at;
}

function distance(at: Map<number, number>, pc: number, target: Target): number {
  if (target === 'next') return 0;
  const to = at.get(target.id);
  if (to === undefined) throw new Error(`seccomp bpf: label ${target.id} was never placed`);
  const off = to - pc - 1;
  if (off < 0) throw new Error(`seccomp bpf: backward jump from ${pc} to ${to}`);
  return off;
}

/** `cond jt, jf` with a far side → the far side(s) go through a JA placed right after the test. */
function trampoline(item: CondItem, fresh: () => Label): Item[] {
  const { code, k, jt, jf } = item;
  if (jt !== 'next' && jf !== 'next') {
    const falseHop = fresh();
    return [{ kind: 'cond', code, k, jt: 'next', jf: falseHop }, { kind: 'ja', target: jt },
      { kind: 'label', label: falseHop }, { kind: 'ja', target: jf }];
  }
  const cont = fresh();
  if (jt !== 'next') {
    return [{ kind: 'cond', code, k, jt: 'next', jf: cont }, { kind: 'ja', target: jt }, { kind: 'label', label: cont }];
  }
  return [{ kind: 'cond', code, k, jt: cont, jf: 'next' }, { kind: 'ja', target: jf as Label }, { kind: 'label', label: cont }];
}

function encode(items: readonly Item[], at: Map<number, number>): Uint8Array {
  const count = items.filter((i) => i.kind !== 'label').length;
  const out = new Uint8Array(count * 8);
  const view = new DataView(out.buffer);
  let pc = 0;
  for (const item of items) {
    if (item.kind === 'label') continue;
    let code: number;
    let jt = 0;
    let jf = 0;
    let k: number;
    if (item.kind === 'op') {
      code = item.code;
      k = item.k;
    } else if (item.kind === 'cond') {
      code = item.code;
      k = item.k;
      jt = distance(at, pc, item.jt);
      jf = distance(at, pc, item.jf);
    } else {
      code = BPF.JMP_JA;
      k = distance(at, pc, item.target);
    }
    view.setUint16(pc * 8, code, true);
    view.setUint8(pc * 8 + 2, jt);
    view.setUint8(pc * 8 + 3, jf);
    view.setUint32(pc * 8 + 4, k >>> 0, true);
    pc++;
  }
  return out;
}
