// Seccomp: OCI linux.seccomp → classic BPF for the shim to load. Pure.
export { compileSeccomp, isSeccompDisabled, type CompiledSeccomp, type CompileSeccompOptions } from './compile.js';
export { BPF_MAXINSNS } from './bpf.js';
export { AUDIT_ARCH, SECCOMP_FILTER_FLAG, SECCOMP_RET } from './kernel-abi.js';
