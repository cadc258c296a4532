// The program as a whole: flags, a Docker-sized profile within BPF_MAXINSNS with far jumps that still
// decide right, a bounded cost per syscall, and the instruction limit refused with a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LinuxSeccomp, LinuxSyscall } from '../../../../src/oci/index.js';
import { BPF_MAXINSNS, compileSeccomp } from '../../../../src/runtime/seccomp/index.js';
import { checkSeccompProgram, decode, longestPath } from '../../../helpers/bpf-interpreter.js';
import { AUDIT_I386, compile, errno, NR, RET, X32_BIT } from './fixtures.js';

test('flags: TSYNC, LOG and SPEC_ALLOW bits; SPEC_ALLOW when absent (runc); notify flags refused', () => {
  const flags = (f: string[] | undefined): number => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: f }).flags;
  assert.equal(flags(undefined), 4);
  assert.equal(flags([]), 0);
  assert.equal(flags(['SECCOMP_FILTER_FLAG_TSYNC']), 1);
  assert.equal(flags(['SECCOMP_FILTER_FLAG_LOG']), 2);
  assert.equal(flags(['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC']), 7);
  assert.throws(() => flags(['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_NEW_LISTENER']), {
    code: 'NotImplemented', message: 'linux.seccomp.flags[1]: SECCOMP_FILTER_FLAG_NEW_LISTENER is not supported (seccomp user notification)',
  });
  assert.throws(() => flags(['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']), { code: 'NotImplemented' });
  assert.throws(() => flags(['SECCOMP_FILTER_FLAG_TSYNC_ESRCH']), { code: 'NotImplemented' });
  assert.throws(() => flags(['SECCOMP_FILTER_FLAG_BOGUS']), {
    code: 'InvalidArgument', message: 'linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_BOGUS"',
  });
});

/** Syscalls a Docker-like default profile denies (everything else on x86_64 is allowed). */
const DENIED = new Set([
  'acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'create_module', 'delete_module', 'finit_module',
  'get_kernel_syms', 'get_mempolicy', 'init_module', 'ioperm', 'iopl', 'kcmp', 'kexec_file_load', 'kexec_load',
  'keyctl', 'lookup_dcookie', 'mbind', 'mount', 'move_pages', 'nfsservctl', 'open_by_handle_at', 'perf_event_open',
  'pivot_root', 'process_vm_readv', 'process_vm_writev', 'ptrace', 'query_module', 'quotactl', 'reboot',
  'request_key', 'set_mempolicy', 'setns', 'settimeofday', 'swapon', 'swapoff', 'sysfs', '_sysctl', 'umount2',
  'unshare', 'uselib', 'userfaultfd', 'ustat', 'vm86', 'vm86old', 'clone', 'clone3', 'personality', 'socket',
]);

/** A profile shaped like Docker's default: ~350 allowed names on three arches, plus argument rules. */
function dockerLike(names: readonly string[]): LinuxSeccomp {
  const syscalls: LinuxSyscall[] = [
    { names: names.filter((n) => !DENIED.has(n)), action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 131072, op: 'SCMP_CMP_EQ' }] },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 131080, op: 'SCMP_CMP_EQ' }] },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' }] },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
    { names: ['arm_fadvise64_64', 'arm_sync_file_range', 'breakpoint', 'cacheflush', 'set_tls'], action: 'SCMP_ACT_ALLOW' },
  ];
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls };
}

