import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config.js';

/**
 * Every AWS client is built here. Endpoints are not configured in code: the SDK reads
 * `AWS_ENDPOINT_URL` and its per-service twins (`AWS_ENDPOINT_URL_DYNAMODB`, `_SQS`, `_S3`) itself,
 * so the same bundle talks to AWS, LocalStack or the embedded emulators.
 */
export type AwsClients = {
  ddb: DynamoDBDocumentClient;
  sqs: SQSClient;
  s3: S3Client;
  events: EventBridgeClient;
};

export function createAwsClients(config: Config): AwsClients {
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    ddb,
    sqs: new SQSClient({}),
    s3: new S3Client({ forcePathStyle: config.s3ForcePathStyle }),
    events: new EventBridgeClient({}),
  };
}
