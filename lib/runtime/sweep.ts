import type { Action } from '../core/store.js';
import type { Deps } from './deps.js';
import { announceEnd, cleanUp } from './run-job.js';
import type { JobTasks } from './task.js';

const PAGE = 100;
const TIMED_OUT = { status: 'failed' as const, code: 'GES.7005', message: 'job timed out' };

/**
 * Every job ends: the scheduled sweeper fails the jobs that have made no progress for the stall
 * window (past their deadline, which every progress write moves on), releases what they held (lock,
 * backup, quota) and removes what they left, whoever was or was not running them. A job that moved
 * since it was read is left alone; a run that wakes up later finds its writes fenced off. One page
 * per call: the schedule brings the next.
 */
export async function sweepOverdueJobs(deps: Deps, tasks: JobTasks): Promise<{ failed: string[] }> {
  const now = deps.clock.now();
  const failed: string[] = [];
  for (const job of await deps.jobs.overdue(now, PAGE)) {
    const task = tasks[job.kind];
    const fail = (actions: Action[]) => deps.store.transact(deps.jobs.whileStalled(actions, job));
    const released = task && (await fail(task.failActions(deps, job, TIMED_OUT, now))).ok;
    // If what it held is no longer as it should be, end the job alone rather than leave it open.
    const ended = released || (await fail([deps.jobs.end(job, TIMED_OUT, now)])).ok;
    if (!ended) continue; // it moved, or ended, meanwhile
    failed.push(job.jobId);
    deps.log.warn('job timed out; failed by the sweeper', { jobId: job.jobId, kind: job.kind });
    if (task) {
      await announceEnd(deps, task, job);
      await cleanUp(deps, task, job);
    }
  }
  return { failed };
}
