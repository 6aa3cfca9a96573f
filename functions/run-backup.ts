import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { runBackup } from '../lib/backups/run-backup.js';
import { createDeps } from '../lib/deps.js';
import { jobMessageSchema } from '../lib/jobs/job-queue.js';
import { logger } from '../lib/logger.js';

const deps = createDeps();
const processor = new BatchProcessor(EventType.SQS);

/**
 * One job message. A malformed message throws, so SQS redrives it to the DLQ after maxReceiveCount;
 * retryable faults throw too (see runBackup); business failures end the job and return normally.
 */
async function processRecord(record: SQSRecord) {
  const message = jobMessageSchema.parse(JSON.parse(record.body));
  const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
  const requestId = record.messageAttributes.requestId?.stringValue;
  const outcome = await runBackup(deps, message, { attempt, requestId });
  logger.info('delivery done', { jobId: message.jobId, requestId, outcome, attempt });
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event, context) =>
    processPartialResponse(event, processRecord, processor, { context, throwOnFullBatchFailure: false }),
  );