// Every x86_64 syscall name and number from the kernel's table, read back through a compiled
// allow-all-but-one probe would be circular; instead list the names a profile would carry.
const X86_64_NAMES = [
  'accept', 'accept4', 'access', 'adjtimex', 'alarm', 'bind', 'brk', 'capget', 'capset', 'chdir', 'chmod', 'chown',
  'chroot', 'clock_getres', 'clock_gettime', 'clock_nanosleep', 'close', 'close_range', 'connect', 'copy_file_range',
  'creat', 'dup', 'dup2', 'dup3', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_pwait', 'epoll_pwait2',
  'epoll_wait', 'eventfd', 'eventfd2', 'execve', 'execveat', 'exit', 'exit_group', 'faccessat', 'faccessat2',
  'fadvise64', 'fallocate', 'fanotify_mark', 'fchdir', 'fchmod', 'fchmodat', 'fchown', 'fchownat', 'fcntl',
  'fdatasync', 'fgetxattr', 'flistxattr', 'flock', 'fork', 'fremovexattr', 'fsetxattr', 'fstat', 'fstatfs', 'fsync',
  'ftruncate', 'futex', 'futex_waitv', 'futimesat', 'getcpu', 'getcwd', 'getdents', 'getdents64', 'getegid',
  'geteuid', 'getgid', 'getgroups', 'getitimer', 'getpeername', 'getpgid', 'getpgrp', 'getpid', 'getppid',
  'getpriority', 'getrandom', 'getresgid', 'getresuid', 'getrlimit', 'get_robust_list', 'getrusage', 'getsid',
  'getsockname', 'getsockopt', 'get_thread_area', 'gettid', 'gettimeofday', 'getuid', 'getxattr', 'inotify_add_watch',
  'inotify_init', 'inotify_init1', 'inotify_rm_watch', 'io_cancel', 'ioctl', 'io_destroy', 'io_getevents',
  'io_pgetevents', 'ioprio_get', 'ioprio_set', 'io_setup', 'io_submit', 'io_uring_enter', 'io_uring_register',
  'io_uring_setup', 'kill', 'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'lchown',
  'lgetxattr', 'link', 'linkat', 'listen', 'listxattr', 'llistxattr', 'lremovexattr', 'lseek', 'lsetxattr', 'lstat',
  'madvise', 'membarrier', 'memfd_create', 'memfd_secret', 'mincore', 'mkdir', 'mkdirat', 'mknod', 'mknodat', 'mlock',
  'mlock2', 'mlockall', 'mmap', 'mprotect', 'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive',
  'mq_timedsend', 'mq_unlink', 'mremap', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'msync', 'munlock', 'munlockall',
  'munmap', 'name_to_handle_at', 'nanosleep', 'newfstatat', 'open', 'openat', 'openat2', 'pause', 'pidfd_getfd',
  'pidfd_open', 'pidfd_send_signal', 'pipe', 'pipe2', 'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'poll', 'ppoll',
  'prctl', 'pread64', 'preadv', 'preadv2', 'prlimit64', 'process_mrelease', 'pselect6', 'pwrite64', 'pwritev',
  'pwritev2', 'read', 'readahead', 'readlink', 'readlinkat', 'readv', 'recvfrom', 'recvmmsg', 'recvmsg',
  'remap_file_pages', 'removexattr', 'rename', 'renameat', 'renameat2', 'restart_syscall', 'rmdir', 'rseq',
  'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend',
  'rt_sigtimedwait', 'rt_tgsigqueueinfo', 'sched_getaffinity', 'sched_getattr', 'sched_getparam',
  'sched_get_priority_max', 'sched_get_priority_min', 'sched_getscheduler', 'sched_rr_get_interval',
  'sched_setaffinity', 'sched_setattr', 'sched_setparam', 'sched_setscheduler', 'sched_yield', 'seccomp', 'select',
  'semctl', 'semget', 'semop', 'semtimedop', 'sendfile', 'sendmmsg', 'sendmsg', 'sendto', 'setfsgid', 'setfsuid',
  'setgid', 'setgroups', 'setitimer', 'setpgid', 'setpriority', 'setregid', 'setresgid', 'setresuid', 'setreuid',
  'setrlimit', 'set_robust_list', 'setsid', 'setsockopt', 'set_thread_area', 'set_tid_address', 'setuid', 'setxattr',
  'shmat', 'shmctl', 'shmdt', 'shmget', 'shutdown', 'sigaltstack', 'signalfd', 'signalfd4', 'socketpair', 'splice',
  'stat', 'statfs', 'statx', 'symlink', 'symlinkat', 'sync', 'sync_file_range', 'syncfs', 'sysinfo', 'tee', 'tgkill',
  'time', 'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_settime', 'timerfd_create',
  'timerfd_gettime', 'timerfd_settime', 'times', 'tkill', 'truncate', 'umask', 'uname', 'unlink', 'unlinkat',
  'utime', 'utimensat', 'utimes', 'vfork', 'vmsplice', 'wait4', 'waitid', 'write', 'writev', 'arch_prctl',
  'modify_ldt', 'chown32', 'fchown32', 'getegid32', 'geteuid32', 'getgid32', 'getgroups32', 'getresgid32',
  'getresuid32', 'getuid32', 'lchown32', 'setfsgid32', 'setfsuid32', 'setgid32', 'setgroups32', 'setregid32',
  'setresgid32', 'setresuid32', 'setreuid32', 'setuid32', '_llseek', '_newselect', 'fadvise64_64', 'fcntl64',
  'fstat64', 'fstatat64', 'fstatfs64', 'ftruncate64', 'lstat64', 'mmap2', 'recv', 'send', 'sigaction', 'signal',
  'sigpending', 'sigprocmask', 'sigreturn', 'sigsuspend', 'socketcall', 'ipc', 'stat64', 'statfs64', 'truncate64',
  'ugetrlimit', 'waitpid', 'clock_gettime64', 'clock_nanosleep_time64', 'futex_time64', 'ppoll_time64',
  'pselect6_time64', 'recvmmsg_time64', 'rt_sigtimedwait_time64', 'semtimedop_time64', 'timer_gettime64',
  'timer_settime64', 'timerfd_gettime64', 'timerfd_settime64', 'utimensat_time64', 'clock_getres_time64',
  'mq_timedreceive_time64', 'mq_timedsend_time64', 'sched_rr_get_interval_time64', 'io_pgetevents_time64',
  'cachestat', 'fchmodat2', 'map_shadow_stack', 'futex_wake', 'futex_wait', 'futex_requeue', 'statmount',
  'listmount', 'mseal',
  ...DENIED,
];

