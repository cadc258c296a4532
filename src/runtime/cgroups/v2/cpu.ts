// v2 cpu: cpu.weight from OCI shares, cpu.max = "quota period", cpu.max.burst, cpu.idle. v2 has no
// realtime scheduling knobs, so those fields are refused.

import { notImplemented } from '../../../base/index.js';
import { parseFlatKeyed } from '../cgroup-fs.js';
import type { CgroupController } from '../controller.js';

const F = 'linux.resources.cpu';

/**
 * runc's (opencontainers/cgroups, runc ≥ 1.3.2) shares → weight mapping: a quadratic in log2(shares)
 * through (2, 1), (1024, 100) and (262144, 10000), so docker's default 1024 lands on v2's default 100.
 */
export function convertCpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(10 ** exponent);
}

/** cpu.max content, or undefined when neither quota nor period is set. */
export function cpuMaxValue(quota: number | undefined, period: number | undefined): string | undefined {
  const q = quota ?? 0;
  const p = period ?? 0;
  if (q === 0 && p === 0) return undefined;
  const head = q > 0 ? String(q) : 'max';
  return p !== 0 ? `${head} ${p}` : head;
}

export const cpuV2: CgroupController = {
  name: 'cpu',
  requestedField(r) {
    const c = r.cpu;
    if (c === undefined) return undefined;
    for (const k of ['shares', 'quota', 'period', 'burst', 'idle'] as const) {
      if (c[k] !== undefined && c[k] !== 0) return `${F}.${k}`;
    }
    return undefined;
  },
  async apply(fs, dir, r) {
    const c = r.cpu;
    if (c === undefined) return;
    if ((c.realtimeRuntime ?? 0) !== 0 || (c.realtimePeriod ?? 0) !== 0) {
      const field = (c.realtimeRuntime ?? 0) !== 0 ? `${F}.realtimeRuntime` : `${F}.realtimePeriod`;
      throw notImplemented(`${field}: realtime scheduling is not supported with cgroup v2`, { field });
    }
    let weightAllowed = true;
    if (c.idle !== undefined) {
      await fs.write(dir, 'cpu.idle', String(c.idle), `${F}.idle`);
      // An idle cgroup has no weight to set.
      weightAllowed = c.idle === 0;
    }
    if (weightAllowed && c.shares !== undefined && c.shares !== 0) {
      await fs.write(dir, 'cpu.weight', String(convertCpuSharesToWeight(c.shares)), `${F}.shares`);
    }
    const max = cpuMaxValue(c.quota, c.period);
    if (max !== undefined) await fs.write(dir, 'cpu.max', max, c.quota !== undefined && c.quota !== 0 ? `${F}.quota` : `${F}.period`);
    if (c.burst !== undefined) await fs.write(dir, 'cpu.max.burst', String(c.burst), `${F}.burst`);
  },
  async stats(fs, dir, into) {
    const s = parseFlatKeyed(await fs.readOptional(dir, 'cpu.stat'));
    into.cpu = {
      usageTotalNs: (s.usage_usec ?? 0) * 1000,
      usageUserNs: (s.user_usec ?? 0) * 1000,
      usageSystemNs: (s.system_usec ?? 0) * 1000,
      throttling: { periods: s.nr_periods ?? 0, throttledPeriods: s.nr_throttled ?? 0, throttledTimeNs: (s.throttled_usec ?? 0) * 1000 },
    };
  },
};
