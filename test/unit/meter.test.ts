import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { usageSoFar, withMeter } from '../../lib/composition/meter.js';
import { withRecorder } from '../../lib/composition/recorder.js';
import { testConfig } from '../support/memory-deps.js';

/** The benchmark's usage meter: added only when asked for; capacity asked of DynamoDB and summed. */

const config = testConfig;
const offline = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

/** A client that answers every call with `output` instead of sending it, and keeps the inputs it saw. */
function answering<C extends { middlewareStack: unknown }>(client: C, output: Record<string, unknown>) {
  const inputs: Record<string, unknown>[] = [];
  type Args = { input: Record<string, unknown> };
  const stack = client.middlewareStack as {
    add(
      m: () => (args: Args) => Promise<unknown>,
      o: { step: 'serialize'; name: string; priority: 'high' },
    ): void;
  };
  stack.add(
    () => async (args) => {
      inputs.push(args.input);
      return { output: { ...output, $metadata: {} }, response: {} };
    },
    { step: 'serialize', name: 'answerInstead', priority: 'high' },
  );
  return { client, inputs };
}

describe('the usage meter', () => {
  it('is not added without AWS_USAGE_METER=true', () => {
    const client = new DynamoDBClient({});
    const before = client.middlewareStack.identify();
    withRecorder(client, config({}));
    expect(client.middlewareStack.identify()).toEqual(before);
  });

  it('is added by withRecorder with AWS_USAGE_METER=true', () => {
    const client = new DynamoDBClient({});
    withRecorder(client, config({ AWS_USAGE_METER: 'true' }));
    expect(client.middlewareStack.identify().join()).toContain('meterAwsUsage');
  });

  it("asks DynamoDB for the capacity consumed and adds a read's units to reads, a transaction's to each side", async () => {
    const before = usageSoFar();
    const reads = answering(withMeter(new DynamoDBClient(offline)), {
      Items: [],
      ConsumedCapacity: { TableName: 'graph', CapacityUnits: 2.5 },
    });
    await DynamoDBDocumentClient.from(reads.client).send(
      new QueryCommand({
        TableName: 'graph',
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': 'a' },
      }),
    );
    const writes = answering(withMeter(new DynamoDBClient(offline)), {
      ConsumedCapacity: [
        { TableName: 'control', CapacityUnits: 6, ReadCapacityUnits: 2, WriteCapacityUnits: 4 },
      ],
    });
    await DynamoDBDocumentClient.from(writes.client).send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: 'control', Item: { pk: 'a', sk: 'b' } } }],
      }),
    );
    const after = usageSoFar();
    expect(reads.inputs[0]?.ReturnConsumedCapacity).toBe('TOTAL');
    expect(writes.inputs[0]?.ReturnConsumedCapacity).toBe('TOTAL');
    expect(after.dynamodb.readUnits - before.dynamodb.readUnits).toBe(4.5);
    expect(after.dynamodb.writeUnits - before.dynamodb.writeUnits).toBe(4);
    expect((after.requests['DynamoDB.Query'] ?? 0) - (before.requests['DynamoDB.Query'] ?? 0)).toBe(1);
    expect(
      (after.requests['DynamoDB.TransactWriteItems'] ?? 0) -
        (before.requests['DynamoDB.TransactWriteItems'] ?? 0),
    ).toBe(1);
  });

  it('counts the requests of other services by command, and asks them for nothing more', async () => {
    const before = usageSoFar();
    const s3 = answering(withMeter(new S3Client({ ...offline, forcePathStyle: true })), {});
    await s3.client.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'k' }));
    expect(s3.inputs[0]).not.toHaveProperty('ReturnConsumedCapacity');
    expect((usageSoFar().requests['S3.GetObject'] ?? 0) - (before.requests['S3.GetObject'] ?? 0)).toBe(1);
  });
});
