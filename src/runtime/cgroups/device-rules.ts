// OCI `linux.resources.devices` rules reduced to what both drivers need: the default verdict (from
// the last wildcard `a` rule, deny when there is none, as runc's emulator starts) and the ordered
// per-type rules after it. Later rules override earlier ones, per access bit.

import { invalidArgument } from '../../base/index.js';
import type { LinuxDeviceCgroup } from '../../oci/index.js';

export type DeviceType = 'c' | 'b';

export interface DeviceRule {
  allow: boolean;
  type: DeviceType;
  /** null = any. */
  major: number | null;
  minor: number | null;
  /** A non-empty subset of `rwm`, in that order. */
  access: string;
}

export interface DeviceRuleSet {
  defaultAllow: boolean;
  rules: DeviceRule[];
}

const FIELD = 'linux.resources.devices';

function normaliseAccess(access: string | undefined, field: string): string {
  if (access === undefined || access === '') return 'rwm';
  for (const ch of access) {
    if (ch !== 'r' && ch !== 'w' && ch !== 'm') {
      throw invalidArgument(`${field}.access: invalid device access "${access}" (want a subset of rwm)`, { field: `${field}.access` });
    }
  }
  return ['r', 'w', 'm'].filter((c) => access.includes(c)).join('');
}

function normaliseNumber(n: number | null | undefined, field: string): number | null {
  if (n === undefined || n === null || n === -1) return null;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw invalidArgument(`${field}: invalid device number ${n}`, { field });
  }
  return n;
}

export function normaliseDeviceRules(devices: LinuxDeviceCgroup[]): DeviceRuleSet {
  let defaultAllow = false;
  let rules: DeviceRule[] = [];
  devices.forEach((d, i) => {
    const field = `${FIELD}[${i}]`;
    const type = d.type ?? 'a';
    if (type !== 'a' && type !== 'c' && type !== 'b') {
      throw invalidArgument(`${field}.type: invalid device type "${String(type)}"`, { field: `${field}.type` });
    }
    const access = normaliseAccess(d.access, field);
    const major = normaliseNumber(d.major, `${field}.major`);
    const minor = normaliseNumber(d.minor, `${field}.minor`);
    if (type === 'a') {
      // The kernel treats `a` as every device whatever the numbers: it resets all earlier rules.
      defaultAllow = d.allow;
      rules = [];
      return;
    }
    rules.push({ allow: d.allow, type, major, minor, access });
  });
  return { defaultAllow, rules };
}

/** `c 1:3 rwm` as devices.allow / devices.deny take it. */
export function formatDeviceRule(r: DeviceRule): string {
  return `${r.type} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`;
}
