import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyUnavailable, isTransactionConflict } from '../core/errors.js';
import {
  type Action,
  type Condition,
  type Item,
  indexKeys,
  type Key,
  type Outcome,
  type Page,
  type Query,
  type Store,
  type Table,
  type Update,
} from '../core/store.js';
import { translateAwsError } from './aws-errors.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];

const CONFLICT_ATTEMPTS = 4;
const BATCH_CONCURRENCY = 8;
const MAX_BATCH_RETRIES = 8;

/** Names and values of one expression-building pass: `#n0`, `:v0`, ... */
class Expressions {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private n = 0;
  private v = 0;

  name(attribute: string): string {
    const placeholder = `#n${this.n++}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${this.v++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** `map.entry` is one entry of a map attribute (the part after the first dot names it). */
  path(key: string): string {
    const dot = key.indexOf('.');
    return dot < 0 ? this.name(key) : `${this.name(key.slice(0, dot))}.${this.name(key.slice(dot + 1))}`;
  }

  condition(c: Condition): string {
    if ('exists' in c) return `attribute_exists(${this.path(c.exists)})`;
    if ('absent' in c) return `attribute_not_exists(${this.path(c.absent)})`;
    if ('eq' in c) return `${this.path(c.eq[0])} = ${this.value(c.eq[1])}`;
    if ('ne' in c) return `${this.path(c.ne[0])} <> ${this.value(c.ne[1])}`;
    if ('lt' in c) return `${this.path(c.lt[0])} < ${this.value(c.lt[1])}`;
    if ('le' in c) return `${this.path(c.le[0])} <= ${this.value(c.le[1])}`;
    if ('in' in c) return `${this.path(c.in[0])} IN (${c.in[1].map((v) => this.value(v)).join(', ')})`;
    if ('and' in c) return `(${c.and.map((x) => this.condition(x)).join(' AND ')})`;
    return `(${c.or.map((x) => this.condition(x)).join(' OR ')})`;
  }

  update(u: Update): string {
    const path = (key: string) => this.path(key);
    const clauses: string[] = [];
    const set = Object.entries(u.set ?? {}).filter(([, v]) => v !== undefined);
    if (set.length) clauses.push(`SET ${set.map(([k, v]) => `${path(k)} = ${this.value(v)}`).join(', ')}`);
    const add = Object.entries(u.add ?? {});
    if (add.length) clauses.push(`ADD ${add.map(([k, v]) => `${path(k)} ${this.value(v)}`).join(', ')}`);
    if (u.remove?.length) clauses.push(`REMOVE ${u.remove.map(path).join(', ')}`);
    return clauses.join(' ');
  }

  /** The names and values, as the SDK wants them: absent when empty. */
  parts() {
    return {
      ...(Object.keys(this.names).length && { ExpressionAttributeNames: this.names }),
      ...(Object.keys(this.values).length && { ExpressionAttributeValues: this.values }),
    };
  }
}

/**
 * The store on DynamoDB: the one place that knows TransactWriteItems, expressions, cancellation
 * reasons, conflict retries and the SDK's errors. `tables` maps the port's tables to their names.
 */
export class DynamoStore implements Store {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tables: Record<Table, string>,
  ) {}

  async transact(actions: Action[]): Promise<Outcome> {
    const items = actions.map((a) => this.transactItem(a));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ddb.send(new TransactWriteCommand({ TransactItems: items }));
        return { ok: true };
      } catch (e) {
        if (e instanceof TransactionCanceledException) {
          const reasons = e.CancellationReasons ?? [];
          // DynamoDB gives one reason per action, in the order sent: name them.
          const refused = reasons.flatMap((r, i) =>
            r.Code === 'ConditionalCheckFailed'
              ? [{ name: actions[i]?.name ?? `#${i}`, item: r.Item ? unmarshall(r.Item) : undefined }]
              : [],
          );
          if (refused.length) return { ok: false, refused };
        }
        // Another transaction held one of the items: try again shortly, as DynamoDB advises.
        if (isTransactionConflict(e) && attempt < CONFLICT_ATTEMPTS) {
          await sleep(20 * 2 ** attempt * (0.5 + Math.random()));
          continue;
        }
        throw translateAwsError('DynamoDB', e);
      }
    }
  }

  async apply(action: Action): Promise<Outcome> {
    const refused = (item?: Record<string, unknown>): Outcome => ({
      ok: false,
      refused: [{ name: action.name, item: item ? unmarshall(item as never) : undefined }],
    });
    const { Update, Put, Delete, ConditionCheck } = this.transactItem(action);
    try {
      if (Put)
        await this.ddb.send(new PutCommand({ ...Put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
      else if (Update)
        await this.ddb.send(new UpdateCommand({ ...Update, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
      else if (Delete)
        await this.ddb.send(new DeleteCommand({ ...Delete, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
      else if (ConditionCheck) return this.transact([action]);
      return { ok: true };
    } catch (e) {
      if (isConditionFailure(e)) return refused((e as { Item?: Record<string, unknown> }).Item);
      throw translateAwsError('DynamoDB', e);
    }
  }

  async updateReturning(action: Extract<Action, { update: Key }>): Promise<Item | undefined> {
    const { Update } = this.transactItem(action);
    try {
      const update = Update as NonNullable<TransactItem['Update']>;
      const out = await this.ddb.send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }));
      return out.Attributes ?? {};
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw translateAwsError('DynamoDB', e);
    }
  }

  async get(table: Table, key: Key): Promise<Item | undefined> {
    try {
      const out = await this.ddb.send(
        new GetCommand({ TableName: this.tables[table], Key: key, ConsistentRead: true }),
      );
      return out.Item;
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
  }

  async query(query: Query): Promise<Page> {
    const x = new Expressions();
    const keys = indexKeys(query.index);
    let keyCondition = `${x.name(keys.pk)} = ${x.value(query.pk)}`;
    const range = query.range;
    if (range) {
      const sk = x.name(keys.sk);
      if ('beginsWith' in range) keyCondition += ` AND begins_with(${sk}, ${x.value(range.beginsWith)})`;
      else if ('between' in range)
        keyCondition += ` AND ${sk} BETWEEN ${x.value(range.between[0])} AND ${x.value(range.between[1])}`;
      else if ('below' in range) keyCondition += ` AND ${sk} < ${x.value(range.below)}`;
      else keyCondition += ` AND ${sk} <= ${x.value(range.upTo)}`;
    }
    const projection = query.attributes?.map((a) => x.name(a)).join(', ');
    try {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.tables[query.table],
          ...(query.index && { IndexName: query.index }),
          KeyConditionExpression: keyCondition,
          ...x.parts(),
          ...(projection && !query.count && { ProjectionExpression: projection }),
          ...(query.count && { Select: 'COUNT' }),
          ...(query.forward === false && { ScanIndexForward: false }),
          ...(query.limit && { Limit: query.limit }),
          ExclusiveStartKey: query.startKey,
        }),
      );
      return { items: out.Items ?? [], count: out.Count ?? 0, nextKey: out.LastEvaluatedKey };
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
  }

  async writeMany(table: Table, writes: { put: Item[]; delete: Key[] }): Promise<void> {
    const requests: WriteRequests = [
      ...writes.put.map((Item) => ({ PutRequest: { Item } })),
      ...writes.delete.map((Key) => ({ DeleteRequest: { Key } })),
    ];
    const batches: WriteRequests[] = [];
    for (let i = 0; i < requests.length; i += 25) batches.push(requests.slice(i, i + 25));
    let next = 0;
    const worker = async () => {
      while (next < batches.length)
        await this.batchWrite(this.tables[table], batches[next++] as WriteRequests);
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, batches.length) }, worker));
  }

  /** One BatchWriteItem; what DynamoDB leaves unprocessed is retried with backoff. */
  private async batchWrite(tableName: string, requests: WriteRequests): Promise<void> {
    let pending: WriteRequests | undefined = requests;
    for (let attempt = 0; pending?.length; attempt++) {
      if (attempt > 0) {
        if (attempt > MAX_BATCH_RETRIES) throw new DependencyUnavailable('DynamoDB');
        await sleep(Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random()));
      }
      try {
        const out: BatchWriteCommandOutput = await this.ddb.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: pending } }),
        );
        pending = out.UnprocessedItems?.[tableName];
      } catch (e) {
        throw translateAwsError('DynamoDB', e);
      }
    }
  }

  /** The TransactWriteItems entry of an action (public for the benchmark's raw baseline). */
  transactItem(action: Action): TransactItem {
    const x = new Expressions();
    const TableName = this.tables[action.table];
    const condition = action.if && x.condition(action.if);
    const withCondition = () => ({
      ...(condition && { ConditionExpression: condition }),
      ...x.parts(),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    });
    if ('put' in action) return { Put: { TableName, Item: action.put, ...withCondition() } };
    if ('delete' in action) return { Delete: { TableName, Key: action.delete, ...withCondition() } };
    if ('check' in action) {
      return {
        ConditionCheck: {
          TableName,
          Key: action.check,
          ConditionExpression: condition as string,
          ...x.parts(),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      };
    }
    const UpdateExpression = x.update(action.change);
    return { Update: { TableName, Key: action.update, UpdateExpression, ...withCondition() } };
  }
}

const isConditionFailure = (e: unknown): boolean =>
  e instanceof Error && e.name === 'ConditionalCheckFailedException';
