import type { Deps } from '../deps.js';
import type { ApiVersion } from '../http/responses.js';
import type { JobStatus } from './model.js';
import { jobView } from './view.js';

export type JobFilter = {
  projectId: string;
  offset: number;
  limit: number;
  status?: JobStatus;
  graphName?: string;
  /** epoch ms, inclusive */
  from?: number;
  /** epoch ms, inclusive */
  to?: number;
  version?: ApiVersion;
};

/**
 * The job center's list, newest first. Jobs expire some days after they end, so a project's list is
 * bounded: it is read whole through the time index, filtered, counted and cut to the page.
 */
export async function listJobs(deps: Deps, filter: JobFilter) {
  const matching = [];
  for await (const job of deps.jobs.listNewestFirst(filter.projectId, filter.from, filter.to)) {
    if (filter.status && job.status !== filter.status) continue;
    if (filter.graphName && job.graphName !== filter.graphName) continue;
    matching.push(job);
  }
  const page = matching.slice(filter.offset, filter.offset + filter.limit);
  return { jobCount: matching.length, jobList: page.map((job) => jobView(job, filter.version)) };
}
