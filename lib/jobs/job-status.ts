import type { Deps } from '../deps.js';
import { jobNotFound } from '../errors.js';
import type { ApiVersion } from '../http/responses.js';
import { jobView } from './view.js';

/** A job of the job center; unknown, or of another graph, is GES.8301 either way. */
export async function getJobStatus(
  deps: Deps,
  input: { projectId: string; graphId: string; jobId: string; version?: ApiVersion },
) {
  const job = await deps.jobs.get(input.projectId, input.jobId);
  if (!job || job.graphId !== input.graphId) throw jobNotFound(input.jobId);
  return jobView(job, input.version);
}
