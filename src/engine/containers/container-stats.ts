// docker stats and top: the container's cgroup counters in docker's stats JSON (memory usage as
// docker reports it, CPU against the host's /proc/stat for the client's percentage), and `ps`
// rows of the container's processes (docker runs the host's ps and keeps the container's pids).

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { SkiffError } from '../../base/index.js';
import type { cgroups } from '../../runtime/index.js';
import { findContainer, type EngineContext } from './context.js';

type CgroupStats = cgroups.CgroupStats;

/** /proc/stat's first line in nanoseconds (USER_HZ 100), docker's system_cpu_usage. */
async function systemCpuNs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((a, b) => a + Number(b), 0);
  return ticks * 10_000_000;
}

interface Sample { at: Date; stats: CgroupStats; systemNs: number }

async function sample(ctx: EngineContext, id: string): Promise<Sample> {
  const [stats, systemNs] = await Promise.all([ctx.runtime.stats(id) as Promise<CgroupStats>, systemCpuNs()]);
  return { at: new Date(), stats, systemNs };
}

function cpuJson(s: Sample | undefined): Record<string, unknown> {
  const c = s?.stats.cpu;
  return {
    cpu_usage: {
      total_usage: c?.usageTotalNs ?? 0,
      ...(c?.perCpuNs === undefined ? {} : { percpu_usage: c.perCpuNs }),
      usage_in_kernelmode: c?.usageSystemNs ?? 0,
      usage_in_usermode: c?.usageUserNs ?? 0,
    },
    system_cpu_usage: s?.systemNs ?? 0,
    online_cpus: cpus().length,
    throttling_data: { periods: c?.throttling.periods ?? 0, throttled_periods: c?.throttling.throttledPeriods ?? 0, throttled_time: c?.throttling.throttledTimeNs ?? 0 },
  };
}

export function statsJson(name: string, id: string, cur: Sample, pre: Sample | undefined): Record<string, unknown> {
  const m = cur.stats.memory;
  const io = cur.stats.blkio as { ioServiceBytes?: { major: number; minor: number; op: string; value: number }[] } | undefined;
  return {
    read: cur.at.toISOString(),
    preread: pre?.at.toISOString() ?? '0001-01-01T00:00:00Z',
    pids_stats: { current: cur.stats.pids?.current ?? 0, ...(cur.stats.pids?.limit == null ? {} : { limit: cur.stats.pids.limit }) },
    blkio_stats: { io_service_bytes_recursive: io?.ioServiceBytes ?? null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuJson(cur),
    precpu_stats: pre === undefined ? { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } } : cpuJson(pre),
    memory_stats: m === undefined ? {} : {
      usage: m.usageBytes,
      ...(m.maxUsageBytes === undefined ? {} : { max_usage: m.maxUsageBytes }),
      stats: m.raw,
      failcnt: m.failcnt,
      limit: m.limitBytes ?? totalmem(),
    },
    name,
    id,
  };
}

/** One sample (with the previous one a second earlier unless `oneShot`), or one per second until aborted. */
export async function* containerStats(ctx: EngineContext, idOrName: string, opts: { stream: boolean; oneShot?: boolean; signal?: AbortSignal }): AsyncGenerator<Record<string, unknown>> {
  const { record } = findContainer(ctx, idOrName);
  const zero = (): Record<string, unknown> => ({ read: '0001-01-01T00:00:00Z', preread: '0001-01-01T00:00:00Z', pids_stats: {}, blkio_stats: {}, num_procs: 0, storage_stats: {}, cpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} }, precpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} }, memory_stats: {}, name: record.Name, id: record.Id });
  if (!record.State.Running) {
    yield zero();
    return;
  }
  let pre: Sample | undefined;
  if (!opts.stream && opts.oneShot !== true) {
    pre = await sample(ctx, record.Id).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
  }
  for (;;) {
    let cur: Sample;
    try {
      cur = await sample(ctx, record.Id);
    } catch {
      yield zero(); // the container stopped in between
      return;
    }
    yield statsJson(record.Name, record.Id, cur, pre);
    if (!opts.stream || opts.signal?.aborted === true) return;
    pre = cur;
    await new Promise((r) => setTimeout(r, 1000));
    const aborted: boolean = opts.signal?.aborted ?? false; // may have changed during the wait
    if (aborted || ctx.repo.get(record.Id)?.record.State.Running !== true) return;
  }
}

export async function topContainer(ctx: EngineContext, idOrName: string, psArgs = '-ef'): Promise<{ Titles: string[]; Processes: string[][] }> {
  const { record } = findContainer(ctx, idOrName);
  if (!record.State.Running) throw new SkiffError('Conflict', `container ${record.Id} is not running`);
  if (record.State.Restarting) throw new SkiffError('Conflict', `container ${record.Id} is restarting, wait until the container is running`);
  const pids = new Set((await ctx.runtime.pids(record.Id)).map(String));
  const args = psArgs.trim() === '' ? ['-ef'] : psArgs.trim().split(/\s+/);
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('ps', args, { maxBuffer: 16 << 20 }));
  } catch (err) {
    throw new SkiffError('InvalidArgument', `ps: ${(err as Error).message.split('\n')[0]}`, { field: 'ps_args', cause: err });
  }
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const titles = lines[0]!.trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new SkiffError('InvalidArgument', `Couldn't find PID field in ps output`, { field: 'ps_args' });
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!pids.has(fields[pidCol]!)) continue;
    // the last column (CMD/COMMAND) keeps its spaces
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  }
  return { Titles: titles, Processes: processes };
}
