import { GesError, isRetryable, JobHeldElsewhere, LeaseLost } from '../core/errors.js';
import type { JobMessage } from '../core/ports.js';
import { isTerminal, type JobRecord } from '../records/jobs/model.js';
import type { Deps } from './deps.js';
import type { DeliveryLease } from './heartbeat.js';
import type { JobTask, JobTasks, RunContext } from './task.js';

/** How a delivery ended, for the log and the tests; a retryable fault is thrown instead. */
export type RunOutcome =
  | 'succeeded'
  | 'failed'
  | 'handed-off'
  | 'already-ended'
  | 'held-elsewhere'
  | 'lease-lost';

/**
 * The receive count of this delivery, the API request that queued the job (for the logs), and the
 * heartbeat that keeps the delivery alive (the worker's; absent when a test runs a delivery by hand).
 */
export type Delivery = { attempt: number; requestId?: string | undefined; lease?: DeliveryLease };

/**
 * Runs one delivery of a job. A plain message takes the job under a lease with a fencing token
 * (`runId`); a `step` message continues the work of the run that sent it. Every write of a run is
 * conditional on its token, so a duplicate, late or concurrent delivery changes nothing. A retryable
 * fault is thrown (SQS delivers again) unless this is the last delivery, when the job is failed
 * instead: every job ends.
 */
export async function runJob(
  deps: Deps,
  tasks: JobTasks,
  message: JobMessage,
  delivery: Delivery,
): Promise<RunOutcome> {
  const lastDelivery = delivery.attempt >= deps.config.maxReceiveCount;
  const claimed = message.step
    ? await stepOf(deps, message)
    : await take(deps, message, lastDelivery, delivery.lease);
  if (typeof claimed === 'string') return claimed;
  const { job, runId } = claimed;
  delivery.lease?.claimed({ projectId: job.projectId, jobId: job.jobId, runId });
  const task = tasks[job.kind];
  if (!task) throw new Error(`no worker task for ${job.kind} jobs`);

  const log = deps.log.createChild({
    persistentKeys: { jobId: job.jobId, runId, requestId: delivery.requestId },
  });
  const context: RunContext = {
    runId,
    log,
    requestId: delivery.requestId,
    report: async (progress, detail, seen) => {
      if ((await deps.jobs.progress(job.projectId, job.jobId, runId, progress, detail, seen)) === 'lost')
        throw new LeaseLost();
    },
  };
  try {
    if (deps.clock.now() > job.deadlineAt) {
      return await failRun(deps, task, job, runId, { code: 'GES.7005', message: 'job timed out' });
    }
    const result =
      message.step && task.hasSteps
        ? await task.continue(deps, job, message.step, context)
        : await task.run(deps, job, context);
    if (result === 'lost') throw new LeaseLost();
    if (result === 'handed-off') return 'handed-off';
    log.info('job succeeded', { kind: job.kind });
    await task.afterSuccess?.(deps, job, log).catch((error: unknown) => {
      log.warn('follow-up of a successful job failed', { error: error as Error });
    });
    await announceEnd(deps, task, job);
    return 'succeeded';
  } catch (e) {
    if (e instanceof LeaseLost) {
      log.warn('lease lost to another run; leaving the job to it');
      return 'lease-lost';
    }
    if (isRetryable(e) && !lastDelivery) {
      log.warn('retryable fault; SQS will deliver again', { error: e as Error, attempt: delivery.attempt });
      if (!message.step) await deps.jobs.releaseLease(job.projectId, job.jobId, runId).catch(() => undefined);
      // Back off a little longer each time, rather than wait out the queue's long visibility timeout.
      await delivery.lease?.retryIn(delivery.attempt * deps.config.retryDelayMs);
      throw e;
    }
    log.error('job failed', { error: e as Error, attempt: delivery.attempt });
    return await failRun(deps, task, job, runId, failReason(task, e, delivery.attempt));
  }
}

/** Takes a pending job, or one whose owner's lease ran out. */
async function take(deps: Deps, message: JobMessage, lastDelivery: boolean, lease?: DeliveryLease) {
  const runId = deps.ids.jobId();
  const now = deps.clock.now();
  const job = await deps.jobs.take(message.projectId, message.jobId, runId, now, deps.config.jobLeaseMs);
  if (job) return { job, runId };
  const current = await deps.jobs.get(message.projectId, message.jobId);
  if (!current || isTerminal(current.status)) return 'already-ended' as const;
  // Another run holds a live lease. On the last delivery leave it to that run (or to the sweeper);
  // before, come back just after that lease would run out, should its run have died.
  if (lastDelivery) return 'held-elsewhere' as const;
  await lease?.retryIn(Math.max(0, (current.leaseUntil ?? now) - now) + 1000);
  throw new JobHeldElsewhere(`job ${message.jobId} is held by run ${current.runId}`);
}

/** A step of a run: only while that run still owns the job. */
async function stepOf(deps: Deps, message: JobMessage & { step?: { runId: string } }) {
  const runId = message.step?.runId ?? '';
  const job = await deps.jobs.get(message.projectId, message.jobId);
  if (!job || isTerminal(job.status)) return 'already-ended' as const;
  if (job.runId !== runId) return 'lease-lost' as const;
  return { job, runId };
}

/** Ends the job as failed, releasing what it held, then removes what the run left behind. */
async function failRun(
  deps: Deps,
  task: JobTask,
  job: JobRecord,
  runId: string,
  reason: { code: string; message: string },
): Promise<RunOutcome> {
  const end = { status: 'failed' as const, ...reason };
  // The job as the run left it, not as it was taken: what the run did since (a restore's target)
  // says what to release and what to discard. The ending is conditional on the run all the same.
  const now = (await deps.jobs.get(job.projectId, job.jobId)) ?? job;
  if (!(await deps.store.transact(task.failActions(deps, now, end, deps.clock.now(), runId))).ok) {
    return 'lease-lost';
  }
  await cleanUp(deps, task, now);
  await announceEnd(deps, task, now);
  return 'failed';
}

/** Removes what a failed run left behind; best effort, logged. */
export async function cleanUp(deps: Deps, task: JobTask, job: JobRecord): Promise<void> {
  await task.cleanUp(deps, job).catch((error: unknown) => {
    deps.log.warn('could not clean up after a failed job', { jobId: job.jobId, error: error as Error });
  });
}

/**
 * Announces that a job ended, when its kind is announced (backups and restores). Best effort: the job
 * has ended whatever happens here, and its record stays the truth; a failure to publish is logged.
 */
export async function announceEnd(deps: Deps, task: JobTask, job: JobRecord): Promise<void> {
  try {
    const ended = await deps.jobs.get(job.projectId, job.jobId);
    const event = ended && (await task.announce(deps, ended));
    if (event) await deps.events.publish(event.detailType, event.detail);
  } catch (error) {
    deps.log.error('could not announce the end of a job', { jobId: job.jobId, error: error as Error });
  }
}

/** What the job center says of a failure: a GES code and a message fit for the client, no internals. */
export function failReason(
  task: Pick<JobTask, 'failure'>,
  e: unknown,
  attempt: number,
): { code: string; message: string } {
  const { code, what } = task.failure;
  if (e instanceof GesError)
    return { code: e.code === 'GES.7000' ? e.code : code, message: `${what}: ${e.message}` };
  if (isRetryable(e)) {
    const which = (e as { dependency?: string }).dependency ?? 'A storage service';
    return { code: 'GES.7005', message: `${which} was unavailable after ${attempt} attempts.` };
  }
  return { code, message: `${what}: an internal error occurred.` };
}
