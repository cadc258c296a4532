// v1 cpuacct: accounting only. cpuacct.stat counts USER_HZ ticks (100 on every Linux ABI).

import { parseFlatKeyed, parseUint } from '../cgroup-fs.js';
import type { CgroupController } from '../controller.js';

const NS_PER_TICK = 1e9 / 100;

export const cpuacctV1: CgroupController = {
  name: 'cpuacct',
  requestedField: () => undefined,
  async apply() {},
  async stats(fs, dir, into) {
    const stat = parseFlatKeyed(await fs.readOptional(dir, 'cpuacct.stat'));
    const perCpu = (await fs.readOptional(dir, 'cpuacct.usage_percpu'))?.trim().split(/\s+/).filter((s) => s !== '').map(Number);
    const throttling = into.cpu?.throttling ?? { periods: 0, throttledPeriods: 0, throttledTimeNs: 0 };
    into.cpu = {
      usageTotalNs: parseUint(await fs.readOptional(dir, 'cpuacct.usage')),
      usageUserNs: (stat.user ?? 0) * NS_PER_TICK,
      usageSystemNs: (stat.system ?? 0) * NS_PER_TICK,
      throttling,
    };
    if (perCpu !== undefined) into.cpu.perCpuNs = perCpu;
  },
};
