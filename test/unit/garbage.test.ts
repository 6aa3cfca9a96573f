import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../lib/operations/graphs/garbage.js';
import { totals } from '../../lib/records/graphs/counters.js';
import { toItem } from '../../lib/records/graphs/data-keys.js';
import { memoryDeps } from '../support/memory-deps.js';

const SHARDS = 4;
const graph = { projectId: 'p1', graphId: 'g1' };

/** A graph with `n` vertices in each of generations 1 to 3, counted; 2 and 3 discarded now. */
async function discarded(n = 12, env: Record<string, string> = {}) {
  const t = memoryDeps({ QUERY_PAGE_SIZE: '2', DROP_PAGES: '1', ...env });
  const { data, store } = t.deps;
  for (const generation of [1, 2, 3]) {
    const items = Array.from({ length: n }, (_, i) =>
      toItem('g1', generation, SHARDS, { vertex: `v${i}`, label: 'user', properties: {} }),
    );
    await data.load(items);
    await data.recordLoaded('g1', generation, 'part', { vertex: { user: n }, edge: {} });
  }
  const since = t.deps.clock.now();
  await store.transact([data.discard(graph, SHARDS, { from: 2, to: 3 }, since)]);
  const left = async (generation: number) => {
    let items = 0;
    for (let shard = 0; shard < SHARDS; shard++)
      for await (const page of data.readShard('g1', generation, shard)) items += page.length;
    return { items, counted: totals(await data.counts('g1', generation)).vertices };
  };
  return { ...t, since, left };
}

const noLimit = () => false;

describe('the garbage collector', () => {
  it('drops discarded generations whole, their counters with them, and nothing else, then forgets them', async () => {
    const t = await discarded();
    t.advance(t.deps.config.jobStallMs);

    expect(await collectGarbage(t.deps, noLimit)).toEqual({ ranges: 1, items: 24 });

    expect(await t.left(2)).toEqual({ items: 0, counted: 0 });
    expect(await t.left(3)).toEqual({ items: 0, counted: 0 });
    expect(await t.left(1)).toEqual({ items: 12, counted: 12 });
    expect(await t.deps.data.garbage(10)).toEqual([]);
  });

  it('keeps a mark for the stall window, and drops what is written under it meanwhile', async () => {
    const t = await discarded();
    expect(await collectGarbage(t.deps, noLimit)).toEqual({ ranges: 0, items: 24 });
    expect(await t.deps.data.garbage(10)).toEqual([expect.objectContaining({ from: 2, to: 3, next: 2 })]);

    // A task of the failed run, still loading, writes after that pass.
    await t.deps.data.load([toItem('g1', 3, SHARDS, { vertex: 'late', label: 'user', properties: {} })]);
    t.advance(t.deps.config.jobStallMs - 1);
    expect(await collectGarbage(t.deps, noLimit)).toEqual({ ranges: 0, items: 1 });
    t.advance(1);
    expect(await collectGarbage(t.deps, noLimit)).toEqual({ ranges: 1, items: 0 });
    expect(await t.deps.data.garbage(10)).toEqual([]);
  });

  it('goes on where it stopped, however little time a call has: one slice a call', async () => {
    const t = await discarded();
    t.advance(t.deps.config.jobStallMs);
    let calls = 0;
    let items = 0;
    while ((await t.deps.data.garbage(10)).length) {
      let slices = 0;
      items += (await collectGarbage(t.deps, () => slices++ >= 1)).items;
      expect(++calls).toBeLessThan(100);
    }
    // 24 items in pages of 2, one page a slice: every call but those that find a shard empty drops one.
    expect(items).toBe(24);
    expect(calls).toBeGreaterThanOrEqual(12);
    expect(await t.left(2)).toEqual({ items: 0, counted: 0 });
    expect(await t.left(3)).toEqual({ items: 0, counted: 0 });
    expect(await t.left(1)).toEqual({ items: 12, counted: 12 });
  });

  it('records its progress on the mark: the generations done, and the shards of the next', async () => {
    const t = await discarded();
    t.advance(t.deps.config.jobStallMs);
    let slices = 0;
    // Pages of 2 items: enough slices to empty generation 2 and some shards of 3, not all.
    await collectGarbage(t.deps, () => slices++ >= 8);
    const [mark] = await t.deps.data.garbage(10);
    expect(mark).toMatchObject({ from: 2, to: 3, next: 3 });
    expect(mark?.emptied?.size ?? 0).toBeGreaterThan(0);
    expect(mark?.emptied?.size ?? 0).toBeLessThan(SHARDS);
    expect(await t.left(2)).toEqual({ items: 0, counted: 0 });
    expect((await t.left(3)).items).toBeGreaterThan(0);
  });

  it('collects every mark it can in one call', async () => {
    const t = await discarded();
    await t.deps.store.transact([t.deps.data.discard(graph, SHARDS, { from: 1, to: 1 }, t.deps.clock.now())]);
    t.advance(t.deps.config.jobStallMs);
    expect(await collectGarbage(t.deps, noLimit)).toEqual({ ranges: 2, items: 36 });
    expect(await t.deps.data.garbage(10)).toEqual([]);
  });

  it('takes the oldest mark first', async () => {
    const t = await discarded();
    t.advance(1000);
    await t.deps.store.transact([t.deps.data.discard(graph, SHARDS, { from: 1, to: 1 }, t.deps.clock.now())]);
    t.advance(t.deps.config.jobStallMs);
    let slices = 0;
    await collectGarbage(t.deps, () => slices++ >= 12);
    expect(await t.left(2)).toEqual({ items: 0, counted: 0 });
    expect((await t.left(1)).items).toBe(12);
  });
});
