/**
 * Runs `fn` over `items` with at most `limit` at once. On the first failure no new item starts, and
 * the call rejects with that failure only once the items already running have settled: a caller that
 * cleans up after a failure never races work still in flight.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

/**
 * Work handed over a piece at a time with at most `limit` pieces in flight: `add` starts a piece and
 * returns once there is room for the next, so a producer (a parser) runs ahead of the work by at most
 * `limit` pieces (back-pressure, bounded memory). The first failure is thrown by the next `add` and by
 * `settled`, which waits for every piece in flight: a caller that cleans up after a failure never
 * races work still running. `settled` is to be called in any case, even when the producer failed.
 */
export function window(limit: number) {
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const check = () => {
    if (failure) throw failure.error;
  };
  return {
    async add(work: () => Promise<unknown>): Promise<void> {
      check();
      const piece: Promise<void> = work()
        .then(
          () => undefined,
          (error: unknown) => {
            failure ??= { error };
          },
        )
        .finally(() => running.delete(piece));
      running.add(piece);
      while (running.size >= limit) await Promise.race(running);
      check();
    },
    async settled(): Promise<void> {
      await Promise.all(running);
      check();
    },
  };
}
