import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { jobMessageSchema } from '../core/ports.js';
import type { Deps } from './deps.js';
import { Heartbeat } from './heartbeat.js';
import { runJob } from './run-job.js';
import type { JobTasks } from './task.js';

/**
 * The SQS worker with partial batch responses: one record that fails is retried alone. A malformed
 * message throws, so SQS redrives it to the DLQ after maxReceiveCount; retryable faults throw too
 * (see runJob); business failures end the job and return normally. A heartbeat keeps every message
 * of the batch, and the job each one took, alive until the invocation returns.
 */
export function jobWorker(deps: Deps, tasks: JobTasks) {
  const processRecord = async (record: SQSRecord, heartbeat: Heartbeat) => {
    const message = jobMessageSchema.parse(JSON.parse(record.body));
    const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
    const requestId = record.messageAttributes.requestId?.stringValue;
    try {
      const lease = heartbeat.lease(record.receiptHandle);
      const outcome = await runJob(deps, tasks, message, { attempt, requestId, lease });
      deps.log.info('delivery done', { jobId: message.jobId, requestId, outcome, attempt });
    } finally {
      heartbeat.ended(record.receiptHandle);
    }
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(deps.log, { resetKeys: true }))
    .handler(async (event, context) => {
      const heartbeat = new Heartbeat(deps, () => context.getRemainingTimeInMillis());
      await heartbeat.start(event.Records.map((r) => r.receiptHandle));
      // A processor per invocation: it holds the batch's state (one invocation at a time on Lambda,
      // several at once where a local poller runs them in one process).
      const processor = new BatchProcessor(EventType.SQS);
      try {
        return await processPartialResponse(
          event,
          (record: SQSRecord) => processRecord(record, heartbeat),
          processor,
          { context, throwOnFullBatchFailure: false },
        );
      } finally {
        await heartbeat.stop();
      }
    });
}
