// TEMPORARY: stands in for functions/* until they exist. Delete before commit.
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';

const sqs = new SQSClient({});
const ddb = new DynamoDBClient({});

export const handler = async (event: APIGatewayProxyEventV2 | SQSEvent) => {
  if ('Records' in event) {
    console.log('worker got', event.Records.map((r) => [r.messageId, r.body, r.attributes.ApproximateReceiveCount]));
    const fail = event.Records.filter((r) => r.body.includes('fail')).map((r) => ({ itemIdentifier: r.messageId }));
    if (event.Records.some((r) => r.body.includes('throw'))) throw new Error('boom');
    return { batchItemFailures: fail };
  }
  const tables = await ddb.send(new ListTablesCommand({}));
  if (event.requestContext.http.method === 'POST') {
    await sqs.send(new SendMessageCommand({ QueueUrl: process.env.JOB_QUEUE_URL, MessageBody: event.body ?? '{}' }));
  }
  return {
    statusCode: 200,
    body: JSON.stringify({ routeKey: event.routeKey, pathParameters: event.pathParameters, tables: tables.TableNames, env: { q: process.env.JOB_QUEUE_URL, t: process.env.CONTROL_TABLE, b: process.env.BACKUP_BUCKET, e: process.env.AWS_ENDPOINT_URL_DYNAMODB } }),
  };
};
