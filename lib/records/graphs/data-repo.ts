import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../../core/concurrency.js';
import { DependencyUnavailable, GraphNotWritable } from '../../core/errors.js';
import { GARBAGE, garbageIndexKeys, garbageKey } from '../../core/keys.js';
import {
  type Action,
  type Key,
  type Query,
  queryAll,
  refusedAction,
  type Store,
  when,
  withoutKeys,
} from '../../core/store.js';
import {
  counterAttributes,
  counterKey,
  counterKeys,
  emptyCounts,
  type LabelCounts,
  settledAttribute,
  sumCounters,
  tally,
} from './counters.js';
import { type DataItem, ELEMENT_ATTRIBUTES, fnv1a, type StoredElement, shardKey } from './data-keys.js';
import {
  type GraphRepo,
  markWriterDone,
  registerWriter,
  removeWriter,
  takesWrites,
  writerFence,
} from './graph-repo.js';
import { type GraphRecord, GraphStatus } from './model.js';

/**
 * Generations `from`..`to` of a graph discarded at `since`, the garbage collector's to drop; `next` is
 * the first it has not dropped yet, and `emptied` the shards of that one it has.
 */
export type Garbage = {
  projectId: string;
  graphId: string;
  shards: number;
  from: number;
  to: number;
  next: number;
  emptied?: Set<string>;
  since: number;
};

/** How a data-plane batch identifies itself, how long it may take, and when it began. */
export type BatchOptions = { batchId: string; leaseMs: number; now: number };

/** A batch's intent (its elements, written before any of them) lives in a partition of its own. */
const intentKey = (graphId: string, batchId: string) => `${graphId}#intent#${batchId}`;
/** Intent groups well under DynamoDB's 400 KB item. */
const INTENT_BYTES = 300 * 1024;

/**
 * A transaction holds at most 100 actions (98 puts, the check that the graph still takes writes and
 * the update of a counter item) and 4 MB.
 */
const WRITE_CHUNK = 98;
/** Rounds of a chunk refused, beyond one per element, before concurrent writes are given up on. */
const COUNTED_ATTEMPTS = 8;
const WRITE_CHUNK_BYTES = 3 * 1024 * 1024;
const WRITE_CONCURRENCY = 4;
const COUNTER_READS = 8;
/** Reads of elements' labels at once, when a job settles a dead batch. */
const SETTLE_READS = 16;

