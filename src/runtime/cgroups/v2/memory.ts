// v2 memory: memory.swap.max holds swap alone, so the OCI memory+swap total is converted (runc's
// ConvertMemorySwapToCgroupV2Value) and written before memory.max; memory.low is the reservation.
// A new limit without a swap value keeps the memory+swap total already set (v1 keeps memsw; runc
// merges its saved config), so memory.swap.max follows the limit. Swappiness, disableOOMKiller and
// kernel limits have no v2 file and are ignored, as runc does.

import { invalidArgument } from '../../../base/index.js';
import type { LinuxMemory } from '../../../oci/index.js';
import { isNodeCode, parseFlatKeyed, parseLimit, parseUint, type CgroupFs } from '../cgroup-fs.js';
import type { CgroupController } from '../controller.js';

const F = 'linux.resources.memory';

/** OCI swap (memory + swap) → memory.swap.max; undefined = leave alone, -1 = max. */
export function convertSwapToV2(swap: number, limit: number): number | undefined {
  if (limit === -1 && swap === 0) return -1;
  if (swap === -1) return -1;
  if (swap === 0) return undefined;
  if (limit === 0 || limit === -1) {
    throw invalidArgument(`${F}.swap: unable to set swap limit without memory limit`, { field: `${F}.swap` });
  }
  if (limit < 0) throw invalidArgument(`${F}.limit: invalid memory value ${limit}`, { field: `${F}.limit` });
  if (swap < limit) {
    throw invalidArgument(`${F}.swap: memory+swap limit (${swap}) should be >= memory limit (${limit})`, { field: `${F}.swap` });
  }
  return swap - limit;
}

const numToStr = (n: number): string => (n === -1 ? 'max' : String(n));

function requested(m: LinuxMemory | undefined): string | undefined {
  if (m === undefined) return undefined;
  if (m.limit !== undefined && m.limit !== 0) return `${F}.limit`;
  if (m.swap !== undefined && m.swap !== 0) return `${F}.swap`;
  if (m.reservation !== undefined && m.reservation !== 0) return `${F}.reservation`;
  return undefined;
}

/**
 * An update of the limit alone (`docker update --memory`): the memory+swap total already in place
 * (memory.max + memory.swap.max), converted for the new limit; undefined when either is unlimited.
 */
async function keptSwap(fs: CgroupFs, dir: string, limit: number): Promise<number | undefined> {
  if (limit <= 0) return undefined;
  const max = await fs.readOptional(dir, 'memory.max');
  const swapMax = await fs.readOptional(dir, 'memory.swap.max');
  const oldLimit = max === undefined ? null : parseLimit(max);
  const oldSwap = swapMax === undefined ? null : parseLimit(swapMax);
  if (oldLimit === null || oldSwap === null) return undefined;
  const total = oldLimit + oldSwap;
  if (limit > total) {
    throw invalidArgument(`${F}.limit: memory limit (${limit}) is above the memory+swap limit already set (${total}): set the swap limit too`,
      { field: `${F}.limit` });
  }
  return total - limit;
}

export interface MemoryV2Options {
  /** memory.oom.group = 1: an OOM kill takes the whole cgroup (kubelet's choice on v2). */
  oomGroup?: boolean;
}

export function memoryV2(opts: MemoryV2Options = {}): CgroupController {
  return {
    name: 'memory',
    requestedField: (r) => requested(r.memory),
    async apply(fs: CgroupFs, dir, r) {
      const m = r.memory;
      if (m !== undefined) {
        const limit = m.limit ?? 0;
        const swap = convertSwapToV2(m.swap ?? 0, limit) ?? await keptSwap(fs, dir, limit);
        if (m.checkBeforeUpdate === true && limit > 0) {
          const usage = parseUint(await fs.readOptional(dir, 'memory.current'));
          if (limit < usage) {
            throw invalidArgument(`${F}.limit: new limit ${limit} is lower than the current usage ${usage}`, { field: `${F}.limit` });
          }
        }
        if (swap !== undefined) {
          try {
            await fs.write(dir, 'memory.swap.max', numToStr(swap), `${F}.swap`);
          } catch (err) {
            // Without swap accounting there is nothing to disable or unlimit.
            const missing = isNodeCode((err as { cause?: unknown }).cause, 'ENOENT');
            if (!(missing && (swap === -1 || swap === 0))) throw err;
          }
        }
        if (limit !== 0) await fs.write(dir, 'memory.max', numToStr(limit), `${F}.limit`);
        if (m.reservation !== undefined && m.reservation !== 0) {
          await fs.write(dir, 'memory.low', numToStr(m.reservation), `${F}.reservation`);
        }
      }
      if (opts.oomGroup === true) await fs.write(dir, 'memory.oom.group', '1', 'memory.oom.group');
    },
    async stats(fs, dir, into) {
      const raw = parseFlatKeyed(await fs.readOptional(dir, 'memory.stat'));
      const events = parseFlatKeyed(await fs.readOptional(dir, 'memory.events'));
      const max = await fs.readOptional(dir, 'memory.max');
      const peak = await fs.readOptional(dir, 'memory.peak');
      const swapCurrent = await fs.readOptional(dir, 'memory.swap.current');
      const swapMax = await fs.readOptional(dir, 'memory.swap.max');
      into.memory = {
        usageBytes: parseUint(await fs.readOptional(dir, 'memory.current')),
        limitBytes: max === undefined ? null : parseLimit(max),
        failcnt: events.max ?? 0,
        oomKillCount: events.oom_kill ?? 0,
        cacheBytes: raw.file ?? 0,
        inactiveFileBytes: raw.inactive_file ?? 0,
        raw,
      };
      if (peak !== undefined) into.memory.maxUsageBytes = parseUint(peak);
      if (swapCurrent !== undefined) into.memory.swapUsageBytes = parseUint(swapCurrent);
      if (swapMax !== undefined) into.memory.swapLimitBytes = parseLimit(swapMax);
    },
  };
}
