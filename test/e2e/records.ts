import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { dynamoClient, s3Client } from './aws.js';
import type { Service } from './service.js';

type Item = Record<string, unknown>;

/** What the stack holds, read around the API: DynamoDB and S3 as the stage has them (test/e2e/aws.ts). */
export function storeReader(tables: Service['tables']) {
  const ddb = DynamoDBDocumentClient.from(dynamoClient());
  const s3 = s3Client();
  const bucket = inject('backupBucket');

  async function scan(table: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await ddb.send(
        new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async function objects(prefix: string) {
    const found: { key: string; size: number; etag: string }[] = [];
    let token: string | undefined;
    do {
      const out = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of out.Contents ?? [])
        found.push({ key: o.Key ?? '', size: o.Size ?? 0, etag: o.ETag ?? '' });
      token = out.NextContinuationToken;
    } while (token);
    return found;
  }

  return {
    ddb,
    /** Every record of the control table under one project's partition. */
    async projectItems(projectId: string): Promise<Item[]> {
      const items: Item[] = [];
      let start: Item | undefined;
      do {
        const out = await ddb.send(
          new QueryCommand({
            TableName: tables.control,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `PROJECT#${projectId}` },
            ExclusiveStartKey: start,
            ConsistentRead: true,
          }),
        );
        items.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } while (start);
      return items;
    },

    /**
     * Every record the given projects own, in a canonical order: their control-table partitions, every
     * item of their graphs' data (any generation, any shard) and every object under their S3 prefixes.
     * Also the size of both tables, whoever owns the records, and the partition keys of the control
     * table (to tell a record written under a project that should not exist).
     */
    async snapshot(projectIds: string[]) {
      const [control, graph] = await Promise.all([scan(tables.control), scan(tables.graph)]);
      const pks = new Set(projectIds.map((p) => `PROJECT#${p}`));
      const ownControl = control.filter((i) => pks.has(String(i.pk)));
      const graphIds = new Set(
        ownControl
          .filter((i) => String(i.sk).startsWith('GRAPH#'))
          .map((i) => String(i.sk).slice('GRAPH#'.length)),
      );
      const ownGraph = graph.filter((i) => graphIds.has(String(i.pk).split('#')[0] ?? ''));
      const files = (await Promise.all(projectIds.map((p) => objects(`${p}/`)))).flat();
      const canonical = (items: Item[]) => items.map(stableJson).sort();
      return {
        control: canonical(ownControl),
        graph: canonical(ownGraph),
        files: files.map((f) => `${f.key} ${f.size} ${f.etag}`).sort(),
        tableSizes: { control: control.length, graph: graph.length },
        controlPartitions: new Set(control.map((i) => String(i.pk))),
      };
    },
  };
}

/** JSON with every object's keys sorted, so that equal records print equal. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value instanceof Set) return `set(${[...value].map(stableJson).sort().join(',')})`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

type Snapshot = { control: string[]; graph: string[]; files: string[] };

/**
 * What changed between two snapshots, one line per kind of record (`control: 2 added, 1 removed,
 * e.g. + {...}`); empty when nothing did. Short on purpose: a test failure should say what, not dump all.
 */
export function changes(before: Snapshot, after: Snapshot): string[] {
  const lines: string[] = [];
  for (const kind of ['control', 'graph', 'files'] as const) {
    const was = new Set(before[kind]);
    const is = new Set(after[kind]);
    const added = after[kind].filter((r) => !was.has(r));
    const removed = before[kind].filter((r) => !is.has(r));
    if (!added.length && !removed.length) continue;
    const example = added.length ? `+ ${added[0]}` : `- ${removed[0]}`;
    lines.push(`${kind}: ${added.length} added, ${removed.length} removed, e.g. ${example?.slice(0, 300)}`);
  }
  return lines;
}
