import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '../concurrency.js';
import { failedConditions } from '../dynamo.js';
import { DependencyUnavailable, translateAwsError } from '../errors.js';
import { graphKey } from '../keys.js';
import { type DataItem, shardKey } from './data-keys.js';
import { type GraphRecord, GraphStatus } from './model.js';

/** Thrown when a data write lost the race against a job that took the graph meanwhile. */
export class GraphNotWritable extends Error {
  override readonly name = 'GraphNotWritable';
}

/** A transaction holds at most 100 actions (99 puts and the check that the graph still takes writes) and 4 MB. */
const WRITE_CHUNK = 99;
const WRITE_CHUNK_BYTES = 3 * 1024 * 1024;

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
const WRITE_CONCURRENCY = 4;
const LOAD_CONCURRENCY = 8;
const MAX_BATCH_RETRIES = 8;
type BatchWriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string] | undefined;

export type ShardCounts = { vertices: number; edges: number };
/** Where a read of a shard stopped: DynamoDB's LastEvaluatedKey. */
export type ResumeKey = Record<string, unknown>;
export type LabelCounts = { vertex: Record<string, number>; edge: Record<string, number> };

/** Vertices and edges in the graph data table (key scheme in `data-keys.ts`). */
export class GraphDataRepo {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly dataTable: string,
    private readonly controlTable: string,
  ) {}

  /**
   * Writes items into the graph's current generation. Every chunk is one transaction that also checks
   * the graph is running on that generation, so no write lands once a backup or a stop holds the graph:
   * a backup sees exactly the content at the moment it took the lock.
   */
  async put(graph: GraphRecord, items: DataItem[]): Promise<void> {
    await mapLimit(transactionChunks(items), WRITE_CONCURRENCY, async (chunk) => {
      try {
        await this.ddb.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: this.controlTable,
                  Key: graphKey(graph.projectId, graph.graphId),
                  ConditionExpression: '#status = :running AND generation = :generation',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: {
                    ':running': GraphStatus.running,
                    ':generation': graph.generation,
                  },
                },
              },
              ...chunk.map((Item) => ({ Put: { TableName: this.dataTable, Item } })),
            ],
          }),
        );
      } catch (e) {
        if (failedConditions(e)?.[0]) throw new GraphNotWritable();
        throw translateAwsError('DynamoDB', e);
      }
    });
  }

  /**
   * Writes items outside any graph's lock: for a generation no reader sees yet (a restore). Batches of
   * 25 at a bounded concurrency; what DynamoDB leaves unprocessed is retried with backoff.
   */
  async load(items: DataItem[]): Promise<void> {
    await this.writeAll(items.map((Item) => ({ PutRequest: { Item } })));
  }

  /** Deletes a whole generation of a graph, shard by shard. */
  async dropGeneration(graphId: string, generation: number, shards: number): Promise<void> {
    const all = Array.from({ length: shards }, (_, shard) => shard);
    await mapLimit(all, 4, async (shard) => {
      for await (const page of this.shardPages(graphId, generation, shard, {
        ProjectionExpression: 'pk, sk',
      })) {
        const keys = (page.Items ?? []) as { pk: string; sk: string }[];
        await this.writeAll(keys.map((Key) => ({ DeleteRequest: { Key } })));
      }
    });
  }

  private async batchWrite(requests: NonNullable<BatchWriteRequests>): Promise<void> {
    let pending: BatchWriteRequests = requests;
    for (let attempt = 0; pending?.length; attempt++) {
      if (attempt > 0) {
        if (attempt > MAX_BATCH_RETRIES) throw new DependencyUnavailable('DynamoDB');
        await sleep(Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random()));
      }
      try {
        const out: BatchWriteCommandOutput = await this.ddb.send(
          new BatchWriteCommand({ RequestItems: { [this.dataTable]: pending } }),
        );
        pending = out.UnprocessedItems?.[this.dataTable];
      } catch (e) {
        throw translateAwsError('DynamoDB', e);
      }
    }
  }

  /** Counts one shard's vertices and edges without reading them out (`Select: COUNT`). */
  async countShard(graphId: string, generation: number, shard: number): Promise<ShardCounts> {
    const count = async (prefix: 'V#' | 'E#') => {
      let total = 0;
      const pages = this.shardPages(graphId, generation, shard, {
        Select: 'COUNT',
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': shardKey(graphId, generation, shard), ':prefix': prefix },
      });
      for await (const page of pages) total += page.Count ?? 0;
      return total;
    };
    const [vertices, edges] = await Promise.all([count('V#'), count('E#')]);
    return { vertices, edges };
  }

  /** Counts one shard's vertices and edges by label, reading only the kind and label of each. */
  async labelCounts(graphId: string, generation: number, shard: number): Promise<LabelCounts> {
    const counts: LabelCounts = { vertex: {}, edge: {} };
    for await (const page of this.shardPages(graphId, generation, shard, { ProjectionExpression: 'k, l' })) {
      for (const item of page.Items ?? []) {
        const byLabel = item.k === 'V' ? counts.vertex : counts.edge;
        byLabel[item.l] = (byLabel[item.l] ?? 0) + 1;
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
    const out = await this.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': shardKey(graphId, generation, shard) },
      ExclusiveStartKey: startKey,
      ...(limit && { Limit: limit }),
    });
    return {
      items: (out.Items ?? []) as DataItem[],
      resumeKey: out.LastEvaluatedKey as ResumeKey | undefined,
    };
  }

  /** BatchWriteItem's 25 requests at a time, at a bounded concurrency. */
  private async writeAll(requests: NonNullable<BatchWriteRequests>): Promise<void> {
    const batches: NonNullable<BatchWriteRequests>[] = [];
    for (let i = 0; i < requests.length; i += 25) batches.push(requests.slice(i, i + 25));
    await mapLimit(batches, LOAD_CONCURRENCY, (batch) => this.batchWrite(batch));
  }

  /** Every page of a query on one shard's partition (the whole of it unless `input` narrows it). */
  private async *shardPages(
    graphId: string,
    generation: number,
    shard: number,
    input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>,
  ) {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.query({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': shardKey(graphId, generation, shard) },
        ...input,
        ExclusiveStartKey: start,
      });
      yield out;
      start = out.LastEvaluatedKey;
    } while (start);
  }

  private async query(input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>) {
    try {
      return await this.ddb.send(new QueryCommand({ TableName: this.dataTable, ...input }));
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
  }
}
