// The planner's order of operations is the contract with the kernel: these check the invariants
// that runc's init keeps (namespaces before mounts, mounts before pivot_root, capabilities after the
// user switch, seccomp placement, execve last) on runc's default spec, and errors that name fields.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planContainer, planExec, type PreparedContainer, type PlanOp } from '../../../src/runtime/index.js';
import { runcDefaultSpec } from '../../helpers/bundle.js';
import type { Spec } from '../../../src/oci/index.js';

function prep(over: Partial<PreparedContainer> = {}): PreparedContainer {
  return {
    rootfs: '/bundle/rootfs', bindSourceIsDir: new Map(), joinFds: new Map(), preserveFds: 0, cgroupMounts: [],
    noPivot: false, hookState: '{}', ...over,
  };
}

const names = (ops: PlanOp[]): string[] => ops.map((o) => o.op);
const indexOf = (ops: PlanOp[], name: string): number => ops.findIndex((o) => o.op === name);

test('runc default spec: shim ops, then C1 (sync before clone), then the init in runc order', () => {
  const spec = runcDefaultSpec();
  const plan = planContainer(spec, prep({ execFifoFd: 5 }), { mode: 'create', relayConsole: false });
  const ops = plan.ops;
  assert.equal(ops.length, plan.origins.length);
  assert.deepEqual(names(ops).slice(0, 4), ['P_MODE', 'P_CLONE', 'SYNC', 'CLONE_INIT']);
  const clone = ops[3] as Extract<PlanOp, { op: 'CLONE_INIT' }>;
  // pid, network, ipc, uts, mount
  assert.equal(clone.flags, 0x20000000 | 0x40000000 | 0x08000000 | 0x04000000 | 0x00020000);
  const pivot = indexOf(ops, 'PIVOT_ROOT');
  const lastMount = ops.map((o, i) => (o.op === 'MOUNT' && o.resolve !== 0 && o.target.startsWith('/dev') ? i : -1)).reduce((a, b) => Math.max(a, b));
  assert.ok(lastMount < pivot, 'mounts happen before pivot_root');
  assert.ok(indexOf(ops, 'MASK_PATH') > pivot && indexOf(ops, 'READONLY_PATH') > pivot);
  assert.ok(indexOf(ops, 'SETRESUID') < indexOf(ops, 'CAPSET'), 'capabilities are set after the user switch');
  assert.ok(indexOf(ops, 'CAP_BOUNDING') < indexOf(ops, 'SETRESUID'));
  assert.ok(indexOf(ops, 'CHECK_EXEC') < indexOf(ops, 'WAIT_FIFO'), 'a missing executable fails create, not start');
  assert.equal(ops.at(-1)!.op, 'EXECVE');
  // the first mount op makes the whole tree a slave: nothing mounted inside propagates out
  const first = ops[indexOf(ops, 'MOUNT')] as Extract<PlanOp, { op: 'MOUNT' }>;
  assert.equal(first.target, '/');
  assert.equal(first.flags, BigInt(0x80000 | 0x4000));
  // proc and sysfs are mounted with resolve 2: no symlink may be crossed
  const procMount = ops.find((o) => o.op === 'MOUNT' && o.fstype === 'proc') as Extract<PlanOp, { op: 'MOUNT' }>;
  assert.equal(procMount.resolve, 2);
  assert.equal(plan.origins[ops.indexOf(procMount)], 'mounts[0] (/proc)');
});

test('seccomp goes last with no_new_privs and before the capability drop without', () => {
  const seccomp = { program: new Uint8Array(8), flags: 0 };
  const spec: Spec = runcDefaultSpec();
  spec.process!.noNewPrivileges = true;
  let ops = planContainer(spec, prep({ seccomp }), { mode: 'foreground', relayConsole: false }).ops;
  assert.equal(ops.at(-2)!.op, 'SECCOMP');
  spec.process!.noNewPrivileges = false;
  ops = planContainer(spec, prep({ seccomp }), { mode: 'foreground', relayConsole: false }).ops;
  assert.ok(indexOf(ops, 'SECCOMP') < indexOf(ops, 'CAP_BOUNDING'));
});

test('a new user namespace is unshared in C1 before the sync that writes the id maps', () => {
  const spec = runcDefaultSpec();
  spec.linux!.namespaces!.push({ type: 'user' });
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const ops = planContainer(spec, prep(), { mode: 'foreground', relayConsole: false }).ops;
  assert.deepEqual(names(ops).slice(1, 5), ['P_CLONE', 'UNSHARE', 'SYNC', 'CLONE_INIT']);
  // devices cannot be created in a user namespace: they are bound from the host
  assert.equal(indexOf(ops, 'MKNOD'), -1);
  assert.ok(ops.some((o) => o.op === 'MOUNT' && o.source === '/dev/null' && o.target === '/dev/null'));
});

test('joined namespaces are entered user first, mount last, with the fds given', () => {
  const spec = runcDefaultSpec();
  spec.linux!.namespaces = [{ type: 'mount', path: '/proc/1/ns/mnt' }, { type: 'network', path: '/run/netns/x' }, { type: 'pid' }];
  const ops = planContainer(spec, prep({ joinFds: new Map([['mount', 7], ['network', 8]]) }), { mode: 'create', relayConsole: false }).ops;
  const setns = ops.filter((o): o is Extract<PlanOp, { op: 'SETNS' }> => o.op === 'SETNS');
  assert.deepEqual(setns.map((o) => o.fd), [8, 7]);
});

test('errors name the field: an unsupported mount option, a missing mount namespace, empty args', () => {
  const spec = runcDefaultSpec();
  spec.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] });
  assert.throws(() => planContainer(spec, prep(), { mode: 'create', relayConsole: false }), {
    code: 'NotImplemented', message: `mounts[${spec.mounts!.length - 1}].options: "tmpcopyup" is not supported`,
  });
  const noMnt = runcDefaultSpec();
  noMnt.linux!.namespaces = noMnt.linux!.namespaces!.filter((n) => n.type !== 'mount');
  assert.throws(() => planContainer(noMnt, prep(), { mode: 'create', relayConsole: false }), /linux\.namespaces: a mount namespace is required/);
  const noArgs = runcDefaultSpec();
  noArgs.process!.args = [];
  assert.throws(() => planContainer(noArgs, prep(), { mode: 'create', relayConsole: false }), /process\.args: must not be empty/);
});

test('exec joins every namespace after the cgroup sync and never mounts', () => {
  const spec = runcDefaultSpec();
  const ops = planExec(spec.process!, { joinFds: new Map([['user', 4], ['pid', 5], ['mount', 6]]), preserveFds: 0 }, { mode: 'foreground', relayConsole: false }).ops;
  assert.deepEqual(names(ops).slice(0, 7), ['P_MODE', 'P_CLONE', 'SYNC', 'SETNS', 'SETNS', 'SETNS', 'CLONE_INIT']);
  assert.equal(indexOf(ops, 'MOUNT'), -1);
  assert.equal(indexOf(ops, 'PIVOT_ROOT'), -1);
});
