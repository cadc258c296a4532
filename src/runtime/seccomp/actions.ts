// OCI seccomp actions → SECCOMP_RET_* values, as runc maps them (KILL is KILL_THREAD, ERRNO and
// TRACE default to EPERM), with the OCI rule that errnoRet is only valid for ERRNO and TRACE. Pure.

import { invalidArgument, notImplemented } from '../../base/index.js';
import { EPERM, SECCOMP_RET } from './kernel-abi.js';

const ACTIONS = new Set([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);

/**
 * The return value for `action`; `field` names the action and `errnoField` its errno (both dotted
 * paths for messages).
 */
export function actionValue(action: unknown, errnoRet: unknown, field: string, errnoField: string): number {
  if (typeof action !== 'string' || !ACTIONS.has(action)) {
    throw invalidArgument(action === undefined || action === ''
      ? `${field}: required`
      : `${field}: unknown action ${JSON.stringify(action)}`, { field });
  }
  const errno = errnoRet ?? undefined;
  if (errno !== undefined) {
    if (typeof errno !== 'number' || !Number.isInteger(errno) || errno < 0 || errno > 0xffff) {
      throw invalidArgument(`${errnoField}: must be an integer between 0 and 65535`, { field: errnoField });
    }
    if (action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE') {
      throw invalidArgument(`${errnoField}: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`, { field: errnoField });
    }
  }
  switch (action) {
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_ERRNO': return (SECCOMP_RET.ERRNO | (errno ?? EPERM)) >>> 0;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_TRACE': return (SECCOMP_RET.TRACE | (errno ?? EPERM)) >>> 0;
    case 'SCMP_ACT_LOG': return SECCOMP_RET.LOG;
    default:
      throw notImplemented(`${field}: SCMP_ACT_NOTIFY is not supported (no seccomp user notification agent)`, { field });
  }
}

/**
 * Actions that let unknown syscalls through (runc's isAllowAction: a tracer is expected to cope with
 * new syscalls itself), so runc adds no -ENOSYS stub under them.
 */
export function isPermissive(value: number): boolean {
  const action = (value & ~0xffff) >>> 0;
  return action === SECCOMP_RET.ALLOW || action === SECCOMP_RET.LOG || action === SECCOMP_RET.TRACE;
}
