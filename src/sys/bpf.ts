// bpf(2) for cgroup device programs: load, attach, query, detach. libc has no wrapper, so the call
// goes through syscall(2); union bpf_attr is laid out by hand in a zeroed buffer (the kernel accepts a
// shorter or longer attr as long as the unknown tail is zero).

import { arch } from 'node:process';
import { libc, koffi, check } from './libc.js';
import { SysError } from './sys-error.js';

const NR_BPF: Record<string, number> = { x64: 321, arm64: 280, riscv64: 280, ppc64: 361, s390x: 351 };

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_DETACH = 9;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_PROG_QUERY = 16;

export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;
export const BPF_F_ALLOW_MULTI = 2;

const ATTR_SIZE = 128;

const syscall = libc.func('long syscall(long nr, ...)');

function bpf(cmd: number, attr: Buffer, what: string, path?: string): number {
  const nr = NR_BPF[arch];
  if (nr === undefined) throw new SysError(what, 38, path);
  const ret = Number(syscall(nr, 'int', cmd, 'void *', attr, 'uint', attr.length) as number | bigint);
  return check(ret, what, path);
}

/**
 * Loads a program; on a verifier rejection the error message carries the verifier log. `insns` is
 * struct bpf_insn[] as bytes.
 */
export function bpfProgLoad(progType: number, insns: Buffer, license = 'Apache', expectedAttachType = 0): number {
  const licenseBuf = Buffer.from(`${license}\0`);
  const log = Buffer.alloc(64 * 1024);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(progType, 0);
  attr.writeUInt32LE(insns.length / 8, 4);
  attr.writeBigUInt64LE(BigInt(koffi.address(insns)), 8);
  attr.writeBigUInt64LE(BigInt(koffi.address(licenseBuf)), 16);
  attr.writeUInt32LE(1, 24); // log_level
  attr.writeUInt32LE(log.length, 28);
  attr.writeBigUInt64LE(BigInt(koffi.address(log)), 32);
  attr.writeUInt32LE(expectedAttachType, 68);
  try {
    return bpf(BPF_PROG_LOAD, attr, 'bpf(BPF_PROG_LOAD)');
  } catch (err) {
    const text = log.toString('utf8', 0, Math.max(0, log.indexOf(0))).trim();
    if (text !== '' && err instanceof SysError) {
      err.message = `${err.message}; verifier: ${text.split('\n').slice(-3).join(' | ')}`;
    }
    throw err;
  } finally {
    // Keep the buffers alive until the syscall has returned.
    void licenseBuf.length;
    void insns.length;
  }
}

function attachAttr(targetFd: number, progFd: number, attachType: number, flags: number): Buffer {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(targetFd, 0);
  attr.writeUInt32LE(progFd, 4);
  attr.writeUInt32LE(attachType, 8);
  attr.writeUInt32LE(flags, 12);
  return attr;
}

export function bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number, path?: string): void {
  bpf(BPF_PROG_ATTACH, attachAttr(targetFd, progFd, attachType, flags), 'bpf(BPF_PROG_ATTACH)', path);
}

export function bpfProgDetach(targetFd: number, progFd: number, attachType: number, path?: string): void {
  bpf(BPF_PROG_DETACH, attachAttr(targetFd, progFd, attachType, 0), 'bpf(BPF_PROG_DETACH)', path);
}

/** Ids of the programs attached directly to the cgroup `targetFd` for `attachType`. */
export function bpfProgQuery(targetFd: number, attachType: number, path?: string): number[] {
  const ids = Buffer.alloc(64 * 4);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(targetFd, 0);
  attr.writeUInt32LE(attachType, 4);
  attr.writeBigUInt64LE(BigInt(koffi.address(ids)), 16);
  attr.writeUInt32LE(64, 24);
  bpf(BPF_PROG_QUERY, attr, 'bpf(BPF_PROG_QUERY)', path);
  const count = attr.readUInt32LE(24);
  const out: number[] = [];
  for (let i = 0; i < Math.min(count, 64); i++) out.push(ids.readUInt32LE(i * 4));
  return out;
}

export function bpfProgGetFdById(id: number): number {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(id, 0);
  return bpf(BPF_PROG_GET_FD_BY_ID, attr, 'bpf(BPF_PROG_GET_FD_BY_ID)');
}