/** Items cut into transactions that DynamoDB accepts, by count and by size. */
function transactionChunks(items: DataItem[]): DataItem[][] {
  const chunks: DataItem[][] = [];
  let chunk: DataItem[] = [];
  let bytes = 0;
  for (const item of items) {
    const size =
      Buffer.byteLength(item.pk + item.sk + item.s + (item.t ?? '') + item.l + item.p, 'utf8') + 64;
    if (chunk.length && (chunk.length === WRITE_CHUNK || bytes + size > WRITE_CHUNK_BYTES)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

/** Where a read of a shard stopped: DynamoDB's LastEvaluatedKey. */
export type ResumeKey = Record<string, unknown>;
export type { LabelCounts } from './counters.js';

/** The name of the put of the `i`th element of a chunk: a refusal names the elements not as seen. */
const putName = (i: number) => `put element ${i}`;

/** Vertices and edges in the graph data table (key scheme in `data-keys.ts`). */
export class GraphDataRepo {
  constructor(private readonly store: Store) {}

  /**
   * Writes items into the graph's current generation. Every chunk is one transaction that also checks
   * the graph is running on that generation, so no write lands once a backup or a stop holds the graph:
   * a backup sees exactly the content at the moment it took the lock.
   */
  async put(graph: GraphRecord, items: DataItem[], batch: BatchOptions): Promise<void> {
    const chunks = transactionChunks(items);
    const counter = (chunk: number) => this.counterOf(graph, batch.batchId, chunk);
    // One transaction is all or nothing by itself.
    if (chunks.length === 1) return this.putChunk(takesWrites(graph), chunks[0] as DataItem[], counter(0));
    // More: the batch is written down whole first (its intent), registered on the graph, then
    // written under that registration, so that a job that holds the graph sees all of it or none.
    await this.writeIntent(graph.graphId, batch.batchId, items);
    const registered = await this.store.apply(
      registerWriter(graph, batch.batchId, { until: batch.now + batch.leaseMs }),
    );
    if (!registered.ok) {
      await this.dropIntent(graph.graphId, batch.batchId);
      throw new GraphNotWritable();
    }
    try {
      await mapLimit(chunks, WRITE_CONCURRENCY, (chunk, n) =>
        this.putChunk(writerFence(graph, batch.batchId), chunk, counter(n)),
      );
    } catch (e) {
      // Fenced off: the lease ran out and whoever settled it wrote the whole batch from its intent.
      if (!(e instanceof GraphNotWritable)) throw e;
      return;
    }
    await this.store.apply(markWriterDone(graph, batch.batchId, batch.now + batch.leaseMs));
    await this.dropIntent(graph.graphId, batch.batchId);
    await this.store.apply(removeWriter(graph, batch.batchId));
  }

  /**
   * Settles the batches registered on a graph whose writer is gone (its lease ran out) or done:
   * an unfinished one is written whole from its intent (on the generation it was meant for, if the
   * graph is still on it); then its intent and its registration go. Live batches are left alone:
   * the number of them is returned, for a caller that waits for none.
   */
  async settleWriters(graph: GraphRecord, now: number): Promise<number> {
    let live = 0;
    for (const [batchId, writer] of Object.entries(graph.writers ?? {})) {
      if (!writer.done && writer.until >= now) {
        live++;
        continue;
      }
      if (!writer.done) {
        const items = await this.readIntent(graph.graphId, batchId);
        const current = items.filter((i) => i.pk.startsWith(`${graph.graphId}#${graph.generation}#`));
        if (graph.status === GraphStatus.running) await this.settleRunning(graph, batchId, current);
        else await this.settleHeld(graph, batchId, current);
      }
      await this.dropIntent(graph.graphId, batchId);
      await this.store.apply(removeWriter(graph, batchId));
    }
    return live;
  }

  /**
   * A dead batch on a graph that takes writes (the next batch settles it): written like any batch,
   * chunk by chunk, each put conditional on the element as seen, so that concurrent writes and what
   * the dead writer did write count exactly. Fenced off: another settler finished it. Counted already
   * by a job that settled it and died before writing it all: written as it is, uncounted.
   */
  private async settleRunning(graph: GraphRecord, batchId: string, items: DataItem[]): Promise<void> {
    const marker = settledAttribute(batchId);
    const counted = await this.store.get('control', this.counterOf(graph, batchId, 0));
    if (counted?.[marker] !== undefined) {
      await this.store.writeMany('graph', { put: items, delete: [] });
      return;
    }
    const fence = writerFence(graph, batchId);
    await mapLimit(transactionChunks(items), WRITE_CONCURRENCY, (chunk, n) =>
      this.putChunk(fence, chunk, this.counterOf(graph, batchId, n)),
    ).catch((e: unknown) => {
      if (!(e instanceof GraphNotWritable)) throw e;
    });
  }

  /**
   * A dead batch on a graph that a job holds (the job settles it before it reads): nothing else
   * writes now (a writer past its lease has stopped; no batch registers), and a job writes data with
   * BatchWriteItem only. So the change is counted from the elements as they are, once (the marker's
   * condition), and then the elements are written: a job that dies in between counts nothing twice
   * when it settles the batch again, and writes it all.
   */
  private async settleHeld(graph: GraphRecord, batchId: string, items: DataItem[]): Promise<void> {
    const seen = await mapLimit(items, SETTLE_READS, async (item) => {
      const page = await this.store.query({
        table: 'graph',
        pk: item.pk,
        range: { between: [item.sk, item.sk] },
        attributes: ['l'],
      });
      return page.items[0]?.l as string | undefined;
    });
    const delta = emptyCounts();
    items.forEach((item, i) => {
      const was = seen[i];
      if (was === item.l) return;
      tally(delta, item.k, item.l);
      if (was !== undefined) tally(delta, item.k, was, -1);
    });
    const marker = settledAttribute(batchId);
    await this.store.apply({
      name: 'count the settled batch',
      table: 'control',
      update: this.counterOf(graph, batchId, 0),
      change: { add: counterAttributes(delta), set: { [marker]: true } },
      if: when.absent(marker),
    });
    await this.store.writeMany('graph', { put: items, delete: [] });
  }

  /**
   * One transaction: the fence, every put conditional on the element being as last seen (absent, or
   * with the label seen), and the counter update those puts make. An element that is not as seen is
   * refused with what it is; the chunk is then tried again from that. So the counters change exactly
   * as the elements do, whoever writes them, however often (a re-write of the same element counts 0).
   */
  private async putChunk(fence: Action, chunk: DataItem[], counter: Key): Promise<void> {
    // Each element's label as last seen, undefined for absent: absent until a refusal says otherwise.
    const seen: (string | undefined)[] = chunk.map(() => undefined);
    const byName = new Map(chunk.map((_, i) => [putName(i), i]));
    for (let attempt = 1; ; attempt++) {
      const delta = emptyCounts();
      const puts = chunk.map((put, i): Action => {
        const was = seen[i];
        if (was !== put.l) {
          tally(delta, put.k, put.l);
          if (was !== undefined) tally(delta, put.k, was, -1);
        }
        const condition = was === undefined ? when.absent('pk') : when.eq('l', was);
        return { name: putName(i), table: 'graph', put, if: condition };
      });
      const add = counterAttributes(delta);
      const count: Action[] = Object.keys(add).length
        ? [{ name: 'count the elements', table: 'control', update: counter, change: { add } }]
        : [];
      const outcome = await this.store.transact([fence, ...puts, ...count]);
      if (outcome.ok) return;
      if (refusedAction(outcome, fence.name)) throw new GraphNotWritable();
      for (const { name, item } of outcome.refused) {
        const i = byName.get(name);
        if (i !== undefined) seen[i] = item ? String(item.l) : undefined;
      }
      // Each refusal shows at least one element as it now is (it differs from what was seen), so
      // this ends even if a store named one refused element a round; more is a write race.
      if (attempt >= chunk.length + COUNTED_ATTEMPTS)
        throw new DependencyUnavailable('the graph data (its elements are being written concurrently)');
    }
  }

  /** The counter item a batch's `chunk`th transaction adds to: consecutive chunks, different items. */
  private counterOf(graph: Pick<GraphRecord, 'graphId' | 'generation'>, batchId: string, chunk: number) {
    return counterKey(graph.graphId, graph.generation, fnv1a(batchId) + chunk);
  }

  /** The batch's elements, in groups of at most INTENT_BYTES as JSON, under the batch's own partition. */
  private async writeIntent(graphId: string, batchId: string, items: DataItem[]): Promise<void> {
    const groups: string[] = [];
    let group: DataItem[] = [];
    let bytes = 0;
    for (const item of items) {
      const size = Buffer.byteLength(JSON.stringify(item), 'utf8');
      if (group.length && bytes + size > INTENT_BYTES) {
        groups.push(JSON.stringify(group));
        group = [];
        bytes = 0;
      }
      group.push(item);
      bytes += size;
    }
    if (group.length) groups.push(JSON.stringify(group));
    await this.store.writeMany('graph', {
      put: groups.map((json, n) => ({
        pk: intentKey(graphId, batchId),
        sk: String(n).padStart(5, '0'),
        items: json,
      })),
      delete: [],
    });
  }

  private async readIntent(graphId: string, batchId: string): Promise<DataItem[]> {
    const groups = await queryAll(this.store, { table: 'graph', pk: intentKey(graphId, batchId) });
    return groups.flatMap((g) => JSON.parse(String(g.items)) as DataItem[]);
  }

  private async dropIntent(graphId: string, batchId: string): Promise<void> {
    const groups = await queryAll(this.store, {
      table: 'graph',
      pk: intentKey(graphId, batchId),
      attributes: ['pk', 'sk'],
    });
    await this.store.writeMany('graph', {
      put: [],
      delete: groups.map((g) => ({ pk: String(g.pk), sk: String(g.sk) })),
    });
  }

  /**
   * Writes items outside any graph's lock: for a generation no reader sees yet (a restore). Batched,
   * at a bounded concurrency; what DynamoDB leaves unprocessed is retried with backoff.
   */
  async load(items: DataItem[]): Promise<void> {
    await this.store.writeMany('graph', { put: items, delete: [] });
  }

  /** The generation's element counts by kind and label, from its counter items (a few, not the data). */
  async counts(graphId: string, generation: number): Promise<LabelCounts> {
    const items = await mapLimit(counterKeys(graphId, generation), COUNTER_READS, (key) =>
      this.store.get('control', key),
    );
    return sumCounters(items.filter((item) => item !== undefined));
  }

  /**
   * Sets the counts of one part a restore loaded into `generation` (`countItems` of what it loaded),
   * under the part's own name: loading and recording a part again counts it once.
   */
  async recordLoaded(graphId: string, generation: number, part: string, counts: LabelCounts): Promise<void> {
    const set = counterAttributes(counts, part);
    if (!Object.keys(set).length) return;
    await this.store.apply({
      name: 'count the loaded elements',
      table: 'control',
      update: counterKey(graphId, generation, fnv1a(part)),
      change: { set },
    });
  }

  /**
   * Discards generations `from`..`to` of a graph (of `shards` shards) at `at`: an action, to go in
   * the transaction that makes them garbage (a restore's or a deletion's failure), so that none is
   * forgotten. Discarding again starts the collector over on them, which costs a look at each shard.
   */
  discard(
    graph: { projectId: string; graphId: string },
    shards: number,
    generations: { from: number; to: number },
    at: number,
  ): Action {
    const { from, to } = generations;
    const garbage: Garbage = {
      projectId: graph.projectId,
      graphId: graph.graphId,
      shards,
      from,
      to,
      next: from,
      since: at,
    };
    return {
      name: 'discard generations',
      table: 'control',
      put: {
        ...garbageKey(graph.graphId, from, to),
        ...garbageIndexKeys(at, graph.graphId, from),
        ...garbage,
      },
    };
  }

  /** The oldest discarded generations, at most `limit` ranges. */
  async garbage(limit: number): Promise<Garbage[]> {
    const page = await this.store.query({ table: 'control', index: 'gsi2', pk: GARBAGE, limit });
    return page.items.map((item) => withoutKeys(item) as Garbage);
  }

  /** The collector has dropped a range's generations before `next` (and none of `next`'s shards). */
  async collected(garbage: Garbage, next: number): Promise<void> {
    await this.store.apply({
      name: 'collect generations',
      table: 'control',
      update: garbageKey(garbage.graphId, garbage.from, garbage.to),
      change: { set: { next }, remove: ['emptied'] },
      if: when.exists('pk'),
    });
  }

  /** The collector has emptied `shard` of the range's generation `next`. */
  async emptied(garbage: Garbage, shard: number): Promise<void> {
    await this.store.apply({
      name: 'collect a shard',
      table: 'control',
      update: garbageKey(garbage.graphId, garbage.from, garbage.to),
      change: { add: { emptied: new Set([String(shard)]) } },
      if: when.eq('next', garbage.next),
    });
  }

  /** A range whose generations are all gone is garbage no more. */
  async forget(garbage: Garbage): Promise<void> {
    await this.store.apply({
      name: 'forget generations',
      table: 'control',
      delete: garbageKey(garbage.graphId, garbage.from, garbage.to),
    });
  }

  /** Deletes a generation's counter items: the last step of dropping it, once its data is gone. */
  async dropCounters(graphId: string, generation: number): Promise<void> {
    await mapLimit(counterKeys(graphId, generation), COUNTER_READS, (key) =>
      this.store.apply({ name: 'drop a counter', table: 'control', delete: key }),
    );
  }

  /**
   * One slice of a drop: deletes the first `pages` pages of a shard of a generation (each at most
   * `limit` items, DynamoDB's 1 MB page when unset), the keys of the next page queried while those of
   * the last are deleted. It needs no position to go on from, since what it deleted is gone: the next
   * slice starts at the start again. `more` while the shard may hold items.
   */
  async dropPage(
    graphId: string,
    generation: number,
    shard: number,
    limit?: number,
    pages = 1,
  ): Promise<{ dropped: number; more: boolean }> {
    const query = (startKey?: Record<string, unknown>) =>
      this.store.query(
        this.shard(graphId, generation, shard, {
          attributes: ['pk', 'sk'],
          startKey,
          ...(limit && { limit }),
        }),
      );
    let page = await query();
    let dropped = 0;
    for (let read = 1; ; read++) {
      const keys = page.items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) }));
      const next = page.nextKey !== undefined && read < pages ? query(page.nextKey) : undefined;
      // A failed delete throws at once: the query still in flight is a read, and harmless.
      const [, following] = await Promise.all([
        keys.length ? this.store.writeMany('graph', { put: [], delete: keys }) : undefined,
        next,
      ]);
      dropped += keys.length;
      if (!following) return { dropped, more: page.nextKey !== undefined };
      page = following;
    }
  }

  /** Streams one shard's items, a page at a time, in key order: memory stays bounded by a page. */
  async *readShard(graphId: string, generation: number, shard: number): AsyncGenerator<DataItem[]> {
    let startKey: ResumeKey | undefined;
    do {
      const page = await this.readPage(graphId, generation, shard, startKey);
      yield page.items;
      startKey = page.resumeKey;
    } while (startKey);
  }

  /**
   * One page of a shard's elements from `startKey`, at most `limit`, without their keys (a third of
   * what a small element's item holds: less to send and to parse); `resumeKey` is absent at the end.
   */
  async readElements(
    graphId: string,
    generation: number,
    shard: number,
    startKey?: ResumeKey,
    limit?: number,
  ) {
    const page = await this.store.query(
      this.shard(graphId, generation, shard, {
        startKey,
        attributes: [...ELEMENT_ATTRIBUTES],
        ...(limit && { limit }),
      }),
    );
    return { items: page.items as StoredElement[], resumeKey: page.nextKey as ResumeKey | undefined };
  }

  /** One page of a shard from `startKey`, at most `limit` items; `resumeKey` is absent at the end. */
  async readPage(graphId: string, generation: number, shard: number, startKey?: ResumeKey, limit?: number) {
    const page = await this.store.query(
      this.shard(graphId, generation, shard, { startKey, ...(limit && { limit }) }),
    );
    return { items: page.items as DataItem[], resumeKey: page.nextKey as ResumeKey | undefined };
  }

  private shard(graphId: string, generation: number, shard: number, rest: Partial<Query> = {}): Query {
    return { table: 'graph', pk: shardKey(graphId, generation, shard), ...rest };
  }
}

/**
 * Waits until no data-plane batch is in flight on a graph that a job now holds (no new batch can
 * register once the graph left `running`), settling those whose writer is gone. A job calls this
 * before it reads or drops the graph's data, so that it sees every batch whole or not at all.
 */
export async function waitForWriters(
  repos: { graphs: Pick<GraphRepo, 'get'>; data: Pick<GraphDataRepo, 'settleWriters'> },
  ids: { projectId: string; graphId: string },
  clock: { now(): number },
  leaseMs: number,
): Promise<void> {
  const giveUpAt = clock.now() + leaseMs + 5_000;
  for (;;) {
    const graph = await repos.graphs.get(ids.projectId, ids.graphId);
    if (!graph || !Object.keys(graph.writers ?? {}).length) return;
    if ((await repos.data.settleWriters(graph, clock.now())) === 0) return;
    // A live writer's lease is at most `leaseMs`: past that it is settled, so this ends.
    if (clock.now() > giveUpAt)
      throw new DependencyUnavailable('the graph data (a batch is still being written)');
    await sleep(100);
  }
}
