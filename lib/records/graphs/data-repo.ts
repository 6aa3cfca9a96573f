import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../../core/concurrency.js';
import { DependencyUnavailable, GraphNotWritable } from '../../core/errors.js';
import { type Action, pages, type Query, queryAll, refusedAction, type Store } from '../../core/store.js';
import { type DataItem, shardKey } from './data-keys.js';
import {
  type GraphRepo,
  markWriterDone,
  registerWriter,
  removeWriter,
  takesWrites,
  writerFence,
} from './graph-repo.js';
import type { GraphRecord } from './model.js';

/** How a data-plane batch identifies itself, how long it may take, and when it began. */
export type BatchOptions = { batchId: string; leaseMs: number; now: number };

/** A batch's intent (its elements, written before any of them) lives in a partition of its own. */
const intentKey = (graphId: string, batchId: string) => `${graphId}#intent#${batchId}`;
/** Intent groups well under DynamoDB's 400 KB item. */
const INTENT_BYTES = 300 * 1024;

/** A transaction holds at most 100 actions (99 puts and the check that the graph still takes writes) and 4 MB. */
const WRITE_CHUNK = 99;
const WRITE_CHUNK_BYTES = 3 * 1024 * 1024;
const WRITE_CONCURRENCY = 4;
const DROP_CONCURRENCY = 4;

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

export type ShardCounts = { vertices: number; edges: number };
/** Where a read of a shard stopped: DynamoDB's LastEvaluatedKey. */
export type ResumeKey = Record<string, unknown>;
export type LabelCounts = { vertex: Record<string, number>; edge: Record<string, number> };

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
    // One transaction is all or nothing by itself.
    if (chunks.length === 1) return this.putChunk(takesWrites(graph), chunks[0] as DataItem[]);
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
      await mapLimit(chunks, WRITE_CONCURRENCY, (chunk) =>
        this.putChunk(writerFence(graph, batch.batchId), chunk),
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
        await this.store.writeMany('graph', { put: current, delete: [] });
      }
      await this.dropIntent(graph.graphId, batchId);
      await this.store.apply(removeWriter(graph, batchId));
    }
    return live;
  }

  private async putChunk(fence: Action, chunk: DataItem[]): Promise<void> {
    const outcome = await this.store.transact([
      fence,
      ...chunk.map((put) => ({ name: 'put an element', table: 'graph' as const, put })),
    ]);
    if (refusedAction(outcome, fence.name)) throw new GraphNotWritable();
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

  /**
   * Deletes a whole generation of a graph, shard by shard, in one call: for what is small (a failed
   * restore's leftovers, best effort). Jobs drop generations slice by slice with `dropPage`.
   */
  async dropGeneration(graphId: string, generation: number, shards: number): Promise<void> {
    const all = Array.from({ length: shards }, (_, shard) => shard);
    await mapLimit(all, DROP_CONCURRENCY, async (shard) => {
      while ((await this.dropPage(graphId, generation, shard)).more);
    });
  }

  /**
   * One slice of a drop: deletes the first page of a shard of a generation (at most `limit` items,
   * DynamoDB's 1 MB page when unset). It needs no position to go on from, since what it deleted is
   * gone: the next slice starts at the start again. `more` while the shard may hold items.
   */
  async dropPage(
    graphId: string,
    generation: number,
    shard: number,
    limit?: number,
  ): Promise<{ dropped: number; more: boolean }> {
    const page = await this.store.query(
      this.shard(graphId, generation, shard, { attributes: ['pk', 'sk'], ...(limit && { limit }) }),
    );
    const keys = page.items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) }));
    if (keys.length) await this.store.writeMany('graph', { put: [], delete: keys });
    return { dropped: keys.length, more: page.nextKey !== undefined };
  }

  /** Counts one shard's vertices and edges without reading them out. */
  async countShard(graphId: string, generation: number, shard: number): Promise<ShardCounts> {
    const count = async (prefix: 'V#' | 'E#') => {
      let total = 0;
      const query = this.shard(graphId, generation, shard, { range: { beginsWith: prefix }, count: true });
      for await (const page of pages(this.store, query)) total += page.count;
      return total;
    };
    const [vertices, edges] = await Promise.all([count('V#'), count('E#')]);
    return { vertices, edges };
  }

  /** Counts one shard's vertices and edges by label, reading only the kind and label of each. */
  async labelCounts(graphId: string, generation: number, shard: number): Promise<LabelCounts> {
    const counts: LabelCounts = { vertex: {}, edge: {} };
    for await (const page of pages(
      this.store,
      this.shard(graphId, generation, shard, { attributes: ['k', 'l'] }),
    )) {
      for (const item of page.items) {
        const byLabel = item.k === 'V' ? counts.vertex : counts.edge;
        const label = String(item.l);
        byLabel[label] = (byLabel[label] ?? 0) + 1;
      }
    }
    return counts;
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
