import { mapLimit } from '../../core/concurrency.js';
import { GraphNotWritable } from '../../core/errors.js';
import { pages, type Query, refusedAction, type Store } from '../../core/store.js';
import { type DataItem, shardKey } from './data-keys.js';
import { takesWrites } from './graph-repo.js';
import type { GraphRecord } from './model.js';

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
  async put(graph: GraphRecord, items: DataItem[]): Promise<void> {
    await mapLimit(transactionChunks(items), WRITE_CONCURRENCY, async (chunk) => {
      const fence = takesWrites(graph);
      const outcome = await this.store.transact([
        fence,
        ...chunk.map((put) => ({ name: 'put an element', table: 'graph' as const, put })),
      ]);
      if (refusedAction(outcome, fence.name)) throw new GraphNotWritable();
    });
  }

  /**
   * Writes items outside any graph's lock: for a generation no reader sees yet (a restore). Batched,
   * at a bounded concurrency; what DynamoDB leaves unprocessed is retried with backoff.
   */
  async load(items: DataItem[]): Promise<void> {
    await this.store.writeMany('graph', { put: items, delete: [] });
  }

  /** Deletes a whole generation of a graph, shard by shard. */
  async dropGeneration(graphId: string, generation: number, shards: number): Promise<void> {
    const all = Array.from({ length: shards }, (_, shard) => shard);
    await mapLimit(all, DROP_CONCURRENCY, async (shard) => {
      for await (const page of pages(
        this.store,
        this.shard(graphId, generation, shard, { attributes: ['pk', 'sk'] }),
      )) {
        const keys = page.items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) }));
        await this.store.writeMany('graph', { put: [], delete: keys });
      }
    });
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
