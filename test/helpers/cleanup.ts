// Cleanup registry for tests: register the undo of every resource *before* using it, and run them
// all in reverse order from t.after whatever the outcome (STYLE.md 2.8, Part 3 #4).
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { TestContext } from 'node:test';

export type CleanupFn = () => void | Promise<void>;

export class Cleanup {
  private readonly fns: { label: string; fn: CleanupFn }[] = [];
  private ran = false;

  add(fn: CleanupFn, label = 'cleanup'): void {
    if (this.ran) throw new Error(`cleanup already ran; cannot add ${label}`);
    this.fns.push({ label, fn });
  }

  /** Runs every registered function once, newest first; collects failures instead of stopping. */
  async run(): Promise<void> {
    if (this.ran) return;
    this.ran = true;
    const errors: unknown[] = [];
    for (const { label, fn } of this.fns.reverse()) {
      try {
        await fn();
      } catch (err) {
        errors.push(new Error(`${label}: ${String(err)}`, { cause: err }));
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'cleanup failed');
  }
}

/** A Cleanup that runs in t.after of the given test. */
export function cleanupFor(t: TestContext): Cleanup {
  const cleanup = new Cleanup();
  t.after(() => cleanup.run());
  return cleanup;
}

/** Kills a process we spawned, by pid, ignoring one that is already gone. */
export function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * skopeo and buildah keep a blob-info cache in /var/lib/containers when run as root: a test file
 * that runs them calls this once, and the directory goes again afterwards if the test made it.
 */
export function removeContainersCacheAfter(after: (fn: () => Promise<void>) => void): void {
  const existed = existsSync('/var/lib/containers');
  after(async () => {
    if (!existed) await rm('/var/lib/containers', { recursive: true, force: true });
  });
}
