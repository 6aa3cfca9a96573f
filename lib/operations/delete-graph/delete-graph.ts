import { GesError } from '../../core/errors.js';
import { dataGenerations, existing, GraphStatus } from '../../records/graphs/model.js';
import type { JobDeps } from '../../runtime/deps.js';
import { newJob, submitJob } from '../../runtime/submit.js';
import { deleteGraphTask } from './delete-graph-task.js';

/**
 * Deletes a graph: at once it is gone for every caller (status 400, its name free again); a job then
 * removes its data and its backups, keeping the newest automatic and two newest manual ones if asked.
 */
export async function deleteGraph(
  deps: JobDeps,
  input: { projectId: string; graphId: string; keepBackup: boolean; requestId?: string },
) {
  const graph = existing(await deps.graphs.get(input.projectId, input.graphId));
  if (graph.lockJobId) throw new GesError('GES.7001');
  // What may hold data is known now (no restore runs on a free graph, and none starts on a deleted
  // one), so even a job that fails before its first delivery says what to drop.
  const fields = {
    keepBackup: input.keepBackup,
    generations: dataGenerations(graph),
    shardCount: graph.shards,
  };
  const job = newJob(deps, graph, 'delete-graph', fields, input.requestId);
  await submitJob(
    deps,
    job,
    deleteGraphTask,
    [
      deps.graphs.transition(graph, GraphStatus.deleted, job.createdAt, job.jobId),
      deps.graphs.releaseName(graph),
      deps.projects.giveBack(graph.projectId, 'graphCount'),
    ],
    async () => {
      existing(await deps.graphs.get(input.projectId, input.graphId));
      return new GesError('GES.7001');
    },
    input.requestId,
  );
  return { jobId: job.jobId };
}
