import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { type RecordedCall, withRecorder } from '../../lib/composition/recorder.js';
import { testConfig } from '../support/memory-deps.js';

/** The call recorder: nothing without AWS_CALL_LOG; with it, each command and what it names. */

const log = join(tmpdir(), `ges-recorder-${process.pid}.jsonl`);
const config = testConfig;
// Nothing listens there: each call is recorded before it is sent, then fails at once.
const offline = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', maxAttempts: 1 };
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
afterEach(() => rm(log, { force: true }));

describe('withRecorder', () => {
  it('adds nothing to the client without AWS_CALL_LOG', () => {
    const client = new DynamoDBClient({});
    const before = client.middlewareStack.identify();
    expect(withRecorder(client, config({ AWS_LAMBDA_FUNCTION_NAME: 'graphs' }))).toBe(client);
    expect(client.middlewareStack.identify()).toEqual(before);
  });

  it('records the function, the command and each transaction item and deleted key', async () => {
    const c = config({ AWS_LAMBDA_FUNCTION_NAME: 'graphs', AWS_CALL_LOG: log });
    const ddb = DynamoDBDocumentClient.from(withRecorder(new DynamoDBClient({ ...offline, credentials }), c));
    await ddb
      .send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: 'control', Item: { pk: 'a', sk: 'b' } } },
            {
              ConditionCheck: {
                TableName: 'graph',
                Key: { pk: 'a', sk: 'b' },
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
          ],
        }),
      )
      .catch(() => undefined);
    const s3 = withRecorder(new S3Client({ ...offline, credentials, forcePathStyle: true }), c);
    await s3
      .send(new DeleteObjectsCommand({ Bucket: 'bucket', Delete: { Objects: [{ Key: 'p/g/b/part' }] } }))
      .catch(() => undefined);
    const calls = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RecordedCall);
    expect(calls).toEqual([
      {
        function: 'graphs',
        service: 'DynamoDB',
        command: 'TransactWriteItems',
        resources: { TransactItems: [{ Put: 'control' }, { ConditionCheck: 'graph' }] },
      },
      {
        function: 'graphs',
        service: 'S3',
        command: 'DeleteObjects',
        resources: { Bucket: 'bucket', Key: 'p/g/b/part' },
      },
    ]);
  });
});
