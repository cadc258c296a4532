// Lifetimes (VS Code's DisposableStore, undici's close/destroy): cleanups are registered before the
// resource is used and run in reverse order, each once, whatever happens to the others.

export type Cleanup = () => void | Promise<void>;

export class DisposableStore {
  private readonly cleanups: Cleanup[] = [];
  private disposed = false;

  /** Registers `cleanup`; if the store is already disposed the cleanup runs at once. */
  add(cleanup: Cleanup): void {
    if (this.disposed) {
      void Promise.resolve().then(cleanup).catch(() => {});
      return;
    }
    this.cleanups.push(cleanup);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Runs every cleanup in reverse order of registration. Errors are collected, not thrown early. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    while (this.cleanups.length > 0) {
      const cleanup = this.cleanups.pop()!;
      try {
        await cleanup();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several cleanups failed');
  }
}
