// Turns {op index, errno} from the shim into the message a user acts on: the spec field that produced
// the step, what the step did, and the kernel's reason. Exec failures use runc's wording, which
// docker and containerd match on (exit codes 126/127).

import { SkiffError, describeErrno } from '../base/index.js';
import type { LaunchPlan } from './planner/index.js';
import { ShimStepError } from './shim-process.js';

const ENOENT = 2;
const EACCES = 13;
const ECHILD = 10;
const ETIMEDOUT = 110;
const ENODEV = 19;
const ELOOP = 40;

const STEP_LABEL: Record<string, string> = {
  MOUNT: 'mount', MKDIR: 'mkdir', MKFILE: 'create mount target', MKNOD: 'mknod', SYMLINK: 'symlink',
  SET_ROOT: 'open rootfs', PIVOT_ROOT: 'pivot_root', CHROOT: 'chroot', SETHOSTNAME: 'sethostname', LOOPBACK_UP: 'bring up lo',
  SETDOMAINNAME: 'setdomainname', SETRLIMIT: 'setrlimit', PRCTL: 'prctl', CAP_BOUNDING: 'drop bounding capabilities',
  SETGROUPS: 'setgroups', SETRESGID: 'setresgid', SETRESUID: 'setresuid', CAPSET: 'capset', CAP_AMBIENT: 'raise ambient capabilities',
  SECCOMP: 'load seccomp filter', CHDIR: 'chdir', WRITE_FILE: 'write', MASK_PATH: 'mask path', READONLY_PATH: 'make path read-only',
  CONSOLE: 'set up console', WAIT_FIFO: 'wait for start', CLOSE_FDS: 'close fds', PERSONALITY: 'personality',
  SETNS: 'setns', UNSHARE: 'unshare', CLONE_INIT: 'clone', SYNC: 'sync', SETSID: 'setsid', UMOUNT: 'umount',
};

export function launchError(err: unknown, plan: LaunchPlan): SkiffError {
  if (!(err instanceof ShimStepError)) {
    if (err instanceof SkiffError) return err;
    return new SkiffError('Internal', `unable to start container process: ${(err as Error).message ?? String(err)}`, { cause: err });
  }
  if (err.opIndex < 0 || err.opIndex >= plan.ops.length) {
    return new SkiffError('Internal', `unable to start container process: ${describeErrno(err.errno)}`, { cause: err });
  }
  const op = plan.ops[err.opIndex]!;
  const origin = plan.origins[err.opIndex] ?? 'runtime';
  const reason = describeErrno(err.errno);
  let message: string;
  switch (op.op) {
    case 'CHECK_EXEC':
    case 'EXECVE': {
      const file = op.path;
      if (err.errno === ENOENT) {
        message = file.includes('/')
          ? `exec: "${file}": stat ${file}: no such file or directory`
          : `exec: "${file}": executable file not found in $PATH`;
      } else if (err.errno === EACCES) {
        message = `exec: "${file}": permission denied`;
      } else {
        message = `exec: "${file}": ${reason}`;
      }
      return new SkiffError('FailedPrecondition', `unable to start container process: ${message}`, { field: origin });
    }
    case 'RUN_HOOK':
      if (err.errno === ETIMEDOUT) message = `${origin}: error running hook ${op.path}: timeout`;
      else if (err.errno === ECHILD) message = `${origin}: error running hook ${op.path}: ${describeStatus(err.detail)}`;
      else message = `${origin}: error running hook ${op.path}: ${reason}`;
      return new SkiffError('FailedPrecondition', message, { field: origin });
    case 'MASK_PATH':
      if (err.errno === ENODEV) {
        return new SkiffError('FailedPrecondition', `${origin}: /dev/null in the container is not the null device`, { field: origin });
      }
      break;
    case 'MOUNT':
    case 'MKDIR':
      if (err.errno === ELOOP && op.resolve === 2) {
        return new SkiffError('FailedPrecondition', `${origin}: ${op.op === 'MOUNT' ? op.target : op.path} must not be a symlink`, { field: origin });
      }
      break;
    case 'CHDIR':
      if (err.errno === ENOENT) {
        return new SkiffError('FailedPrecondition', `${origin}: current working directory ${op.path} is outside of the container root or does not exist`, { field: origin });
      }
      break;
    default:
      break;
  }
  const label = STEP_LABEL[op.op] ?? op.op.toLowerCase();
  return new SkiffError('FailedPrecondition', `unable to start container process: ${origin}: ${label}: ${reason}`, { field: origin });
}

function describeStatus(status: number): string {
  const signal = status & 0x7f;
  return signal === 0 ? `exit status ${(status >> 8) & 0xff}` : `signal: ${signal}`;
}
