// stop, kill, restart, pause, unpause: signals through the container's monitoring shim (so they
// reach the init even after a daemon restart), docker's defaults and texts.

import { constants } from 'node:os';
import { SkiffError } from '../../base/index.js';
import { attributesOf, findContainer, saveRecord, type EngineContext } from './context.js';
import { cancelRestart } from './container-restart.js';
import { startContainer } from './container-task.js';

/** `SIGTERM`, `TERM`, `15` → 15; docker's error for anything else. */
export function parseSignal(s: string | undefined, fallback = 'SIGTERM'): number {
  const v = (s === undefined || s === '' ? fallback : s).toUpperCase();
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n < 1 || n > 64) throw new SkiffError('InvalidArgument', `Invalid signal: ${s}`, { field: 'signal' });
    return n;
  }
  const name = v.startsWith('SIG') ? v : `SIG${v}`;
  const n = (constants.signals as Record<string, number>)[name];
  if (n === undefined) throw new SkiffError('InvalidArgument', `Invalid signal: ${s}`, { field: 'signal' });
  return n;
}

function notRunning(id: string): SkiffError {
  return new SkiffError('Conflict', `container ${id} is not running`);
}

export async function killContainer(ctx: EngineContext, idOrName: string, signal?: string): Promise<void> {
  const { record } = findContainer(ctx, idOrName);
  const sig = parseSignal(signal, 'SIGKILL');
  if (!record.State.Running) throw notRunning(record.Id);
  await ctx.runtime.shimClient(record.Id).kill(sig);
  ctx.emit({ action: 'kill', id: record.Id, attributes: { ...attributesOf(record), signal: String(sig) } });
}

/** Waits for the current run to end, up to `timeoutMs`; true if it ended. */
async function awaitExit(ctx: EngineContext, id: string, timeoutMs: number): Promise<boolean> {
  const exit = ctx.exits.get(id);
  if (exit === undefined) return true;
  if (timeoutMs < 0) {
    await exit;
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
  try {
    return await Promise.race([exit.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export async function stopContainer(ctx: EngineContext, idOrName: string, opts: { timeoutS?: number; signal?: string } = {}): Promise<void> {
  const { record } = findContainer(ctx, idOrName);
  record.ManuallyStopped = true;
  saveRecord(ctx, record);
  if (!record.State.Running) {
    if (cancelRestart(ctx, record)) return; // stopped while waiting to be restarted
    throw new SkiffError('NotModified', 'container already stopped');
  }
  const sig = parseSignal(opts.signal ?? record.Config.StopSignal, 'SIGTERM');
  const timeoutS = opts.timeoutS ?? record.Config.StopTimeout ?? 10;
  ctx.stopping.add(record.Id);
  const shim = ctx.runtime.shimClient(record.Id);
  if (record.State.Paused) await ctx.runtime.resume(record.Id).catch(() => {});
  await shim.kill(sig).catch(() => {});
  ctx.emit({ action: 'kill', id: record.Id, attributes: { ...attributesOf(record), signal: String(sig) } });
  if (!(await awaitExit(ctx, record.Id, timeoutS < 0 ? -1 : timeoutS * 1000))) {
    await shim.kill(9).catch(() => {});
    ctx.emit({ action: 'kill', id: record.Id, attributes: { ...attributesOf(record), signal: '9' } });
    await awaitExit(ctx, record.Id, -1);
  }
  ctx.emit({ action: 'stop', id: record.Id, attributes: attributesOf(record) });
}

export async function restartContainer(ctx: EngineContext, idOrName: string, opts: { timeoutS?: number; signal?: string } = {}): Promise<void> {
  const { record } = findContainer(ctx, idOrName);
  if (record.State.Running) await stopContainer(ctx, record.Id, opts);
  await startContainer(ctx, record.Id);
  ctx.emit({ action: 'restart', id: record.Id, attributes: attributesOf(record) });
}

export async function pauseContainer(ctx: EngineContext, idOrName: string): Promise<void> {
  const { record } = findContainer(ctx, idOrName);
  if (!record.State.Running) throw notRunning(record.Id);
  if (record.State.Paused) throw new SkiffError('Conflict', `container ${record.Id} is already paused`);
  await ctx.runtime.pause(record.Id);
  record.State = { ...record.State, Paused: true, Status: 'paused' };
  saveRecord(ctx, record);
  ctx.emit({ action: 'pause', id: record.Id, attributes: attributesOf(record) });
}

export async function unpauseContainer(ctx: EngineContext, idOrName: string): Promise<void> {
  const { record } = findContainer(ctx, idOrName);
  if (!record.State.Paused) throw new SkiffError('Conflict', `container ${record.Id} is not paused`);
  await ctx.runtime.resume(record.Id);
  record.State = { ...record.State, Paused: false, Status: 'running' };
  saveRecord(ctx, record);
  ctx.emit({ action: 'unpause', id: record.Id, attributes: attributesOf(record) });
}
