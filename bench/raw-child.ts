import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toItem } from '../lib/records/graphs/data-keys.js';
import { batchWriteAll, graphElements } from './graph-data.js';

/**
 * One process of a spread raw baseline (bench/data.ts `spreadWrites`): the share `part` of `parts`
 * of a graph's items (every `parts`th item), written or deleted with raw BatchWriteItem,
 * `concurrency` requests in flight, as one worker instance's task keeps its own in flight.
 *
 * Protocol (IPC): the child sends `{ ready: true }`, waits for `'go'`, answers `{ written }` and exits.
 */
export type RawShare = {
  table: string;
  graph: { graphId: string; generation: number; shards: number };
  size: number;
  part: number;
  parts: number;
  concurrency: number;
  as: 'put' | 'delete';
};

/** This process's share of the graph's items: skipped elements are never made items. */
function* share(s: RawShare) {
  let i = 0;
  for (const e of graphElements(s.size)) {
    if (i++ % s.parts === s.part) yield toItem(s.graph.graphId, s.graph.generation, s.graph.shards, e);
  }
}

async function main() {
  const s = JSON.parse(process.env.BENCH_RAW_SHARE ?? 'null') as RawShare | null;
  if (!s || !process.send) throw new Error('fork this with BENCH_RAW_SHARE set and an IPC channel');
  const client = new DynamoDBClient({});
  const ddb = DynamoDBDocumentClient.from(client);
  const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
  process.send({ ready: true });
  await go;
  const written = await batchWriteAll(ddb, s.table, share(s), s.concurrency, s.as);
  await new Promise<void>((resolve) => process.send?.({ written }, () => resolve()));
  client.destroy();
  process.disconnect();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
