import { randomBytes } from 'node:crypto';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { workerDeps } from '../../lib/composition/worker.js';
import { parseConfig } from '../../lib/core/config.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { jobWorker } from '../../lib/runtime/worker.js';
import { LOCAL_AWS } from '../../local/emulators.js';
import {
  createLocalResources,
  type Endpoints,
  type LocalResources,
  type ServiceDefinition,
} from '../../local/resources.js';
import { type Poller, type SqsHandler, startSqsPoller } from '../../local/sqs-poller.js';
import { scaledDown } from '../support/deployed-settings.js';

const NAME_PROPERTIES = ['TableName', 'QueueName', 'BucketName'];

/**
 * Gives every name serverless.yml defines a suffix, in the resources and wherever the functions'
 * environment repeats it, so that each test file has tables, queues and a bucket of its own.
 */
function withSuffix(definition: ServiceDefinition, suffix: string): ServiceDefinition {
  const renames = new Map<string, string>();
  for (const resource of Object.values(definition.resources.Resources)) {
    for (const key of NAME_PROPERTIES) {
      const name = resource.Properties?.[key];
      if (typeof name === 'string') renames.set(name, `${name}-${suffix}`);
    }
  }
  const rename = (value: unknown): unknown => {
    if (typeof value === 'string') return renames.get(value) ?? value;
    if (Array.isArray(value)) return value.map(rename);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rename(v)]));
    }
    return value;
  };
  return rename(definition) as ServiceDefinition;
}

export type IsolatedStack = {
  deps: Deps;
  /** What the service published, in order (EventBridge itself is not emulated here). */
  published: { detailType: string; detail: Record<string, unknown> }[];
  resources: LocalResources;
  sqs: SQSClient;
};

/**
 * Real tables, queues and a bucket on the emulators, for one test file, with the service's own
 * adapters pointed at them. `env` overrides the functions' configuration (short leases and so on).
 */
export async function isolatedStack(
  options: { visibilityTimeoutSeconds?: number; env?: Record<string, string>; endpoints?: Endpoints } = {},
): Promise<IsolatedStack> {
  const endpoints = options.endpoints ?? inject('endpoints');
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoints.dynamodb;
  process.env.AWS_ENDPOINT_URL_SQS = endpoints.sqs;
  process.env.AWS_ENDPOINT_URL_S3 = endpoints.s3;
  process.env.AWS_REGION = LOCAL_AWS.region;
  process.env.AWS_ACCESS_KEY_ID = LOCAL_AWS.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_AWS.credentials.secretAccessKey;

  const definition = withSuffix(inject('serviceDefinition'), randomBytes(4).toString('hex'));
  const resources = await createLocalResources(definition, endpoints, {
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 1,
  });
  const published: IsolatedStack['published'] = [];
  const deps: Deps = {
    // One task per backup unless a test asks for fan-out (fan-out.test.ts does, behind the real queue).
    ...workerDeps(parseConfig({ ...resources.env, SHARDS_PER_TASK: '256', ...options.env })),
    events: { publish: async (detailType, detail) => void published.push({ detailType, detail }) },
  };
  return { deps, published, resources, sqs: new SQSClient({ endpoint: endpoints.sqs, ...LOCAL_AWS }) };
}

/** Reads (and leaves in place) the messages now visible on a queue. */
export async function peekMessages(sqs: SQSClient, queueUrl: string) {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      VisibilityTimeout: 0,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return out.Messages ?? [];
}

/**
 * The worker behind this stack's real queue, as Lambda's event source runs it (local/sqs-poller.ts),
 * with the given deps. Stop it at the end of the test.
 */
export function startWorker(
  stack: IsolatedStack,
  deps: Deps = stack.deps,
  concurrency = 2,
  options: { timeoutSeconds?: number; batchSize?: number; around?: (handler: SqsHandler) => SqsHandler } = {},
): Poller {
  const handler = jobWorker(deps, jobTasks);
  return startSqsPoller({
    sqs: stack.sqs,
    queueUrl: stack.resources.jobQueue.url,
    queueArn: stack.resources.jobQueue.arn,
    region: LOCAL_AWS.region,
    handler: options.around ? options.around(handler) : handler,
    functionName: 'jobWorker',
    timeoutSeconds: options.timeoutSeconds ?? 30,
    batchSize: options.batchSize ?? 5,
    concurrency,
    waitTimeSeconds: 1,
    log: () => undefined,
  });
}

/** The AWS stage's delivery timings, `factor` times shorter (test/support/deployed-settings.ts). */
export const awsScaledDown = (factor: number) => scaledDown(inject('awsDelivery'), factor);
