// v1 cpu: shares (read back, since the kernel clamps silently), CFS period before quota, burst after
// quota (burst ≤ quota), rt period before runtime, idle.

import { invalidArgument } from '../../../base/index.js';
import { parseFlatKeyed, parseUint } from '../cgroup-fs.js';
import type { CgroupController } from '../controller.js';

const F = 'linux.resources.cpu';

const set = (v: number | undefined): v is number => v !== undefined && v !== 0;

export const cpuV1: CgroupController = {
  name: 'cpu',
  requestedField(r) {
    const c = r.cpu;
    if (c === undefined) return undefined;
    for (const k of ['shares', 'quota', 'period', 'burst', 'realtimeRuntime', 'realtimePeriod', 'idle'] as const) {
      if (set(c[k])) return `${F}.${k}`;
    }
    return undefined;
  },
  async apply(fs, dir, r) {
    const c = r.cpu;
    if (c === undefined) return;
    if (set(c.shares)) {
      await fs.write(dir, 'cpu.shares', String(c.shares), `${F}.shares`);
      const actual = parseUint(await fs.read(dir, 'cpu.shares'));
      if (c.shares > actual) throw invalidArgument(`${F}.shares: the maximum allowed cpu-shares is ${actual}`, { field: `${F}.shares` });
      if (c.shares < actual) throw invalidArgument(`${F}.shares: the minimum allowed cpu-shares is ${actual}`, { field: `${F}.shares` });
    }
    if (set(c.period)) await fs.write(dir, 'cpu.cfs_period_us', String(c.period), `${F}.period`);
    if (set(c.quota)) await fs.write(dir, 'cpu.cfs_quota_us', String(c.quota), `${F}.quota`);
    if (c.burst !== undefined) await fs.write(dir, 'cpu.cfs_burst_us', String(c.burst), `${F}.burst`);
    if (set(c.realtimePeriod)) await fs.write(dir, 'cpu.rt_period_us', String(c.realtimePeriod), `${F}.realtimePeriod`);
    if (set(c.realtimeRuntime)) await fs.write(dir, 'cpu.rt_runtime_us', String(c.realtimeRuntime), `${F}.realtimeRuntime`);
    if (c.idle !== undefined) await fs.write(dir, 'cpu.idle', String(c.idle), `${F}.idle`);
  },
  async stats(fs, dir, into) {
    const s = parseFlatKeyed(await fs.readOptional(dir, 'cpu.stat'));
    into.cpu ??= { usageTotalNs: 0, usageUserNs: 0, usageSystemNs: 0, throttling: { periods: 0, throttledPeriods: 0, throttledTimeNs: 0 } };
    into.cpu.throttling = { periods: s.nr_periods ?? 0, throttledPeriods: s.nr_throttled ?? 0, throttledTimeNs: s.throttled_time ?? 0 };
  },
};
