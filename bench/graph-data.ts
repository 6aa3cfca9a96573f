import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { type DataItem, shardKey, toItem } from '../lib/records/graphs/data-keys.js';
import type { GraphElement } from '../lib/records/graphs/model.js';

/**
 * Synthetic graphs for the benchmark: a quarter vertices, the rest edges (three per vertex, as in a
 * sparse social graph), with a few short properties each, some non-ASCII. Deterministic, so every
 * size and every run holds the same records, and generated lazily: a million elements never sit in
 * memory at once.
 */
export function* graphElements(size: number): Generator<GraphElement> {
  const vertices = Math.max(2, Math.round(size / 4));
  const labels = ['follows', 'rates', 'knows'];
  const cities = ['Zürich', 'Lisboa', '東京', 'Nairobi', 'Lima'];
  for (let i = 0; i < vertices; i++) {
    yield {
      vertex: `v${i}`,
      label: i % 5 === 0 ? 'movie' : 'user',
      properties: { name: [`name ${i}`], age: [String(18 + (i % 60))], city: [cities[i % 5] as string] },
    };
  }
  for (let j = 0; j < size - vertices; j++) {
    const source = j % vertices;
    const k = Math.floor(j / vertices);
    // (source, label, target) is unique for every j, so no edge overwrites another.
    yield {
      source: `v${source}`,
      target: `v${(source + 1 + k) % vertices}`,
      label: labels[k % labels.length] as string,
      properties: { since: [String(2000 + (j % 25))], weight: [((j % 100) / 100).toFixed(2)] },
    };
  }
}

/** The records of `graphElements(size)` as stored items of one graph generation. */
export function* graphItems(
  size: number,
  graph: { graphId: string; generation: number; shards: number },
): Generator<DataItem> {
  for (const e of graphElements(size)) yield toItem(graph.graphId, graph.generation, graph.shards, e);
}

type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];

/**
 * Raw BatchWriteItem of `items`, 25 a request, `concurrency` requests in flight, unprocessed items
 * retried with backoff: how the benchmark seeds a graph and the restore's baseline; with `'delete'`,
 * DeleteRequests of the items' keys, the drop's baseline.
 */
export async function batchWriteAll(
  ddb: DynamoDBDocumentClient,
  table: string,
  items: Iterator<DataItem>,
  concurrency: number,
  as: 'put' | 'delete' = 'put',
): Promise<number> {
  let written = 0;
  const nextBatch = (): WriteRequests => {
    const batch: WriteRequests = [];
    for (let r = items.next(); !r.done; r = items.next()) {
      batch.push(
        as === 'put'
          ? { PutRequest: { Item: r.value } }
          : { DeleteRequest: { Key: { pk: r.value.pk, sk: r.value.sk } } },
      );
      if (batch.length === 25) break;
    }
    return batch;
  };
  const worker = async () => {
    for (let batch = nextBatch(); batch.length; batch = nextBatch()) {
      let pending: WriteRequests | undefined = batch;
      for (let attempt = 0; pending?.length; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
        const out: BatchWriteCommandOutput = await ddb.send(
          new BatchWriteCommand({ RequestItems: { [table]: pending } }),
        );
        pending = out.UnprocessedItems?.[table];
      }
      written += batch.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return written;
}

/**
 * Raw Query of whole shard partitions, `concurrency` shards at a time, every page read and thrown
 * away: the snapshot's baseline (the least a backup must do is read every item once). `pageSize` is
 * the Limit of each page, the one the service reads with (QUERY_PAGE_SIZE): on DynamoDB Local a page
 * without a Limit takes time that grows with what is left of the partition, so a baseline without one
 * would measure that, not the service.
 */
export async function queryShards(
  ddb: DynamoDBDocumentClient,
  table: string,
  graph: { graphId: string; generation: number; shards: number },
  concurrency: number,
  pageSize?: number,
): Promise<number> {
  let items = 0;
  let next = 0;
  const worker = async () => {
    while (next < graph.shards) {
      const pk = shardKey(graph.graphId, graph.generation, next++);
      let start: Record<string, unknown> | undefined;
      do {
        const out: QueryCommandOutput = await ddb.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ...(pageSize && { Limit: pageSize }),
            ExclusiveStartKey: start,
          }),
        );
        items += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, graph.shards) }, worker));
  return items;
}

/** An item's size as DynamoDB counts it, near enough: attribute names plus values (UTF-8). */
export function itemBytes(item: DataItem): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += k.length + Buffer.byteLength(String(v), 'utf8');
  return n;
}
