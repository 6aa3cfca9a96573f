import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { LOCAL_AWS } from '../../local/emulators.js';

/**
 * The SDK clients the tests read the stores with, around the API. On the local stack: its emulators'
 * endpoints and dummy credentials. On a deployed stage (BASE_URL): the SDK's own endpoint and
 * credentials resolution (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID..., AWS_REGION), as the functions do.
 */
function config(endpoint: string) {
  if (inject('localStack')) return { endpoint, ...LOCAL_AWS };
  return { region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1' };
}

export const s3Client = () => new S3Client({ ...config(inject('endpoints').s3), forcePathStyle: true });
export const dynamoClient = () => new DynamoDBClient(config(inject('endpoints').dynamodb));

/** A bucket name the stage's transfer pattern allows: its `*` filled with `fill`. */
export const transferBucket = (fill: string) => inject('transferBuckets').replaceAll('*', fill);
