// v1 memory: limit and memsw in the order the kernel accepts (memsw ≥ limit at every step, as runc
// orders them), soft limit, swappiness, oom_control. Kernel memory limits are ignored, as runc ≥ 1.1
// does: kmem accounting cannot be limited on current kernels.

import { SkiffError, invalidArgument } from '../../../base/index.js';
import type { LinuxResources } from '../../../oci/index.js';
import { parseFlatKeyed, parseLimit, parseUint, type CgroupFs } from '../cgroup-fs.js';
import type { CgroupStats } from '../types.js';
import type { CgroupController } from '../controller.js';

const F = 'linux.resources.memory';
const LIMIT = 'memory.limit_in_bytes';
const MEMSW = 'memory.memsw.limit_in_bytes';

async function setLimit(fs: CgroupFs, dir: string, value: number): Promise<void> {
  if (value === 0) return;
  try {
    await fs.write(dir, LIMIT, String(value), `${F}.limit`);
  } catch (err) {
    // EBUSY: the kernel cannot reclaim down to the new limit.
    if ((err as { cause?: { code?: string } }).cause?.code !== 'EBUSY') throw err;
    const usage = parseUint(await fs.readOptional(dir, 'memory.usage_in_bytes'));
    const peak = parseUint(await fs.readOptional(dir, 'memory.max_usage_in_bytes'));
    throw new SkiffError('InvalidArgument',
      `${F}.limit: cgroup v1 ${LIMIT}: unable to set memory limit to ${value} (current usage: ${usage}, peak usage: ${peak})`,
      { cause: err, field: `${F}.limit` });
  }
}

async function setSwap(fs: CgroupFs, dir: string, value: number): Promise<void> {
  if (value === 0) return;
  await fs.write(dir, MEMSW, String(value), `${F}.swap`);
}

export const memoryV1: CgroupController = {
  name: 'memory',
  requestedField(r) {
    const m = r.memory;
    if (m === undefined) return undefined;
    if (m.limit !== undefined && m.limit !== 0) return `${F}.limit`;
    if (m.reservation !== undefined && m.reservation !== 0) return `${F}.reservation`;
    if (m.swap !== undefined && m.swap !== 0) return `${F}.swap`;
    if (m.disableOOMKiller === true) return `${F}.disableOOMKiller`;
    if (m.swappiness !== undefined && m.swappiness !== -1) return `${F}.swappiness`;
    return undefined;
  },
  async apply(fs, dir, r: LinuxResources) {
    const m = r.memory;
    if (m === undefined) return;
    const limit = m.limit ?? 0;
    let swap = m.swap ?? 0;
    // Unlimited memory with swap unset means unlimited swap too (when swap accounting exists).
    if (limit === -1 && swap === 0 && (await fs.exists(dir, MEMSW))) swap = -1;
    if (swap !== 0 && swap !== -1 && limit > 0 && swap < limit) {
      throw invalidArgument(`${F}.swap: memory+swap limit (${swap}) should be >= memory limit (${limit})`, { field: `${F}.swap` });
    }
    if (m.checkBeforeUpdate === true && limit > 0) {
      const usage = parseUint(await fs.readOptional(dir, 'memory.usage_in_bytes'));
      if (limit < usage) {
        throw invalidArgument(`${F}.limit: new limit ${limit} is lower than the current usage ${usage}`, { field: `${F}.limit` });
      }
    }
    let swapFirst = false;
    if (limit !== 0 && swap !== 0) {
      const current = parseLimit(await fs.read(dir, LIMIT));
      swapFirst = swap === -1 || (current !== null && current < swap);
    }
    if (swapFirst) {
      await setSwap(fs, dir, swap);
      await setLimit(fs, dir, limit);
    } else {
      await setLimit(fs, dir, limit);
      await setSwap(fs, dir, swap);
    }
    if (m.reservation !== undefined && m.reservation !== 0) {
      await fs.write(dir, 'memory.soft_limit_in_bytes', String(m.reservation), `${F}.reservation`);
    }
    if (m.disableOOMKiller === true) await fs.write(dir, 'memory.oom_control', '1', `${F}.disableOOMKiller`);
    if (m.swappiness !== undefined && m.swappiness !== -1) {
      if (!Number.isInteger(m.swappiness) || m.swappiness < 0 || m.swappiness > 100) {
        throw invalidArgument(`${F}.swappiness: invalid value ${m.swappiness}, valid memory swappiness range is 0-100`,
          { field: `${F}.swappiness` });
      }
      await fs.write(dir, 'memory.swappiness', String(m.swappiness), `${F}.swappiness`);
    }
  },
  async stats(fs, dir, into: CgroupStats) {
    const raw = parseFlatKeyed(await fs.readOptional(dir, 'memory.stat'));
    const usage = parseUint(await fs.readOptional(dir, 'memory.usage_in_bytes'));
    const swUsage = await fs.readOptional(dir, 'memory.memsw.usage_in_bytes');
    const swLimit = await fs.readOptional(dir, MEMSW);
    const oom = parseFlatKeyed(await fs.readOptional(dir, 'memory.oom_control'));
    const limitText = await fs.readOptional(dir, LIMIT);
    into.memory = {
      usageBytes: usage,
      maxUsageBytes: parseUint(await fs.readOptional(dir, 'memory.max_usage_in_bytes')),
      limitBytes: limitText === undefined ? null : parseLimit(limitText),
      failcnt: parseUint(await fs.readOptional(dir, 'memory.failcnt')),
      oomKillCount: oom.oom_kill ?? 0,
      cacheBytes: raw.cache ?? 0,
      inactiveFileBytes: raw.total_inactive_file ?? raw.inactive_file ?? 0,
      raw,
    };
    if (swUsage !== undefined) into.memory.swapUsageBytes = Math.max(0, parseUint(swUsage) - usage);
    if (swLimit !== undefined) into.memory.swapLimitBytes = parseLimit(swLimit);
  },
};
