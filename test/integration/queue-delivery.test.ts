import { AsyncLocalStorage } from 'node:async_hooks';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { DependencyUnavailable } from '../../lib/core/errors.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import type { JobRecord } from '../../lib/records/jobs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { sweepOverdueJobs } from '../../lib/runtime/sweep.js';
import type { Poller, SqsHandler } from '../../local/sqs-poller.js';
import { recordFigure } from '../support/figures.js';
import { failingUploads, PROJECT, readBackup, seedGraph, socialGraph } from './fixtures.js';
import { awsScaledDown, type IsolatedStack, isolatedStack, peekMessages, startWorker } from './support.js';

/**
 * The worker behind the real queue, as Lambda's event source runs it (batches, partial batch
 * failures, redelivery, redrive to the DLQ), on the AWS stage's own delivery timings read from its
 * packaged CloudFormation, all `FACTOR` times shorter: the function's timeout, the task budget, the
 * lease and heartbeat, the retry backoff, the stall window, maxReceiveCount and the queue's own
 * visibility timeout. Minutes on AWS are seconds here; the ratios are the deployed ones.
 */
const FACTOR = 60;
const aws = awsScaledDown(FACTOR);
let stack: IsolatedStack;
let deps: Deps;
const pollers: Poller[] = [];
beforeAll(async () => {
  stack = await isolatedStack({ visibilityTimeoutSeconds: aws.queueVisibilitySeconds, env: aws.env });
  deps = stack.deps;
});
afterAll(async () => {
  await Promise.all(pollers.map((p) => p.stop()));
});

function runWorker(workerDeps: Deps, around?: (handler: SqsHandler) => SqsHandler) {
  const poller = startWorker(stack, workerDeps, 2, {
    timeoutSeconds: aws.workerTimeoutSeconds,
    batchSize: aws.batchSize,
    around,
  });
  pollers.push(poller);
  return poller;
}

/** Sooner than this, a message can only have come back because the worker asked (the queue's own timeout). */
const beforeTheQueueWould = () => (aws.queueVisibilitySeconds * 1000) / 2;

type Invocation = { dead: boolean; die: () => void };
const invocation = new AsyncLocalStorage<Invocation>();

/**
 * Lambda invocations that can die, as a crashed runtime does: at `die()` the invocation ends at once,
 * acknowledging nothing, and its heartbeat stops (its time is up). A dependency that calls
 * `invocation.getStore()?.die()` kills the invocation that called it.
 */
const mortal =
  (handler: SqsHandler): SqsHandler =>
  async (event, context) => {
    let die = () => {};
    const died = new Promise<never>((_, reject) => {
      die = () => reject(new Error('the Lambda died'));
    });
    const self: Invocation = {
      dead: false,
      die: () => {
        self.dead = true;
        die();
      },
    };
    const dying = {
      ...context,
      getRemainingTimeInMillis: () => (self.dead ? 0 : context.getRemainingTimeInMillis()),
    };
    return Promise.race([invocation.run(self, () => handler(event, dying)), died]);
  };

