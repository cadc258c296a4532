// The capability and rlimit tables against the kernel's numbering, and the mask helpers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CAPABILITY_NAMES, CAP_LAST_CAP, capabilityNumber, capabilityName, capabilityMask, capabilitiesFromMask,
  fullCapabilityMask, capabilityWords, isCapabilityName,
  RLIMIT_NAMES, rlimitResource, rlimitName, rlimitValue, RLIM_INFINITY, isRlimitName,
} from '../../../src/oci/index.js';
import { isCode } from '../../../src/base/index.js';

void test('capabilities: the kernel numbers of a sample, first and last', () => {
  assert.equal(CAPABILITY_NAMES.length, 41);
  assert.equal(CAP_LAST_CAP, 40);
  const expected: Record<string, number> = {
    CAP_CHOWN: 0, CAP_KILL: 5, CAP_SETPCAP: 8, CAP_NET_BIND_SERVICE: 10, CAP_NET_RAW: 13, CAP_SYS_CHROOT: 18,
    CAP_SYS_ADMIN: 21, CAP_MKNOD: 27, CAP_AUDIT_WRITE: 29, CAP_SETFCAP: 31, CAP_MAC_ADMIN: 33, CAP_SYSLOG: 34,
    CAP_AUDIT_READ: 37, CAP_PERFMON: 38, CAP_BPF: 39, CAP_CHECKPOINT_RESTORE: 40,
  };
  for (const [name, n] of Object.entries(expected)) {
    assert.equal(capabilityNumber(name), n, name);
    assert.equal(capabilityName(n), name);
  }
  assert.equal(new Set(CAPABILITY_NAMES).size, 41);
});

void test('capabilities: unknown names and numbers', () => {
  assert.equal(capabilityNumber('CAP_FOO'), undefined);
  assert.equal(capabilityNumber('chown'), undefined);
  assert.equal(capabilityNumber('cap_chown'), undefined);
  assert.equal(capabilityName(41), undefined);
  assert.equal(capabilityName(-1), undefined);
  assert.equal(capabilityName(1.5), undefined);
  assert.equal(isCapabilityName('CAP_BPF'), true);
  assert.equal(isCapabilityName('toString'), false);
});

void test('capabilityMask: bits, high word, round trip', () => {
  assert.equal(capabilityMask([]), 0n);
  assert.equal(capabilityMask(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']), (1n << 29n) | (1n << 5n) | (1n << 10n));
  assert.equal(capabilityMask(['CAP_CHECKPOINT_RESTORE']), 1n << 40n);
  assert.equal(capabilityMask(['CAP_KILL', 'CAP_KILL']), 1n << 5n);
  assert.deepEqual(capabilityWords(capabilityMask(['CAP_CHOWN', 'CAP_BPF'])), [1, 1 << 7]);
  assert.deepEqual(capabilitiesFromMask(capabilityMask(['CAP_BPF', 'CAP_CHOWN'])), ['CAP_CHOWN', 'CAP_BPF']);
  assert.equal(fullCapabilityMask(), (1n << 41n) - 1n);
  assert.equal(fullCapabilityMask(37), (1n << 38n) - 1n);
  assert.deepEqual(capabilitiesFromMask(fullCapabilityMask()), [...CAPABILITY_NAMES]);
  assert.deepEqual(capabilityWords(fullCapabilityMask()), [0xffffffff, 0x1ff]);
});

void test('capabilityMask: an unknown name is InvalidArgument naming the field and index', () => {
  assert.throws(() => capabilityMask(['CAP_KILL', 'CAP_FOO'], 'process.capabilities.bounding'), (err: unknown) => {
    assert.ok(isCode(err, 'InvalidArgument'));
    assert.equal((err as Error).message, 'process.capabilities.bounding[1]: unknown capability "CAP_FOO"');
    return true;
  });
});

void test('rlimits: x86_64 resource numbers', () => {
  assert.equal(RLIMIT_NAMES.length, 16);
  const expected: Record<string, number> = {
    RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
    RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
    RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
  };
  for (const [name, n] of Object.entries(expected)) {
    assert.equal(rlimitResource(name), n, name);
    assert.equal(rlimitName(n), name);
  }
  assert.equal(rlimitResource('RLIMIT_OFILE'), undefined);
  assert.equal(rlimitResource('nofile'), undefined);
  assert.equal(rlimitName(16), undefined);
  assert.equal(isRlimitName('RLIMIT_NOFILE'), true);
  assert.equal(isRlimitName('constructor'), false);
});

void test('rlimitValue: u64 values and infinity as JSON carries it', () => {
  assert.equal(rlimitValue(1024), 1024n);
  assert.equal(rlimitValue(0), 0n);
  assert.equal(rlimitValue(JSON.parse('18446744073709551615') as number), RLIM_INFINITY);
  assert.equal(rlimitValue(2 ** 64), RLIM_INFINITY);
  assert.equal(rlimitValue(2 ** 40), 1n << 40n);
});
