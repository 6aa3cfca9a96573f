import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { LOCAL_AWS } from './emulators.js';

/**
 * Creates the emulators' tables, queues and bucket from the CloudFormation that serverless.yml
 * deploys, as `osls print` resolves it for the local stage: one definition, so local and cloud
 * cannot drift apart. Only what an emulator can honour is translated (keys, indexes, TTL, queue
 * attributes, redrive); encryption, PITR, public access blocks and alarms are AWS's business.
 */

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The logical id of the queue the worker consumes: the contract between serverless.yml and here. */
const JOB_QUEUE = 'JobQueue';

type CfnResource = { Type: string; Properties?: Record<string, unknown> };
type RedrivePolicy = { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
type SqsEvent = { sqs: { arn: unknown; batchSize?: number } };
type FunctionDefinition = {
  handler: string;
  name: string;
  timeout?: number;
  memorySize?: number;
  environment?: Record<string, unknown>;
  events?: unknown[];
};

/** The parts of the resolved serverless.yml that the local stack reads. */
export type ServiceDefinition = {
  provider: { region: string; timeout?: number; memorySize?: number; environment?: Record<string, unknown> };
  functions: Record<string, FunctionDefinition>;
  resources: { Resources: Record<string, CfnResource> };
};

export type Endpoints = { dynamodb: string; sqs: string; s3: string };

export type QueueInfo = { url: string; arn: string };
type CreatedQueue = QueueInfo & { attributes: Record<string, string> };

export type LocalResources = {
  /** The environment the functions get on the local stage, with the emulators' names and URLs. */
  env: Record<string, string>;
  jobQueue: QueueInfo & { visibilityTimeoutSeconds: number; maxReceiveCount: number };
  deadLetterQueue: QueueInfo;
  /** The function that serverless.yml subscribes to the job queue, as Lambda would run it. */
  worker: { name: string; handler: string; timeoutSeconds: number; memorySize: number; batchSize: number };
};

/** `osls print` resolves every variable exactly as a deploy would (about 3 s). */
export async function readServiceDefinition(stage = 'local'): Promise<ServiceDefinition> {
  const osls = `${PROJECT_ROOT}node_modules/.bin/osls`;
  const { stdout } = await promisify(execFile)(osls, ['print', '--stage', stage, '--format', 'json'], {
    cwd: PROJECT_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as ServiceDefinition;
}

/** Idempotent: resources that already exist are kept (a queue gets the attributes asked for). */
export async function createLocalResources(
  definition: ServiceDefinition,
  endpoints: Endpoints,
  options: { visibilityTimeoutSeconds?: number } = {},
): Promise<LocalResources> {
  const resources = Object.entries(definition.resources.Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);

  const dynamodb = new DynamoDBClient({ endpoint: endpoints.dynamodb, ...LOCAL_AWS });
  const sqs = new SQSClient({ endpoint: endpoints.sqs, ...LOCAL_AWS });
  const s3 = new S3Client({ endpoint: endpoints.s3, forcePathStyle: true, ...LOCAL_AWS });
  try {
    const queueOverrides = { [JOB_QUEUE]: overrides(options) };
    await Promise.all([
      ...ofType('AWS::DynamoDB::Table').map(([, r]) => createTable(dynamodb, props(r))),
      ...ofType('AWS::S3::Bucket').map(([, r]) => createBucket(s3, props(r))),
    ]);
    const queues = await createQueues(sqs, ofType('AWS::SQS::Queue'), queueOverrides);
    return describe(definition, queues);
  } finally {
    dynamodb.destroy();
    sqs.destroy();
    s3.destroy();
  }
}

function overrides({ visibilityTimeoutSeconds }: { visibilityTimeoutSeconds?: number }) {
  const queue: Record<string, number> = {};
  if (visibilityTimeoutSeconds !== undefined) queue.VisibilityTimeout = visibilityTimeoutSeconds;
  return queue;
}

const props = (resource: CfnResource) => resource.Properties ?? {};

async function createTable(client: DynamoDBClient, p: Record<string, unknown>): Promise<void> {
  const input = {
    TableName: p.TableName,
    BillingMode: p.BillingMode,
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
    LocalSecondaryIndexes: p.LocalSecondaryIndexes,
  } as CreateTableCommandInput;
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    if (error instanceof ResourceInUseException) return; // exists, TTL already set when it was made
    throw error;
  }
  const ttl = p.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
  if (ttl?.Enabled) {
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: input.TableName, TimeToLiveSpecification: ttl }),
    );
  }
}

async function createBucket(client: S3Client, p: Record<string, unknown>): Promise<void> {
  const Bucket = requireString(p.BucketName, 'BucketName');
  try {
    await client.send(new CreateBucketCommand({ Bucket }));
  } catch (error) {
    if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
  }
}

/** Dead-letter queues first, so that a redrive policy can name their ARN. */
async function createQueues(
  client: SQSClient,
  queues: [string, CfnResource][],
  overridesById: Record<string, Record<string, number>>,
): Promise<Map<string, CreatedQueue>> {
  const created = new Map<string, CreatedQueue>();
  const hasRedrive = ([, r]: [string, CfnResource]) => props(r).RedrivePolicy !== undefined;
  const ordered = [...queues.filter((q) => !hasRedrive(q)), ...queues.filter(hasRedrive)];
  for (const [id, resource] of ordered) {
    const properties = { ...props(resource), ...overridesById[id] };
    const name = requireString(properties.QueueName, `${id}.QueueName`);
    created.set(id, await createQueue(client, name, toQueueAttributes(properties, created, id)));
  }
  return created;
}

