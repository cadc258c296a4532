// A bounded pool: runs `fn` over `items` with at most `limit` at once (STYLE Part 3 #6). The first
// failure aborts the shared signal, stops scheduling, waits for the running ones, and is thrown.

export async function runPool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, signal: AbortSignal) => Promise<void>,
  parent?: AbortSignal,
): Promise<void> {
  const ctl = new AbortController();
  const onAbort = (): void => ctl.abort(parent?.reason);
  parent?.addEventListener('abort', onAbort, { once: true });
  let next = 0;
  let firstError: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (firstError === undefined && next < items.length && !ctl.signal.aborted) {
      const item = items[next++]!;
      try {
        await fn(item, ctl.signal);
      } catch (err) {
        firstError ??= { err };
        ctl.abort(err);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker()));
  } finally {
    parent?.removeEventListener('abort', onAbort);
  }
  if (firstError !== undefined) throw firstError.err;
  if (parent?.aborted === true) throw parent.reason;
}
