import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { jobMessageSchema } from '../core/ports.js';
import type { Deps } from './deps.js';
import { runJob } from './run-job.js';
import type { JobTasks } from './task.js';

/**
 * The SQS worker with partial batch responses: one record that fails is retried alone. A malformed
 * message throws, so SQS redrives it to the DLQ after maxReceiveCount; retryable faults throw too
 * (see runJob); business failures end the job and return normally.
 */
export function jobWorker(deps: Deps, tasks: JobTasks) {
  const processor = new BatchProcessor(EventType.SQS);
  const processRecord = async (record: SQSRecord) => {
    const message = jobMessageSchema.parse(JSON.parse(record.body));
    const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
    const requestId = record.messageAttributes.requestId?.stringValue;
    const outcome = await runJob(deps, tasks, message, { attempt, requestId });
    deps.log.info('delivery done', { jobId: message.jobId, requestId, outcome, attempt });
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(deps.log, { resetKeys: true }))
    .handler(async (event, context) =>
      processPartialResponse(event, processRecord, processor, { context, throwOnFullBatchFailure: false }),
    );
}