/** Returns the queue as the emulator has it, attributes included. */
async function createQueue(
  client: SQSClient,
  QueueName: string,
  Attributes: Record<string, string>,
): Promise<CreatedQueue> {
  const existing = await existingQueueUrl(client, QueueName);
  if (existing) await client.send(new SetQueueAttributesCommand({ QueueUrl: existing, Attributes }));
  const url = existing ?? (await client.send(new CreateQueueCommand({ QueueName, Attributes }))).QueueUrl;
  const { Attributes: got = {} } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
  );
  return {
    url: requireString(url, 'QueueUrl'),
    arn: requireString(got.QueueArn, 'QueueArn'),
    attributes: got,
  };
}

async function existingQueueUrl(client: SQSClient, QueueName: string): Promise<string | undefined> {
  try {
    return (await client.send(new GetQueueUrlCommand({ QueueName }))).QueueUrl;
  } catch (error) {
    if (error instanceof QueueDoesNotExist) return undefined;
    throw error;
  }
}

/** The CloudFormation properties that are also SQS attributes (encryption is AWS's business). */
const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
];

/** SQS wants every attribute value as a string, a redrive policy as JSON. */
function toQueueAttributes(
  properties: Record<string, unknown>,
  queues: Map<string, CreatedQueue>,
  id: string,
): Record<string, string> {
  const attributes = QUEUE_ATTRIBUTES.filter((name) => properties[name] !== undefined).map((name) => {
    const value = resolveIntrinsics(properties[name], queues, `${id}.${name}`);
    return [name, typeof value === 'object' ? JSON.stringify(value) : String(value)];
  });
  return Object.fromEntries(attributes);
}

/** The one intrinsic the local stage needs: `Fn::GetAtt [Queue, Arn]` (the DLQ in a redrive policy). */
function resolveIntrinsics(value: unknown, queues: Map<string, CreatedQueue>, where: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, queues, where));
  if (value === null || typeof value !== 'object') return value;
  const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && queues.has(String(getAtt[0]))) {
    return queues.get(String(getAtt[0]))?.arn;
  }
  const unresolved = Object.keys(value).find((k) => k === 'Ref' || k.startsWith('Fn::'));
  if (unresolved) {
    throw new Error(`${where}: cannot resolve ${JSON.stringify(value)} locally; use a plain value there`);
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, resolveIntrinsics(v, queues, `${where}.${k}`)]),
  );
}

/** The functions' environment and the worker's event source, now that the queue URLs are known. */
function describe(definition: ServiceDefinition, queues: Map<string, CreatedQueue>): LocalResources {
  const jobQueue = queues.get(JOB_QUEUE);
  if (!jobQueue) throw new Error(`serverless.yml must define the ${JOB_QUEUE} queue`);
  const redrive = JSON.parse(jobQueue.attributes.RedrivePolicy ?? '{}') as RedrivePolicy;
  const dlq = [...queues.values()].find((q) => q.arn === redrive.deadLetterTargetArn);
  if (!dlq) throw new Error(`${JOB_QUEUE} must have a RedrivePolicy naming its dead-letter queue`);
  const [workerKey, worker] = findWorker(definition);
  return {
    env: {
      ...stringValues(definition.provider.environment, 'provider.environment'),
      ...stringValues(worker.environment, `functions.${workerKey}.environment`),
      JOB_QUEUE_URL: jobQueue.url,
      JOB_DLQ_URL: dlq.url,
    },
    jobQueue: {
      url: jobQueue.url,
      arn: jobQueue.arn,
      visibilityTimeoutSeconds: Number(jobQueue.attributes.VisibilityTimeout),
      maxReceiveCount: Number(redrive.maxReceiveCount),
    },
    deadLetterQueue: { url: dlq.url, arn: dlq.arn },
    worker: {
      name: worker.name,
      handler: worker.handler,
      timeoutSeconds: worker.timeout ?? definition.provider.timeout ?? 6,
      memorySize: worker.memorySize ?? definition.provider.memorySize ?? 1024,
      batchSize: sqsEventOf(worker)?.sqs.batchSize ?? 10,
    },
  };
}

function findWorker(definition: ServiceDefinition): [string, FunctionDefinition] {
  const found = Object.entries(definition.functions).find(([, f]) => {
    const arn = sqsEventOf(f)?.sqs.arn as Record<string, unknown[]> | undefined;
    return arn?.['Fn::GetAtt']?.[0] === JOB_QUEUE;
  });
  if (!found) throw new Error(`serverless.yml has no function with an sqs event on ${JOB_QUEUE}`);
  return found;
}

const sqsEventOf = (f: FunctionDefinition) =>
  f.events?.find((e): e is SqsEvent => typeof e === 'object' && e !== null && 'sqs' in e);

/** JOB_QUEUE_URL is empty here (the stack passes it in); any other CloudFormation value is a mistake. */
function stringValues(env: Record<string, unknown> | undefined, where: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env ?? {}).map(([k, v]) => {
      if (typeof v === 'object') throw new Error(`${where}.${k} must be a plain value on the local stage`);
      return [k, String(v)];
    }),
  );
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${what} is missing`);
  return value;
}
