import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DependencyUnavailable } from '../../lib/core/errors.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import type { JobRecord } from '../../lib/records/jobs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import type { Poller } from '../../local/sqs-poller.js';
import { failingUploads, PROJECT, readBackup, seedGraph, socialGraph } from './fixtures.js';
import { type IsolatedStack, isolatedStack, peekMessages, startWorker } from './support.js';

/**
 * The worker behind the real queue, as Lambda's event source runs it: batches, partial batch
 * failures, redelivery after the visibility timeout (1 s here) and redrive to the DLQ.
 */
let stack: IsolatedStack;
let deps: Deps;
const pollers: Poller[] = [];
beforeAll(async () => {
  stack = await isolatedStack({ visibilityTimeoutSeconds: 1 });
  deps = stack.deps;
});
afterAll(async () => {
  await Promise.all(pollers.map((p) => p.stop()));
});

function runWorker(workerDeps: Deps) {
  const poller = startWorker(stack, workerDeps);
  pollers.push(poller);
  return poller;
}

/** Polls `read` until `done` holds of its value, or fails after `ms`. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${ms} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ended = (job: JobRecord | undefined) => job?.status === 'success' || job?.status === 'failed';

/** S3 that is unreachable for the first `failures` part uploads, then fine. */
const flakyBlobs = (failures: number) =>
  failingUploads(deps.blobs, (n) => (n <= failures ? new DependencyUnavailable('S3') : undefined));

describe('the worker behind the queue', () => {
  it('redrives a malformed message to the DLQ after maxReceiveCount deliveries, and runs the good one beside it', async () => {
    const poller = runWorker(deps);
    const { graphId } = await seedGraph(deps, socialGraph(10));
    await stack.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.resources.jobQueue.url, MessageBody: '{"kind":"nope"}' }),
    );
    const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });

    const dead = await eventually(
      () => peekMessages(stack.sqs, stack.resources.deadLetterQueue.url),
      (messages) => messages.length > 0,
    );

    expect(dead.map((m) => m.Body)).toEqual(['{"kind":"nope"}']);
    expect(Number(dead[0]?.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(
      stack.resources.jobQueue.maxReceiveCount,
    );
    expect(await eventually(() => deps.jobs.get(PROJECT, jobId), ended)).toMatchObject({ status: 'success' });
    expect(await readBackup(deps, { projectId: PROJECT, graphId, backupId })).toBeDefined();
    await poller.stop();
  });

  it('finishes a job on redelivery after a retryable fault', async () => {
    const poller = runWorker({ ...deps, blobs: flakyBlobs(1) });
    const { graphId } = await seedGraph(deps, socialGraph(10));

    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });

    const job = await eventually(() => deps.jobs.get(PROJECT, jobId), ended);
    expect(job).toMatchObject({ status: 'success', attempts: 2 });
    await poller.stop();
  });

  it('fails the job with a reason on the last delivery when the fault persists, and drops the message', async () => {
    const poller = runWorker({ ...deps, blobs: flakyBlobs(Number.POSITIVE_INFINITY) });
    const { graphId } = await seedGraph(deps, socialGraph(10));

    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });

    const job = await eventually(() => deps.jobs.get(PROJECT, jobId), ended);
    expect(job).toMatchObject({
      status: 'failed',
      errorCode: 'GES.7005',
      failReason: `S3 was unavailable after ${stack.resources.jobQueue.maxReceiveCount} attempts.`,
    });
    expect((await deps.graphs.get(PROJECT, graphId))?.status).toBe('200');
    await poller.idle();
    const leftovers = [
      ...(await peekMessages(stack.sqs, stack.resources.jobQueue.url)),
      ...(await peekMessages(stack.sqs, stack.resources.deadLetterQueue.url)),
    ].filter((m) => m.Body?.includes(jobId));
    expect(leftovers).toEqual([]);
    await poller.stop();
  });
});
