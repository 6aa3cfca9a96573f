import type { Deps } from '../deps.js';
import { type TransactItem, transact } from '../dynamo.js';
import { DependencyUnavailable, type GesError } from '../errors.js';
import type { GraphRecord } from '../graphs/model.js';
import type { JobName, JobRecord } from './model.js';
import type { JobTask } from './run-job.js';

/**
 * Creates a pending job together with what it takes (locks, quota, markers) in one transaction, then
 * puts its message on the queue. When the transaction's conditions fail, `refusal` says why. When the
 * message cannot be sent, the job is failed and everything released before the caller hears of it:
 * there is never a PENDING job with no message behind it.
 */
export async function submitJob(
  deps: Deps,
  job: JobRecord,
  task: Pick<JobTask, 'failActions'>,
  takes: TransactItem[],
  refusal: () => Promise<GesError>,
  requestId?: string,
): Promise<void> {
  if (!(await transact(deps.ddb, [deps.jobs.putAction(job), ...takes]))) throw await refusal();
  try {
    await deps.queue.send({ projectId: job.projectId, jobId: job.jobId }, requestId);
  } catch (e) {
    deps.log.error('job could not be queued; failing it', { jobId: job.jobId, error: e as Error });
    const end = { status: 'failed' as const, code: 'GES.7005', message: 'The job could not be queued.' };
    await transact(deps.ddb, task.failActions(deps, job, end, deps.clock.now()));
    throw new DependencyUnavailable('SQS', { cause: e });
  }
}

/** A job that starts now, with the fields every kind shares. */
export function newJob(
  deps: Deps,
  graph: Pick<GraphRecord, 'projectId' | 'graphId' | 'name'>,
  jobName: JobName,
  fields: Partial<JobRecord> & { requestId?: string | undefined } = {},
): JobRecord {
  const now = deps.clock.now();
  const { requestId, ...rest } = fields;
  return {
    projectId: graph.projectId,
    jobId: deps.ids.jobId(),
    jobName,
    graphId: graph.graphId,
    graphName: graph.name,
    status: 'pending',
    createdAt: now,
    progress: 0,
    deadlineAt: now + deps.config.jobDeadlineSeconds * 1000,
    ...(requestId && { requestId }),
    ...rest,
  };
}