test('a Docker-sized profile fits, passes the kernel checks and decides right across far jumps', () => {
  const profile = dockerLike(X86_64_NAMES);
  const out = compileSeccomp(profile);
  const insns = checkSeccompProgram(out.program);
  assert.ok(insns.length < BPF_MAXINSNS, `${insns.length} instructions`);
  assert.ok(insns.length > 600, 'big enough that some jumps exceed 255 instructions');
  assert.ok(insns.some((i) => i.code === 0x05 && i.k > 255), 'at least one long JA');
  assert.ok(longestPath(insns) < 60, `longest path ${longestPath(insns)}: a binary search, not a linear scan`);

  const run = compile(profile);
  assert.equal(run(NR.read), RET.ALLOW);
  assert.equal(run(449), RET.ALLOW, 'futex_waitv');
  assert.equal(run(NR.set_mempolicy_home_node), errno(1), 'not in the list, older than the newest named');
  assert.equal(run(NR.cachestat), RET.ALLOW);
  assert.equal(run(238), errno(1), 'set_mempolicy is denied');
  assert.equal(run(165), errno(1), 'mount is denied');
  assert.equal(run(NR.clone3), errno(38));
  assert.equal(run(NR.clone, [0x11n]), RET.ALLOW, 'SIGCHLD | CLONE_VM-less fork');
  assert.equal(run(NR.clone, [0x10000000n]), errno(1), 'CLONE_NEWUSER');
  assert.equal(run(NR.personality, [0xffff_ffffn]), RET.ALLOW);
  assert.equal(run(NR.personality, [1n]), errno(1));
  assert.equal(run(NR.socket, [2n]), RET.ALLOW);
  assert.equal(run(NR.socket, [40n]), errno(1), 'AF_VSOCK');
  assert.equal(run(470), errno(38), 'newer than the profile');
  assert.equal(run(20, [], AUDIT_I386), RET.ALLOW, 'i386 getpid');
  assert.equal(run(102, [1n], AUDIT_I386), RET.ALLOW, 'i386 socketcall');
  assert.equal(run(X32_BIT | 39), RET.ALLOW, 'x32 getpid');
  assert.deepEqual(out.warnings.length, 5, out.warnings.join('\n'));

  // every allowed x86_64 name the compiler knows decides ALLOW, every denied one the default
  const allowAll = compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: X86_64_NAMES, action: 'SCMP_ACT_TRAP' }] });
  const known = new Map<number, true>();
  for (let nr = 0; nr < 480; nr++) if (allowAll(nr) === RET.TRAP) known.set(nr, true);
  for (const nr of known.keys()) {
    const verdict = run(nr);
    assert.ok(verdict === RET.ALLOW || verdict === errno(1) || verdict === errno(38), `nr ${nr}: 0x${verdict.toString(16)}`);
  }
});

test('a profile beyond BPF_MAXINSNS is refused with the count', () => {
  const syscalls: LinuxSyscall[] = [];
  for (let i = 0; i < 1000; i++) {
    syscalls.push({ names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: i, op: 'SCMP_CMP_EQ' }] });
  }
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }), {
    code: 'InvalidArgument', message: /^linux\.seccomp: the filter needs \d+ BPF instructions, more than the kernel's limit of 4096$/,
  });
});

test('many argument rules on one syscall still resolve long jumps correctly', () => {
  const syscalls: LinuxSyscall[] = [];
  for (let i = 0; i < 300; i++) {
    syscalls.push({ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 1000 + i, args: [{ index: 1, value: 0x1_0000_0000 * i + i, op: 'SCMP_CMP_EQ' }] });
  }
  const run = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [...syscalls, { names: ['write'], action: 'SCMP_ACT_KILL' }] });
  for (const i of [0, 1, 150, 299]) assert.equal(run(16, [0n, BigInt(i) * 0x1_0000_0001n]), errno(1000 + i), `rule ${i}`);
  assert.equal(run(16, [0n, 5n]), RET.ALLOW);
  assert.equal(run(NR.write), RET.KILL_THREAD);
  assert.ok(decode(run.program).length > 1000);
});

test('the program is deterministic', () => {
  const profile = dockerLike(X86_64_NAMES);
  assert.deepEqual(compileSeccomp(profile).program, compileSeccomp(profile).program);
});
