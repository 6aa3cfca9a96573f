import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '../../local/emulators.js';
import { type Services, startServices } from '../../local/stack.js';
import { freePorts } from '../support/ports.js';

/** What `npm start` relies on: tables and objects in a data folder outlive a restart of the emulators. */
let dataDir = '';
let services: Services | undefined;
afterAll(async () => {
  await services?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function start(): Promise<Services> {
  const ports = await freePorts(['dynamoPort', 'fauxqsPort']);
  return startServices({ ...ports, dataDir });
}

const clients = (s: Services) => ({
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: s.endpoints.dynamodb, ...LOCAL_AWS })),
  s3: new S3Client({ endpoint: s.endpoints.s3, forcePathStyle: true, ...LOCAL_AWS }),
});

describe('a local stack with a data folder', () => {
  it('keeps table items and bucket objects (multipart ones included) across a restart; deletes stay deleted', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ges-local-data-'));
    services = await start();
    const table = services.env.CONTROL_TABLE as string;
    const bucket = services.env.BACKUP_BUCKET as string;
    let { ddb, s3 } = clients(services);
    await ddb.send(new PutCommand({ TableName: table, Item: { pk: 'P#kept', sk: 'G#1', name: 'movies' } }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'p/g/b/manifest.json', Body: '{"a":1}' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'p/g/b/gone.txt', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'p/g/b/gone.txt' }));
    const big = Buffer.alloc(6 * 1024 * 1024, 7);
    await new Upload({
      client: s3,
      params: { Bucket: bucket, Key: 'p/g/b/part.gz', Body: big },
      partSize: 5 * 1024 * 1024,
    }).done();
    const etag = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'p/g/b/part.gz' }))).ETag;
    expect(etag).toMatch(/-2"$/); // it was a multipart upload
    await services.stop();
    services = undefined;

    services = await start(); // the tables, queues and bucket exist already: creating them must not fail
    ({ ddb, s3 } = clients(services));
    const item = await ddb.send(new GetCommand({ TableName: table, Key: { pk: 'P#kept', sk: 'G#1' } }));
    expect(item.Item?.name).toBe('movies');
    const manifest = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'p/g/b/manifest.json' }));
    expect(await manifest.Body?.transformToString()).toBe('{"a":1}');
    const part = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'p/g/b/part.gz' }));
    expect(part.ETag).toBe(etag);
    expect(Buffer.from((await part.Body?.transformToByteArray()) ?? []).equals(big)).toBe(true);
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'p/g/b/gone.txt' }))).rejects.toThrow();
  });
});
