// Restart policies (no, always, unless-stopped, on-failure[:N]) with docker's back-off
// (daemon/restartmanager): 100 ms, doubling to at most a minute, back to 100 ms after a run of 10 s
// or more. A stop or rm by the user cancels a pending restart and is remembered (unless-stopped).

import { attributesOf, saveRecord, type EngineContext } from './context.js';
import type { ContainerRecord } from './types.js';

const INITIAL_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
const RESET_AFTER_RUN_MS = 10_000;

export function shouldRestart(record: ContainerRecord, exitCode: number, manuallyStopped: boolean): boolean {
  if (manuallyStopped || record.HostConfig.AutoRemove === true) return false;
  const policy = record.HostConfig.RestartPolicy ?? {};
  switch (policy.Name ?? '') {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure': {
      const max = policy.MaximumRetryCount ?? 0;
      return exitCode !== 0 && (max === 0 || record.RestartCount < max);
    }
    default:
      return false;
  }
}

/** Schedules the restart of an exited container after its back-off delay. */
export function scheduleRestart(ctx: EngineContext, record: ContainerRecord, start: (id: string) => Promise<void>): void {
  const id = record.Id;
  const ranMs = Date.parse(record.State.FinishedAt) - Date.parse(record.State.StartedAt);
  const previous = ctx.restartDelays.get(id);
  const delayMs = previous === undefined || ranMs >= RESET_AFTER_RUN_MS ? INITIAL_DELAY_MS : Math.min(previous * 2, MAX_DELAY_MS);
  ctx.restartDelays.set(id, delayMs);
  record.State = { ...record.State, Status: 'restarting', Restarting: true };
  saveRecord(ctx, record);
  const timer = setTimeout(() => {
    ctx.restartTimers.delete(id);
    const row = ctx.repo.get(id);
    if (row === undefined || !row.record.State.Restarting) return;
    row.record.RestartCount += 1;
    row.record.State = { ...row.record.State, Restarting: false };
    saveRecord(ctx, row.record);
    start(id).then(
      () => ctx.emit({ action: 'restart', id, attributes: attributesOf(row.record) }),
      (err: unknown) => {
        ctx.logger.warn({ container: id, err: String(err) }, 'restart failed');
        const again = ctx.repo.get(id);
        if (again !== undefined && shouldRestart(again.record, again.record.State.ExitCode, false)) scheduleRestart(ctx, again.record, start);
      },
    );
  }, delayMs);
  timer.unref();
  ctx.restartTimers.set(id, timer);
}

/** A user's stop or rm: no restart is pending any more. Returns true if one was. */
export function cancelRestart(ctx: EngineContext, record: ContainerRecord): boolean {
  const timer = ctx.restartTimers.get(record.Id);
  if (timer === undefined && !record.State.Restarting) return false;
  if (timer !== undefined) clearTimeout(timer);
  ctx.restartTimers.delete(record.Id);
  record.State = { ...record.State, Status: 'exited', Restarting: false };
  saveRecord(ctx, record);
  return true;
}
