import type { Deps } from '../deps.js';
import { transact } from '../dynamo.js';
import { announceJobEnd } from '../events/job-events.js';
import type { JobTasks } from './run-job.js';

const PAGE = 100;
const TIMED_OUT = { status: 'failed' as const, code: 'GES.7005', message: 'job timed out' };

/**
 * Every job ends: the scheduled sweeper fails the jobs past their deadline, releases what they held
 * (lock, backup, quota) and removes what they left, whoever was or was not running them. A run that
 * wakes up later finds its writes fenced off. One page per call: the schedule brings the next.
 */
export async function sweepOverdueJobs(deps: Deps, tasks: JobTasks): Promise<{ failed: string[] }> {
  const now = deps.clock.now();
  const failed: string[] = [];
  for (const job of await deps.jobs.overdue(now, PAGE)) {
    const task = tasks[job.jobName];
    const released = task && (await transact(deps.ddb, task.failActions(deps, job, TIMED_OUT, now)));
    // If what it held is no longer as it should be, end the job alone rather than leave it open.
    const ended = released || (await transact(deps.ddb, [deps.jobs.endAction(job, TIMED_OUT, now)]));
    if (!ended) continue; // it ended meanwhile, on its own
    failed.push(job.jobId);
    await announceJobEnd(deps, job.projectId, job.jobId);
    deps.log.warn('job timed out; failed by the sweeper', { jobId: job.jobId, jobName: job.jobName });
    await task?.cleanUp?.(deps, job).catch((error: unknown) => {
      deps.log.warn('could not clean up after a timed-out job', { jobId: job.jobId, error: error as Error });
    });
  }
  return { failed };
}
