// Encodes a launch plan into the shim's binary form (STYLE §2.4): "SKPL", u16 version, u32 count,
// then per op u16 code, u32 payload length, payload. Little-endian; strings carry a length and a NUL.
// Pure: the golden test runs the C decoder on what this produces.

import { PLAN_OPS, type PlanOp, type FieldType } from './plan-ops.js';

export const PLAN_VERSION = 1;

class ByteWriter {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }

  u64(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, v), true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const encoder = new TextEncoder();

function writeString(w: ByteWriter, s: string, what: string): void {
  const b = encoder.encode(s);
  if (b.includes(0)) throw new Error(`plan: ${what}: string contains a NUL byte`);
  w.u32(b.length);
  w.bytes(b);
  w.bytes(new Uint8Array([0]));
}

function writeField(w: ByteWriter, type: FieldType, value: unknown, what: string): void {
  switch (type) {
    case 'u':
    case 'i':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`plan: ${what}: not an integer`);
      w.u32(value);
      return;
    case 'q':
      w.u64(typeof value === 'bigint' ? value : BigInt(value as number));
      return;
    case 's':
      writeString(w, value as string, what);
      return;
    case 'b': {
      const b = value as Uint8Array;
      w.u32(b.length);
      w.bytes(b);
      return;
    }
    case 'v': {
      const v = value as readonly string[];
      w.u32(v.length);
      for (const s of v) writeString(w, s, what);
      return;
    }
    case 'w': {
      const v = value as readonly number[];
      w.u32(v.length);
      for (const n of v) w.u32(n);
      return;
    }
  }
}

export function encodePlan(ops: readonly PlanOp[]): Uint8Array {
  const w = new ByteWriter();
  w.bytes(encoder.encode('SKPL'));
  w.u16(PLAN_VERSION);
  w.u32(ops.length);
  ops.forEach((op, index) => {
    const def = PLAN_OPS[op.op];
    w.u16(def.code);
    const lengthAt = w.length;
    w.u32(0);
    const start = w.length;
    for (const [name, type] of def.fields) {
      writeField(w, type, (op as unknown as Record<string, unknown>)[name], `op ${index} (${op.op}).${name}`);
    }
    w.patchU32(lengthAt, w.length - start);
  });
  return w.result();
}

/** The canonical text of a plan, one op per line; the C test dumper prints the same for the bytes. */
export function describePlan(ops: readonly PlanOp[]): string {
  return ops
    .map((op) => {
      const def = PLAN_OPS[op.op];
      const parts = def.fields.map(([name, type]) => {
        const v = (op as unknown as Record<string, unknown>)[name];
        switch (type) {
          case 'u':
            return `${name}=${(v as number) >>> 0}`;
          case 'i':
            return `${name}=${v as number}`;
          case 'q':
            return `${name}=${BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(v as number))}`;
          case 's':
            return `${name}=${JSON.stringify(v)}`;
          case 'b':
            return `${name}=<${(v as Uint8Array).length} bytes>`;
          case 'v':
            return `${name}=[${(v as string[]).map((s) => JSON.stringify(s)).join(',')}]`;
          case 'w':
            return `${name}=[${(v as number[]).join(',')}]`;
        }
      });
      return [op.op, ...parts].join(' ');
    })
    .join('\n');
}
