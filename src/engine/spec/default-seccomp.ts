// Docker's default seccomp profile (moby profiles/seccomp/default.json, Apache-2.0) as data, and the
// specialisation moby's setupSeccomp applies before handing it to the runtime: a rule is kept when its
// includes (arches, caps, minKernel) all hold and none of its excludes do; the architectures are the
// native one and its sub-architectures from archMap. The JSON itself is kept verbatim in
// test/fixtures/docker-default-seccomp.json, and a unit test checks this port against it.

import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall, SeccompAction } from '../../oci/index.js';
import { invalidArgument } from '../../base/index.js';

/** moby's seccomp.Filter (includes/excludes). */
export interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

/** One rule of a docker seccomp profile (moby seccomp.Syscall). */
export interface DockerSyscallRule {
  name?: string;
  names?: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[] | null;
  comment?: string;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

/** A docker seccomp profile (moby seccomp.Seccomp): the OCI object plus archMap and filters. */
export interface DockerSeccompProfile {
  defaultAction: SeccompAction | '';
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures: string[] | null }[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  flags?: string[];
  syscalls?: DockerSyscallRule[] | null;
}

export const DOCKER_DEFAULT_SECCOMP_PROFILE: Readonly<DockerSeccompProfile> = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    { architecture: 'SCMP_ARCH_MIPS64', subArchitectures: ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64N32'] },
    { architecture: 'SCMP_ARCH_MIPS64N32', subArchitectures: ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64'] },
    { architecture: 'SCMP_ARCH_MIPSEL64', subArchitectures: ['SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64N32'] },
    { architecture: 'SCMP_ARCH_MIPSEL64N32', subArchitectures: ['SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64'] },
    { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
    { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: null },
  ],
  syscalls: [
    {
      names: [
        'accept', 'accept4', 'access', 'adjtimex', 'alarm', 'bind', 'brk', 'capget',
        'capset', 'chdir', 'chmod', 'chown', 'chown32', 'clock_adjtime', 'clock_adjtime64', 'clock_getres',
        'clock_getres_time64', 'clock_gettime', 'clock_gettime64', 'clock_nanosleep', 'clock_nanosleep_time64', 'close', 'close_range', 'connect',
        'copy_file_range', 'creat', 'dup', 'dup2', 'dup3', 'epoll_create', 'epoll_create1', 'epoll_ctl',
        'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait', 'epoll_wait_old', 'eventfd', 'eventfd2', 'execve',
        'execveat', 'exit', 'exit_group', 'faccessat', 'faccessat2', 'fadvise64', 'fadvise64_64', 'fallocate',
        'fanotify_mark', 'fchdir', 'fchmod', 'fchmodat', 'fchown', 'fchown32', 'fchownat', 'fcntl',
        'fcntl64', 'fdatasync', 'fgetxattr', 'flistxattr', 'flock', 'fork', 'fremovexattr', 'fsetxattr',
        'fstat', 'fstat64', 'fstatat64', 'fstatfs', 'fstatfs64', 'fsync', 'ftruncate', 'ftruncate64',
        'futex', 'futex_time64', 'futex_waitv', 'futimesat', 'getcpu', 'getcwd', 'getdents', 'getdents64',
        'getegid', 'getegid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getgroups', 'getgroups32',
        'getitimer', 'getpeername', 'getpgid', 'getpgrp', 'getpid', 'getppid', 'getpriority', 'getrandom',
        'getresgid', 'getresgid32', 'getresuid', 'getresuid32', 'getrlimit', 'get_robust_list', 'getrusage', 'getsid',
        'getsockname', 'getsockopt', 'get_thread_area', 'gettid', 'gettimeofday', 'getuid', 'getuid32', 'getxattr',
        'inotify_add_watch', 'inotify_init', 'inotify_init1', 'inotify_rm_watch', 'io_cancel', 'ioctl', 'io_destroy', 'io_getevents',
        'io_pgetevents', 'io_pgetevents_time64', 'ioprio_get', 'ioprio_set', 'io_setup', 'io_submit', 'io_uring_enter', 'io_uring_register',
        'io_uring_setup', 'ipc', 'kill', 'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'lchown', 'lchown32',
        'lgetxattr', 'link', 'linkat', 'listen', 'listxattr', 'llistxattr', '_llseek', 'lremovexattr',
        'lseek', 'lsetxattr', 'lstat', 'lstat64', 'madvise', 'membarrier', 'memfd_create', 'memfd_secret',
        'mincore', 'mkdir', 'mkdirat', 'mknod', 'mknodat', 'mlock', 'mlock2', 'mlockall',
        'mmap', 'mmap2', 'mprotect', 'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64',
        'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink', 'mremap', 'msgctl', 'msgget', 'msgrcv', 'msgsnd',
        'msync', 'munlock', 'munlockall', 'munmap', 'name_to_handle_at', 'nanosleep', 'newfstatat', '_newselect',
        'open', 'openat', 'openat2', 'pause', 'pidfd_open', 'pidfd_send_signal', 'pipe', 'pipe2',
        'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'poll', 'ppoll', 'ppoll_time64', 'prctl', 'pread64',
        'preadv', 'preadv2', 'prlimit64', 'process_mrelease', 'pselect6', 'pselect6_time64', 'pwrite64', 'pwritev',
        'pwritev2', 'read', 'readahead', 'readlink', 'readlinkat', 'readv', 'recv', 'recvfrom',
        'recvmmsg', 'recvmmsg_time64', 'recvmsg', 'remap_file_pages', 'removexattr', 'rename', 'renameat', 'renameat2',
        'restart_syscall', 'rmdir', 'rseq', 'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn',
        'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sched_getaffinity', 'sched_getattr', 'sched_getparam', 'sched_get_priority_max',
        'sched_get_priority_min', 'sched_getscheduler', 'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_setaffinity', 'sched_setattr', 'sched_setparam', 'sched_setscheduler',
        'sched_yield', 'seccomp', 'select', 'semctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64',
        'send', 'sendfile', 'sendfile64', 'sendmmsg', 'sendmsg', 'sendto', 'setfsgid', 'setfsgid32',
        'setfsuid', 'setfsuid32', 'setgid', 'setgid32', 'setgroups', 'setgroups32', 'setitimer', 'setpgid',
        'setpriority', 'setregid', 'setregid32', 'setresgid', 'setresgid32', 'setresuid', 'setresuid32', 'setreuid',
        'setreuid32', 'setrlimit', 'set_robust_list', 'setsid', 'setsockopt', 'set_thread_area', 'set_tid_address', 'setuid',
        'setuid32', 'setxattr', 'shmat', 'shmctl', 'shmdt', 'shmget', 'shutdown', 'sigaltstack',
        'signalfd', 'signalfd4', 'sigprocmask', 'sigreturn', 'socketcall', 'socketpair', 'splice', 'stat',
        'stat64', 'statfs', 'statfs64', 'statx', 'symlink', 'symlinkat', 'sync', 'sync_file_range',
        'syncfs', 'sysinfo', 'tee', 'tgkill', 'time', 'timer_create', 'timer_delete', 'timer_getoverrun',
        'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64', 'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime',
        'timerfd_settime64', 'times', 'tkill', 'truncate', 'truncate64', 'ugetrlimit', 'umask', 'uname',
        'unlink', 'unlinkat', 'utime', 'utimensat', 'utimensat_time64', 'utimes', 'vfork', 'vmsplice',
        'wait4', 'waitid', 'waitpid', 'write', 'writev',
      ],
      action: 'SCMP_ACT_ALLOW',
    },
    {
      names: ['process_vm_readv', 'process_vm_writev', 'ptrace'],
      action: 'SCMP_ACT_ALLOW',
      includes: { minKernel: '4.8' },
    },
    {
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }],
    },
    {
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }],
    },
    {
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }],
    },
    {
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 131072, op: 'SCMP_CMP_EQ' }],
    },
    {
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 131080, op: 'SCMP_CMP_EQ' }],
    },
    {
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' }],
    },
    {
      names: ['sync_file_range2', 'swapcontext'],
      action: 'SCMP_ACT_ALLOW',
      includes: { arches: ['ppc64le'] },
    },
    {
      names: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
      action: 'SCMP_ACT_ALLOW',
      includes: { arches: ['arm', 'arm64'] },
    },
    {
      names: ['arch_prctl'],
      action: 'SCMP_ACT_ALLOW',
      includes: { arches: ['amd64', 'x32'] },
    },
    {
      names: ['modify_ldt'],
      action: 'SCMP_ACT_ALLOW',
      includes: { arches: ['amd64', 'x32', 'x86'] },
    },
    {
      names: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'],
      action: 'SCMP_ACT_ALLOW',
      includes: { arches: ['s390', 's390x'] },
    },
    {
      names: ['riscv_flush_icache'],
      action: 'SCMP_ACT_ALLOW',
      includes: { arches: ['riscv64'] },
    },
    {
      names: ['open_by_handle_at'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_DAC_READ_SEARCH'] },
    },
    {
      names: [
        'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick',
        'lookup_dcookie', 'mount', 'mount_setattr', 'move_mount', 'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd',
        'setdomainname', 'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare',
      ],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_ADMIN'] },
    },
    {
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
    },
    {
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 1, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }],
      comment: 's390 parameter ordering for clone is different',
      includes: { arches: ['s390', 's390x'] },
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    },
    {
      names: ['clone3'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 38,
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    },
    {
      names: ['reboot'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_BOOT'] },
    },
    {
      names: ['chroot'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_CHROOT'] },
    },
    {
      names: ['delete_module', 'init_module', 'finit_module'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_MODULE'] },
    },
    {
      names: ['acct'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_PACCT'] },
    },
    {
      names: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_PTRACE'] },
    },
    {
      names: ['iopl', 'ioperm'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_RAWIO'] },
    },
    {
      names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_TIME'] },
    },
    {
      names: ['vhangup'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_TTY_CONFIG'] },
    },
    {
      names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_NICE'] },
    },
    {
      names: ['syslog'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYSLOG'] },
    },
    {
      names: ['bpf'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_BPF'] },
    },
    {
      names: ['perf_event_open'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_PERFMON'] },
    },
  ],
};

/** Node's process.arch → libseccomp's native arch name (moby goToNative). */
const NODE_TO_NATIVE: Readonly<Record<string, string>> = {
  ia32: 'x86', x64: 'amd64', arm: 'arm', arm64: 'arm64', mips: 'mips', mipsel: 'mipsel', ppc: 'ppc', ppc64: 'ppc64le',
  s390: 's390', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64',
};

/** libseccomp native arch name → SCMP_ARCH_* (moby nativeToSeccomp). */
const NATIVE_TO_SECCOMP: Readonly<Record<string, string>> = {
  x86: 'SCMP_ARCH_X86', amd64: 'SCMP_ARCH_X86_64', arm: 'SCMP_ARCH_ARM', arm64: 'SCMP_ARCH_AARCH64',
  mips64: 'SCMP_ARCH_MIPS64', mips64n32: 'SCMP_ARCH_MIPS64N32', mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32', mipsle: 'SCMP_ARCH_MIPSEL', ppc: 'SCMP_ARCH_PPC', ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE', s390: 'SCMP_ARCH_S390', s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64',
};

export interface SeccompContext {
  /** The container's bounding set (process.capabilities.bounding). */
  bounding: readonly string[];
  /** libseccomp's native arch name (amd64, arm64, …); default from process.arch. */
  arch?: string;
  kernel: { major: number; minor: number };
}

/** The native arch name for this Node process (amd64 on x86-64). */
export function nativeSeccompArch(nodeArch: string = process.arch): string {
  return NODE_TO_NATIVE[nodeArch] ?? nodeArch;
}

function parseKernel(v: string): { major: number; minor: number } {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (m === null) throw invalidArgument(`seccomp: invalid kernel version "${v}"`, { field: 'minKernel' });
  return { major: Number(m[1]), minor: Number(m[2]) };
}

function kernelAtLeast(k: { major: number; minor: number }, min: string): boolean {
  const want = parseKernel(min);
  return k.major > want.major || (k.major === want.major && k.minor >= want.minor);
}

/**
 * moby's setupSeccomp: the profile specialised to the container's bounding set, the native arch and the
 * kernel. Undefined when the profile is empty (no default action and no rules: seccomp disabled).
 */
export function specialiseSeccomp(profile: DockerSeccompProfile, ctx: SeccompContext): LinuxSeccomp | undefined {
  const rules = profile.syscalls ?? [];
  if (profile.defaultAction === '' && rules.length === 0) return undefined;
  if ((profile.architectures?.length ?? 0) > 0 && (profile.archMap?.length ?? 0) > 0) {
    throw invalidArgument("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  const arch = ctx.arch ?? nativeSeccompArch();
  const out: LinuxSeccomp = { defaultAction: profile.defaultAction as SeccompAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  const architectures: string[] = [...(profile.architectures ?? [])];
  const seccompArch = NATIVE_TO_SECCOMP[arch];
  if (seccompArch !== undefined) {
    const entry = (profile.archMap ?? []).find((a) => a.architecture === seccompArch);
    if (entry !== undefined) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  }
  if (architectures.length > 0) out.architectures = architectures;
  if (profile.listenerPath !== undefined && profile.listenerPath !== '') out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata !== undefined && profile.listenerMetadata !== '') out.listenerMetadata = profile.listenerMetadata;
  if (profile.flags !== undefined && profile.flags.length > 0) out.flags = [...profile.flags];
  const has = (c: string): boolean => ctx.bounding.includes(c);
  const syscalls: LinuxSyscall[] = [];
  for (const [i, rule] of rules.entries()) {
    const ex = rule.excludes ?? {};
    const inc = rule.includes ?? {};
    if ((ex.arches ?? []).includes(arch)) continue;
    if ((ex.caps ?? []).some(has)) continue;
    if (ex.minKernel !== undefined && ex.minKernel !== '' && kernelAtLeast(ctx.kernel, ex.minKernel)) continue;
    if ((inc.arches?.length ?? 0) > 0 && !inc.arches!.includes(arch)) continue;
    if ((inc.caps?.length ?? 0) > 0 && !inc.caps!.every(has)) continue;
    if (inc.minKernel !== undefined && inc.minKernel !== '' && !kernelAtLeast(ctx.kernel, inc.minKernel)) continue;
    const hasName = rule.name !== undefined && rule.name !== '';
    if (hasName && (rule.names?.length ?? 0) > 0) {
      throw invalidArgument("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'", { field: `syscalls[${i}]` });
    }
    const call: LinuxSyscall = { names: hasName ? [rule.name!] : [...(rule.names ?? [])], action: rule.action };
    if (rule.errnoRet !== undefined) call.errnoRet = rule.errnoRet;
    if (rule.args !== undefined && rule.args !== null && rule.args.length > 0) {
      call.args = rule.args.map((a) => {
        const arg: LinuxSeccompArg = { index: a.index, value: a.value, op: a.op };
        if (a.valueTwo !== undefined && a.valueTwo !== 0) arg.valueTwo = a.valueTwo;
        return arg;
      });
    }
    syscalls.push(call);
  }
  if (syscalls.length > 0) out.syscalls = syscalls;
  return out;
}

/** Docker's default profile for a container (moby GetDefaultProfile). */
export function defaultSeccompProfile(ctx: SeccompContext): LinuxSeccomp {
  return specialiseSeccomp(DOCKER_DEFAULT_SECCOMP_PROFILE as DockerSeccompProfile, ctx)!;
}

/** A profile given as JSON in `--security-opt seccomp=<json>` (moby LoadProfile). */
export function loadSeccompProfile(body: string, ctx: SeccompContext): LinuxSeccomp | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw invalidArgument(`Decoding seccomp profile failed: ${(err as Error).message}`, { cause: err, field: 'HostConfig.SecurityOpt' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument('Decoding seccomp profile failed: expected a JSON object', { field: 'HostConfig.SecurityOpt' });
  }
  const p = parsed as DockerSeccompProfile;
  return specialiseSeccomp({ ...p, defaultAction: p.defaultAction ?? '' }, ctx);
}
