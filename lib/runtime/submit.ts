import { DependencyUnavailable, type GesError } from '../core/errors.js';
import type { Action, Outcome } from '../core/store.js';
import type { GraphRecord } from '../records/graphs/model.js';
import { JOB_NAMES, type Job, type JobKind } from '../records/jobs/model.js';
import type { JobDeps } from './deps.js';
import type { JobTask } from './task.js';

/**
 * Creates a pending job together with what it takes (locks, quota, markers) in one transaction, then
 * puts its message on the queue. When the transaction's conditions fail, `refusal` is told which
 * named actions did not hold and says why. When the message cannot be sent, the job is failed and
 * everything released before the caller hears of it: there is never a PENDING job with no message.
 */
export async function submitJob(
  deps: JobDeps,
  job: Job<JobKind>,
  task: Pick<JobTask, 'failActions'>,
  takes: Action[],
  refusal: (outcome: Outcome & { ok: false }) => Promise<GesError>,
  requestId?: string,
): Promise<void> {
  const outcome = await deps.store.transact([deps.jobs.put(job), ...takes]);
  if (!outcome.ok) throw await refusal(outcome);
  try {
    await deps.queue.send({ projectId: job.projectId, jobId: job.jobId }, requestId);
  } catch (e) {
    deps.log.error('job could not be queued; failing it', { jobId: job.jobId, error: e as Error });
    const end = { status: 'failed' as const, code: 'GES.7005', message: 'The job could not be queued.' };
    await deps.store.transact(task.failActions(deps, job, end, deps.clock.now()));
    throw new DependencyUnavailable('SQS', { cause: e });
  }
}

/** A job of `kind` that starts now, with the fields every kind shares and those of its own. */
export function newJob<K extends JobKind, F extends object>(
  deps: Pick<JobDeps, 'clock' | 'ids' | 'config'>,
  graph: Pick<GraphRecord, 'projectId' | 'graphId'> & Partial<Pick<GraphRecord, 'name'>>,
  kind: K,
  fields: F,
  requestId?: string,
): Job<K, F> {
  const now = deps.clock.now();
  return {
    projectId: graph.projectId,
    jobId: deps.ids.jobId(),
    kind,
    jobName: JOB_NAMES[kind],
    graphId: graph.graphId,
    ...(graph.name !== undefined && { graphName: graph.name }),
    status: 'pending',
    createdAt: now,
    progress: 0,
    deadlineAt: now + deps.config.jobStallMs,
    ...(requestId && { requestId }),
    ...fields,
  };
}
