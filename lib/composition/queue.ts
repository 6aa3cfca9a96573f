import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsJobQueue } from '../adapters/sqs-job-queue.js';
import type { Config } from '../core/config.js';
import type { JobQueue } from '../core/ports.js';
import { withRecorder } from './recorder.js';

/** The job queue on SQS, for the Lambdas that start jobs. */
export const queueDeps = (config: Config): { queue: JobQueue } => ({
  queue: new SqsJobQueue(withRecorder(new SQSClient({}), config), config.jobQueueUrl),
});
