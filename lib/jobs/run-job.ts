import type { Logger } from '@aws-lambda-powertools/logger';
import type { Deps } from '../deps.js';
import { type TransactItem, transact } from '../dynamo.js';
import { DependencyUnavailable, type GesCode, GesError, isTransientAwsError } from '../errors.js';
import { announceJobEnd } from '../events/job-events.js';
import type { JobMessage } from './job-queue.js';
import type { JobEnd } from './job-repo.js';
import { isTerminal, type JobDetail, type JobName, type JobRecord } from './model.js';

/** How a delivery ended, for the log and the tests; a retryable fault is thrown instead. */
export type RunOutcome =
  | 'succeeded'
  | 'failed'
  | 'handed-off'
  | 'already-ended'
  | 'held-elsewhere'
  | 'lease-lost';

/** The receive count of this delivery, and the API request that queued the job (for the logs). */
export type Delivery = { attempt: number; requestId?: string | undefined };

/** The job is running under another run's live lease: this delivery should come back later. */
export class JobHeldElsewhere extends Error {
  override readonly name = 'JobHeldElsewhere';
}

/** The run no longer owns the job (a later run took it over): stop quietly, the owner finishes. */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
}

export type RunContext = {
  runId: string;
  log: Logger;
  /** Records progress; throws LeaseLost when the run no longer owns the job. */
  report(progress: number, detail: JobDetail): Promise<void>;
  /** The API request that queued the job, to pass on with any message the task sends. */
  requestId?: string | undefined;
};

/**
 * What a task's work came to: the job ended (its last write succeeded), the work goes on in messages
 * the task sent (fan-out, or a checkpoint), or the run lost the job to a later run.
 */
export type TaskResult = 'ended' | 'handed-off' | 'lost';

/** What one kind of job does in the worker. */
export type JobTask = {
  /** The work of the delivery that takes the job. Every write is conditional on `context.runId`. */
  run(deps: Deps, job: JobRecord, context: RunContext): Promise<TaskResult>;
  /** A `step` message the task sent itself, under the run that sent it. */
  continue?(
    deps: Deps,
    job: JobRecord,
    step: Record<string, unknown>,
    context: RunContext,
  ): Promise<TaskResult>;
  /** The items that end the job failed and release what it holds, in one transaction. */
  failActions(
    deps: Deps,
    job: JobRecord,
    end: JobEnd & { status: 'failed' },
    at: number,
    runId?: string,
  ): TransactItem[];
  /** Removes what a failed run left behind (partial files, a half-loaded generation). Best effort. */
  cleanUp?(deps: Deps, job: JobRecord): Promise<void>;
  /** The code and the words of a failure this task cannot explain better. */
  failure: { code: GesCode; what: string };
};

export type JobTasks = Partial<Record<JobName, JobTask>>;

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
  const claimed = message.step ? await stepOf(deps, message) : await take(deps, message, lastDelivery);
  if (typeof claimed === 'string') return claimed;
  const { job, runId } = claimed;
  const task = tasks[job.jobName];
  if (!task) throw new Error(`no worker task for ${job.jobName} jobs`);

  const log = deps.log.createChild({
    persistentKeys: { jobId: job.jobId, runId, requestId: delivery.requestId },
  });
  const context: RunContext = {
    runId,
    log,
    requestId: delivery.requestId,
    report: async (progress, detail) => {
      if (!(await deps.jobs.progress(job.projectId, job.jobId, runId, progress, detail)))
        throw new LeaseLost();
    },
  };
  try {
    if (deps.clock.now() > job.deadlineAt) {
      return await failRun(deps, task, job, runId, { code: 'GES.7005', message: 'job timed out' });
    }
    const result =
      message.step && task.continue
        ? await task.continue(deps, job, message.step, context)
        : await task.run(deps, job, context);
    if (result === 'lost') throw new LeaseLost();
    if (result === 'handed-off') return 'handed-off';
    log.info('job succeeded', { jobName: job.jobName });
    await announceJobEnd(deps, job.projectId, job.jobId);
    return 'succeeded';
  } catch (e) {
    if (e instanceof LeaseLost) {
      log.warn('lease lost to another run; leaving the job to it');
      return 'lease-lost';
    }
    const retryable = e instanceof DependencyUnavailable || isTransientAwsError(e);
    if (retryable && !lastDelivery) {
      log.warn('retryable fault; SQS will deliver again', { error: e as Error, attempt: delivery.attempt });
      if (!message.step) await deps.jobs.releaseLease(job.projectId, job.jobId, runId).catch(() => undefined);
      throw e;
    }
    log.error('job failed', { error: e as Error, attempt: delivery.attempt });
    return await failRun(deps, task, job, runId, failReason(task, e, delivery.attempt));
  }
}

/** Takes a pending job, or one whose owner's lease ran out. */
async function take(deps: Deps, message: JobMessage, lastDelivery: boolean) {
  const runId = deps.ids.jobId();
  const leaseMs = deps.config.jobLeaseSeconds * 1000;
  const job = await deps.jobs.take(message.projectId, message.jobId, runId, deps.clock.now(), leaseMs);
  if (job) return { job, runId };
  const current = await deps.jobs.get(message.projectId, message.jobId);
  if (!current || isTerminal(current.status)) return 'already-ended' as const;
  // Another run holds a live lease. On the last delivery leave it to that run (or to the sweeper).
  if (lastDelivery) return 'held-elsewhere' as const;
  throw new JobHeldElsewhere(`job ${message.jobId} is held by run ${current.runId}`);
}

/** A step of a run: only while that run still owns the job. */
async function stepOf(deps: Deps, message: JobMessage) {
  const runId = message.step?.runId as string;
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
  if (!(await transact(deps.ddb, task.failActions(deps, job, end, deps.clock.now(), runId)))) {
    return 'lease-lost';
  }
  await task.cleanUp?.(deps, job).catch((error: unknown) => {
    deps.log.warn('could not clean up after a failed job', { jobId: job.jobId, error: error as Error });
  });
  await announceJobEnd(deps, job.projectId, job.jobId);
  return 'failed';
}

/** What the job center says of a failure: a GES code and a message fit for the client, no internals. */
export function failReason(task: JobTask, e: unknown, attempt: number): { code: string; message: string } {
  const { code, what } = task.failure;
  if (e instanceof GesError)
    return { code: e.code === 'GES.7000' ? e.code : code, message: `${what}: ${e.message}` };
  if (e instanceof DependencyUnavailable || isTransientAwsError(e)) {
    const which = e instanceof DependencyUnavailable ? e.dependency : 'A storage service';
    return { code: 'GES.7005', message: `${which} was unavailable after ${attempt} attempts.` };
  }
  return { code, message: `${what}: an internal error occurred.` };
}
