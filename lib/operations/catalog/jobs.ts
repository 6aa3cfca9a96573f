import { jobNotFound } from '../../core/errors.js';
import type { JobRecord, JobStatus } from '../../records/jobs/model.js';
import type { RecordDeps } from '../../runtime/deps.js';
import { namedJobs } from './described.js';

type JobDeps = Pick<RecordDeps, 'jobs' | 'graphs'>;

export type JobFilter = {
  projectId: string;
  offset: number;
  limit: number;
  status?: JobStatus;
  graphName?: string;
  /** epoch ms, inclusive */
  from?: number | undefined;
  /** epoch ms, inclusive */
  to?: number | undefined;
};

/** One job of a graph; GES.8301 when there is none. */
export async function getJob(deps: JobDeps, ids: { projectId: string; graphId: string; jobId: string }) {
  const job = await deps.jobs.get(ids.projectId, ids.jobId);
  if (!job || job.graphId !== ids.graphId) throw jobNotFound(ids.jobId);
  const [named] = await namedJobs(deps, [job]);
  return named as JobRecord & { graphName: string };
}

/**
 * The job center's list, newest first. Jobs expire some days after they end, so a project's list is
 * bounded: it is read whole through the time index, filtered, counted and cut to the page.
 */
export async function listJobs(deps: JobDeps, filter: JobFilter) {
  const listed: JobRecord[] = [];
  for await (const job of deps.jobs.listNewestFirst(filter.projectId, filter.from, filter.to)) {
    if (filter.status && job.status !== filter.status) continue;
    listed.push(job);
  }
  const matching = (await namedJobs(deps, listed)).filter(
    (job) => !filter.graphName || job.graphName === filter.graphName,
  );
  return { total: matching.length, jobs: matching.slice(filter.offset, filter.offset + filter.limit) };
}
