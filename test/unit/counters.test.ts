import { describe, expect, it } from 'vitest';
import type { Action } from '../../lib/core/store.js';
import { addElements, summarize } from '../../lib/operations/graphs/data-plane.js';
import { createGraph } from '../../lib/operations/graphs/graphs.js';
import {
  COUNTER_SHARDS,
  counterAttribute,
  counterAttributes,
  countItems,
  sumCounters,
} from '../../lib/records/graphs/counters.js';
import type { Vertex } from '../../lib/records/graphs/model.js';
import { memoryDeps } from '../support/memory-deps.js';

const PROJECT = 'p1';

describe('counter attributes', () => {
  it('spell every label so that the store never reads it as a map entry, and read back as they were', () => {
    const labels = ['a.b', '100%', '%2E', 'x%25.y', '__proto__', 'zoë'];
    for (const label of labels) expect(counterAttribute('V', label)).not.toContain('.');
    const counts = countItems(labels.map((l) => ({ k: 'V' as const, l })));
    expect(sumCounters([counterAttributes(counts)])).toEqual({
      vertex: Object.fromEntries(labels.map((l) => [l, 1])),
      edge: {},
    });
  });

  it('sum over items, negative entries included, and leave out labels with nothing left', () => {
    const items = [
      { pk: 'COUNTS#g#1', sk: 'COUNTS#0', 'V#person': 2, 'E#knows': 1, 'settled#b1': true },
      { pk: 'COUNTS#g#1', sk: 'COUNTS#7', 'V#person': -2, 'V#movie': 1 },
      { pk: 'COUNTS#g#1', sk: 'COUNTS#3', ...counterAttributes({ vertex: {}, edge: { knows: 3 } }, 'p.0') },
    ];
    expect(sumCounters(items)).toEqual({ vertex: { movie: 1 }, edge: { knows: 4 } });
  });
});

describe('counters kept by data-plane writes (in-memory store)', () => {
  const setUp = async () => {
    const mem = memoryDeps();
    const { graph } = await createGraph(mem.deps, { projectId: PROJECT, name: 'movies' });
    const transactions: Action[][] = [];
    const transact = mem.store.transact.bind(mem.store);
    mem.store.transact = async (actions) => {
      transactions.push(actions);
      return transact(actions);
    };
    const add = (elements: Vertex[]) =>
      addElements(mem.deps, { projectId: PROJECT, graphName: 'movies', elements });
    const summary = async () => (await summarize(mem.deps, { projectId: PROJECT, graphName: 'movies' })).data;
    return { ...mem, graph, add, summary, transactions };
  };
  const v = (vertex: string, label: string): Vertex => ({ vertex, label, properties: {} });

  it('count a replaced element once, and move a relabelled vertex from its old label to its new one', async () => {
    const { add, summary } = await setUp();
    await add([v('a', 'person'), v('b', 'person')]);
    await add([v('a', 'person'), v('b', 'movie')]);
    expect(await summary()).toEqual({
      vertexNum: 2,
      edgeNum: 0,
      labelDetails: { labelInVertex: { person: 1, movie: 1 }, labelInEdge: {} },
    });
  });

  it('learn what an element was from the refusal and try again, one transaction more', async () => {
    const { add, summary, transactions } = await setUp();
    await add([v('a', 'person')]);
    transactions.length = 0;
    await add([v('a', 'movie'), v('c', 'movie')]);
    // Refused (a was not absent), then written conditional on the label the refusal showed.
    expect(transactions).toHaveLength(2);
    expect((await summary()).labelDetails.labelInVertex).toEqual({ movie: 2 });
  });

  it('are exact when the store names only one refused element a round', async () => {
    const { store, add, summary, transactions } = await setUp();
    await add(Array.from({ length: 50 }, (_, i) => v(`v${i}`, 'person')));
    const transact = store.transact.bind(store);
    store.transact = async (actions) => {
      const outcome = await transact(actions);
      return outcome.ok ? outcome : { ok: false, refused: outcome.refused.slice(0, 1) };
    };
    transactions.length = 0;
    await add(Array.from({ length: 50 }, (_, i) => v(`v${i}`, i % 2 ? 'movie' : 'person')));
    expect(transactions).toHaveLength(51);
    expect((await summary()).labelDetails.labelInVertex).toEqual({ person: 25, movie: 25 });
  });

  it('keep a transaction within 100 actions, each chunk of a batch adding to another counter item', async () => {
    const { add, summary, transactions } = await setUp();
    transactions.length = 0;
    await add(Array.from({ length: 1000 }, (_, i) => v(`v${i}`, 'person')));
    const chunks = transactions.filter((t) => t.some((a) => a.name.startsWith('put element ')));
    expect(Math.max(...chunks.map((t) => t.length))).toBeLessThanOrEqual(100);
    const counters = new Set(
      chunks.map((t) =>
        t.flatMap((a) => ('update' in a && a.update.pk.startsWith('COUNTS#') ? [a.update.sk] : [])).join(),
      ),
    );
    expect(counters.size).toBe(Math.min(chunks.length, COUNTER_SHARDS));
    expect((await summary()).vertexNum).toBe(1000);
  });
});