/** Blobs whose `n`-th part upload kills its invocation (and never returns), then fine. */
function uploadsDyingAt(n: number, onDeath: () => void) {
  let uploads = 0;
  const blobs = Object.create(deps.blobs) as Deps['blobs'];
  blobs.upload = async (key, body, type) => {
    if (++uploads === n) {
      body.resume();
      onDeath();
      invocation.getStore()?.die();
      return new Promise<never>(() => {});
    }
    return deps.blobs.upload(key, body, type);
  };
  return blobs;
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

    // Back after its backoff, not after the queue's visibility timeout.
    const job = await eventually(() => deps.jobs.get(PROJECT, jobId), ended, beforeTheQueueWould());
    expect(job).toMatchObject({ status: 'success', attempts: 2 });
    await poller.stop();
  });

  it('fails the job with a reason on the last delivery when the fault persists, and drops the message', async () => {
    const poller = runWorker({ ...deps, blobs: flakyBlobs(Number.POSITIVE_INFINITY) });
    const { graphId } = await seedGraph(deps, socialGraph(10));

    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });

    const job = await eventually(() => deps.jobs.get(PROJECT, jobId), ended, beforeTheQueueWould());
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

  it('takes over a backup whose Lambda died mid-task a lease after its last beat, before the dead invocation would have timed out', async () => {
    let diedAt = 0;
    let takenOverAt = 0;
    const jobs = Object.create(deps.jobs) as Deps['jobs'];
    jobs.take = async (...args) => {
      const taken = await deps.jobs.take(...args);
      if (taken && (taken.attempts ?? 0) > 1) takenOverAt ||= Date.now();
      return taken;
    };
    const dying = { ...deps, jobs, blobs: uploadsDyingAt(1, () => (diedAt = Date.now())) };
    const poller = runWorker(dying, mortal);
    const { graphId } = await seedGraph(deps, socialGraph(30));
    const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });

    const job = await eventually(() => deps.jobs.get(PROJECT, jobId), ended, beforeTheQueueWould());
    expect(job).toMatchObject({ status: 'success', attempts: 2 });
    expect(diedAt).toBeGreaterThan(0);
    // Its own message, which the dead invocation held, came back on the lease, not on its timeout.
    expect(takenOverAt - diedAt).toBeLessThan(aws.workerTimeoutSeconds * 1000);
    recordFigure('takeover after a crash (AWS settings / 60)', takenOverAt - diedAt, 'ms');
    const backup = await readBackup(deps, { projectId: PROJECT, graphId, backupId });
    expect(backup?.manifest.counts.vertices).toBe(30);
    await poller.stop();
  }, 60_000);

  it('takes over a delivery that hangs once its invocation times out, and not before', async () => {
    let hungAt = 0;
    const hanging = Object.create(deps.blobs) as Deps['blobs'];
    let uploads = 0;
    hanging.upload = async (key, body, type) => {
      if (++uploads === 1) {
        body.resume();
        hungAt = Date.now();
        return new Promise<never>(() => {}); // its beats go on until Lambda stops it
      }
      return deps.blobs.upload(key, body, type);
    };
    const poller = runWorker({ ...deps, blobs: hanging }, mortal);
    const { graphId } = await seedGraph(deps, socialGraph(10));
    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });
    await eventually(
      () => Promise.resolve(hungAt),
      (t) => t > 0,
    );
    const first = await deps.jobs.get(PROJECT, jobId);

    const job = await eventually(
      () => deps.jobs.get(PROJECT, jobId),
      ended,
      3 * aws.workerTimeoutSeconds * 1000,
    );
    expect(job).toMatchObject({ status: 'success', attempts: 2 });
    expect(job?.runId).not.toBe(first?.runId);
    // Kept alive by its heartbeat, the hung delivery held the job until its time was up.
    expect((job?.endAt ?? 0) - hungAt).toBeGreaterThanOrEqual(aws.workerTimeoutSeconds * 1000 - 1000);
    recordFigure(
      'end of a job whose delivery hung, after it hung (AWS settings / 60)',
      (job?.endAt ?? 0) - hungAt,
      'ms',
    );
    await poller.stop();
  }, 60_000);

  it('when every delivery dies, sends the message to the DLQ, and the sweeper fails the job once it has not moved for the stall window', async () => {
    const dead = Object.create(deps.blobs) as Deps['blobs'];
    dead.upload = async (_key, body) => {
      body.resume();
      invocation.getStore()?.die();
      return new Promise<never>(() => {});
    };
    const poller = runWorker({ ...deps, blobs: dead }, mortal);
    const { graphId } = await seedGraph(deps, socialGraph(10));
    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });
    await eventually(
      () => peekMessages(stack.sqs, stack.resources.deadLetterQueue.url),
      (messages) => messages.some((m) => m.Body?.includes(jobId)),
    );
    await poller.stop();
    const stalled = (await deps.jobs.get(PROJECT, jobId)) as JobRecord;
    expect(stalled).toMatchObject({
      status: 'running',
      attempts: aws.env.MAX_RECEIVE_COUNT ? Number(aws.env.MAX_RECEIVE_COUNT) : 0,
    });

    const at = (ms: number) => ({ ...deps, clock: { now: () => ms } });
    expect((await sweepOverdueJobs(at(stalled.deadlineAt - 1), jobTasks)).failed).not.toContain(jobId);
    expect((await sweepOverdueJobs(at(stalled.deadlineAt + 1), jobTasks)).failed).toContain(jobId);
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({
      status: 'failed',
      failReason: 'job timed out',
    });
    expect((await deps.graphs.get(PROJECT, graphId))?.status).toBe('200');
  }, 60_000);
});
