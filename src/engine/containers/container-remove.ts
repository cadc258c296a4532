// rm and wait: a running container needs force (then SIGKILL); the task, the rootfs snapshot, the
// container dir and the row go, and waiters of "removed" get the last exit code.

import { rm } from 'node:fs/promises';
import { SkiffError, isCode } from '../../base/index.js';
import { attributesOf, containerDir, findContainer, type EngineContext } from './context.js';
import { cancelRestart } from './container-restart.js';
import { deleteTask } from './container-task.js';
import type { WaitCondition } from './types.js';

export async function removeContainer(ctx: EngineContext, idOrName: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
  const { record } = findContainer(ctx, idOrName);
  cancelRestart(ctx, record);
  if (record.State.Running) {
    if (opts.force !== true) {
      throw new SkiffError('Conflict', `cannot remove container "${record.Name}": container is running: stop the container before removing or force remove`);
    }
    ctx.stopping.add(record.Id);
    await ctx.runtime.shimClient(record.Id).kill(9).catch(() => {});
    await ctx.exits.get(record.Id);
  }
  await ctx.exits.get(record.Id);
  await deleteTask(ctx, record.Id);
  try {
    await ctx.images.snapshotter.remove(record.Id);
  } catch (err) {
    if (!isCode(err, 'NotFound')) throw err;
  }
  await rm(containerDir(ctx, record.Id), { recursive: true, force: true });
  ctx.repo.delete(record.Id);
  // rm -v (and --rm) removes the container's anonymous volumes; named ones stay
  if (opts.volumes === true) {
    for (const p of record.MountPoints ?? []) {
      if (p.Name !== undefined && ctx.volumes.isAnonymous(p.Name)) {
        await ctx.volumes.remove(p.Name, true).catch((err: unknown) => ctx.logger.warn({ container: record.Id, volume: p.Name, err: String(err) }, 'removing an anonymous volume failed'));
      }
    }
  }
  ctx.stopping.delete(record.Id);
  ctx.emit({ action: 'destroy', id: record.Id, attributes: attributesOf(record) });
  const waiters = ctx.removeWaiters.get(record.Id) ?? [];
  ctx.removeWaiters.delete(record.Id);
  for (const w of waiters) w({ StatusCode: record.State.ExitCode, Error: null });
  // `docker rm` returns once the network is gone too (veth, lease, rules); --rm's waiter did not wait
  await ctx.networks?.settled(record.Id);
}

export async function waitContainer(
  ctx: EngineContext, idOrName: string, condition: WaitCondition = 'not-running', signal?: AbortSignal,
): Promise<{ StatusCode: number; Error: { Message: string } | null }> {
  const { record } = findContainer(ctx, idOrName);
  if (condition === 'not-running' && !record.State.Running) return { StatusCode: record.State.ExitCode, Error: null };
  const table = condition === 'removed' ? ctx.removeWaiters : ctx.exitWaiters;
  return new Promise((resolve, reject) => {
    const list = table.get(record.Id) ?? [];
    const done = (r: { StatusCode: number; Error: { Message: string } | null }): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = (): void => {
      const l = table.get(record.Id);
      if (l !== undefined) table.set(record.Id, l.filter((x) => x !== done));
      reject(new SkiffError('Cancelled', 'wait cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    list.push(done);
    table.set(record.Id, list);
  });
}
