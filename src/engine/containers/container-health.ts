// Health checks (docker's daemon/health.go): while the container runs, the probe (CMD or CMD-SHELL)
// is exec'd every Interval (StartInterval during StartPeriod), killed after Timeout; Retries
// consecutive failures make it unhealthy, a success healthy; failures inside the start period do
// not count. The last five results are kept with their output (4 KiB each), as docker keeps them.

import { finished, type Duplex } from 'node:stream';
import { attributesOf, saveRecord, type EngineContext } from './context.js';
import { createExec, startExec } from './container-io.js';
import type { ContainerRecord } from './types.js';

const DEFAULT_INTERVAL_NS = 30e9;
const DEFAULT_TIMEOUT_NS = 30e9;
const DEFAULT_START_INTERVAL_NS = 5e9;
const DEFAULT_RETRIES = 3;
const MAX_OUTPUT = 4096;
const MAX_LOG_ENTRIES = 5;

export interface HealthLogEntry { Start: string; End: string; ExitCode: number; Output: string }
export interface Health { Status: 'starting' | 'healthy' | 'unhealthy'; FailingStreak: number; Log: HealthLogEntry[] }

function probeCommand(test: readonly string[] | undefined): string[] | undefined {
  if (test === undefined || test.length === 0 || test[0] === 'NONE') return undefined;
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test.slice(1).join(' ')];
  return undefined;
}

/** Output of a framed (stdcopy) stream, both streams joined, capped. */
function collectFramed(stream: Duplex): Promise<string> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    stream.on('data', (c: Buffer) => { if (buf.length < 1 << 16) buf = Buffer.concat([buf, c]); });
    const done = (): void => {
      let out = '';
      for (let at = 0; at + 8 <= buf.length;) {
        const len = buf.readUInt32BE(at + 4);
        out += buf.subarray(at + 8, at + 8 + len).toString('utf8');
        at += 8 + len;
      }
      resolve(out.slice(0, MAX_OUTPUT));
    };
    // also when the stream ended before this was called (a quick probe with no output)
    finished(stream, { writable: false }, done);
  });
}

async function runProbe(ctx: EngineContext, record: ContainerRecord, cmd: string[], timeoutMs: number): Promise<HealthLogEntry> {
  const start = new Date().toISOString();
  const execId = createExec(ctx, record.Id, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const entry = (exitCode: number, output: string): HealthLogEntry => ({ Start: start, End: new Date().toISOString(), ExitCode: exitCode, Output: output });
  // one deadline for the whole probe, its start included (docker runs it under one context)
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
  const started = startExec(ctx, execId, { detach: false });
  const shim = ctx.execs.get(execId)!.shimId;
  const killProbe = (): void => {
    void started.then(({ stream }) => {
      stream?.destroy();
      return ctx.runtime.shimClient(record.Id, shim).kill(9);
    }).catch(() => { /* not started, or gone already */ });
  };
  try {
    const first = await Promise.race([started, timedOut]);
    if (first === 'timeout') {
      killProbe();
      return entry(-1, `Health check exceeded timeout (${Math.round(timeoutMs / 1000)}s)`);
    }
    const { stream, exited } = first;
    const output = stream === undefined ? Promise.resolve('') : collectFramed(stream);
    const outcome = await Promise.race([exited.then(() => 'exited' as const), timedOut]);
    if (outcome === 'timeout') {
      killProbe();
      return entry(-1, `Health check exceeded timeout (${Math.round(timeoutMs / 1000)}s)`);
    }
    const text = await Promise.race([output, timedOut]);
    return entry(ctx.execs.get(execId)?.ExitCode ?? -1, text === 'timeout' ? '' : text);
  } catch (err) {
    return entry(-1, (err as Error).message);
  } finally {
    clearTimeout(timer);
    ctx.execs.delete(execId);
    const row = ctx.repo.get(record.Id);
    if (row !== undefined) {
      row.record.ExecIDs = row.record.ExecIDs.filter((x) => x !== execId);
      saveRecord(ctx, row.record);
    }
  }
}

/** Starts the health monitor of a running container whose config has a health check. */
export function startHealthMonitor(ctx: EngineContext, record: ContainerRecord): void {
  const hc = record.Config.Healthcheck ?? undefined;
  const cmd = probeCommand(hc?.Test ?? undefined);
  if (hc === undefined || cmd === undefined) return;
  stopHealthMonitor(ctx, record.Id);
  const ns = (v: number | undefined, d: number): number => (v === undefined || v === 0 ? d : v);
  const intervalMs = ns(hc.Interval, DEFAULT_INTERVAL_NS) / 1e6;
  const timeoutMs = ns(hc.Timeout, DEFAULT_TIMEOUT_NS) / 1e6;
  const startPeriodMs = (hc.StartPeriod ?? 0) / 1e6;
  const startIntervalMs = ns(hc.StartInterval, DEFAULT_START_INTERVAL_NS) / 1e6;
  const retries = hc.Retries === undefined || hc.Retries === 0 ? DEFAULT_RETRIES : hc.Retries;
  const startedAt = Date.now();
  let stopped = false;
  const setHealth = (h: Health): void => {
    const row = ctx.repo.get(record.Id);
    if (row === undefined || !row.record.State.Running) return;
    const before = (row.record.State as { Health?: Health }).Health?.Status;
    (row.record.State as { Health?: Health }).Health = h;
    saveRecord(ctx, row.record);
    if (before !== h.Status) ctx.emit({ action: `health_status: ${h.Status}`, id: record.Id, attributes: attributesOf(row.record) });
  };
  setHealth({ Status: 'starting', FailingStreak: 0, Log: [] });
  const tick = async (): Promise<void> => {
    if (stopped) return;
    const row = ctx.repo.get(record.Id);
    if (row === undefined || !row.record.State.Running) return;
    if (row.record.State.Paused) {
      schedule(intervalMs);
      return;
    }
    const result = await runProbe(ctx, row.record, cmd, timeoutMs);
    if (stopped) return;
    const current = ((ctx.repo.get(record.Id)?.record.State as { Health?: Health } | undefined)?.Health) ?? { Status: 'starting', FailingStreak: 0, Log: [] };
    const log = [...current.Log, result].slice(-MAX_LOG_ENTRIES);
    const inStartPeriod = Date.now() - startedAt < startPeriodMs;
    let next: Health;
    if (result.ExitCode === 0) next = { Status: 'healthy', FailingStreak: 0, Log: log };
    else if (inStartPeriod && current.Status === 'starting') next = { ...current, Log: log };
    else {
      const streak = current.FailingStreak + 1;
      next = { Status: streak >= retries ? 'unhealthy' : current.Status, FailingStreak: streak, Log: log };
    }
    setHealth(next);
    schedule(next.Status === 'starting' && Date.now() - startedAt < startPeriodMs ? startIntervalMs : intervalMs);
  };
  const schedule = (ms: number): void => {
    if (stopped) return;
    const t = setTimeout(() => { void tick(); }, ms);
    t.unref();
    ctx.healthTimers.set(record.Id, { stop: () => { stopped = true; clearTimeout(t); } });
  };
  schedule(startPeriodMs > 0 ? Math.min(startIntervalMs, intervalMs) : intervalMs);
}

export function stopHealthMonitor(ctx: EngineContext, id: string): void {
  ctx.healthTimers.get(id)?.stop();
  ctx.healthTimers.delete(id);
}
