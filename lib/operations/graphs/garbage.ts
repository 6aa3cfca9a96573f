import { mapLimit } from '../../core/concurrency.js';
import type { Garbage } from '../../records/graphs/data-repo.js';
import type { Deps } from '../../runtime/deps.js';

/** Discarded ranges looked at a call, oldest first. */
const RANGES = 10;
/** Shards of a generation dropped at once. */
const SHARDS_AT_ONCE = 4;
/**
 * The collector stops this long before its function's timeout: a slice in flight (a few pages of a
 * few shards) ends well within it.
 */
export const COLLECTOR_MARGIN_MS = 15_000;

export type Collected = { ranges: number; items: number };

/**
 * The garbage collector: drops the generations discarded by a failed restore or deletion
 * (`GraphDataRepo.discard`, in the transaction of the failure), oldest first, a few shards at once and
 * a few pages a slice, until `timeIsUp`; a generation whose shards are empty loses its counters, and a
 * range whose generations are all gone its mark. What it dropped is gone, so a later call goes on
 * where this one stopped; the mark says which generations (`next`) and which of its shards (`emptied`)
 * are done, so that however little time a call has, the next one starts where it stopped. The sweeper runs it
 * every minute, in what is left of its time, so a failure's leftovers of any size go in slices.
 *
 * A mark is kept for the stall window after the failure: an invocation of the failed run that was
 * still writing (another task of it, loading its part) has ended by then, and what it wrote after
 * the collector's pass is dropped by the next one. Generations are never loaded twice (a restore
 * loads into the one after the graph's `lastGeneration`), so nothing new is ever written into them.
 */
export async function collectGarbage(
  deps: Pick<Deps, 'data' | 'config' | 'clock'>,
  timeIsUp: () => boolean,
): Promise<Collected> {
  const done: Collected = { ranges: 0, items: 0 };
  for (const mark of await deps.data.garbage(RANGES)) {
    let garbage = mark;
    for (let generation = garbage.next; generation <= garbage.to; generation++) {
      if (!(await dropNext(deps, garbage, timeIsUp, done))) return done;
      await deps.data.dropCounters(garbage.graphId, generation);
      await deps.data.collected(garbage, generation + 1);
      garbage = { ...garbage, next: generation + 1, emptied: undefined };
    }
    if (deps.clock.now() - garbage.since < deps.config.jobStallMs) {
      // Within the stall window: looked at again, every shard, by a later call.
      await deps.data.collected(garbage, garbage.from);
    } else {
      await deps.data.forget(garbage);
      done.ranges++;
    }
  }
  return done;
}

/**
 * Every shard of the range's `next` generation not yet emptied, dropped a slice at a time, each noted
 * on the mark once empty; false when the time ran out first.
 */
async function dropNext(
  deps: Pick<Deps, 'data' | 'config'>,
  garbage: Garbage,
  timeIsUp: () => boolean,
  done: Collected,
): Promise<boolean> {
  const emptied = garbage.emptied ?? new Set();
  const shards = Array.from({ length: garbage.shards }, (_, shard) => shard).filter(
    (shard) => !emptied.has(String(shard)),
  );
  const empty = await mapLimit(shards, SHARDS_AT_ONCE, async (shard) => {
    for (;;) {
      if (timeIsUp()) return false;
      const slice = await deps.data.dropPage(
        garbage.graphId,
        garbage.next,
        shard,
        deps.config.queryPageSize,
        deps.config.dropPages,
      );
      done.items += slice.dropped;
      if (slice.more) continue;
      await deps.data.emptied(garbage, shard);
      return true;
    }
  });
  return empty.every(Boolean);
}
