import { GesError } from '../../core/errors.js';
import { existing, GraphStatus, isFree } from '../../records/graphs/model.js';
import type { JobDeps } from '../../runtime/deps.js';
import { newJob, submitJob } from '../../runtime/submit.js';
import { restoreTask } from './restore-task.js';

/**
 * Starts a stopped graph with a backup's data instead of its own: a restore job, all or nothing
 * (see restore-task.ts). The graph goes to `920` and the backup is marked in use meanwhile.
 */
export async function restoreGraph(
  deps: JobDeps,
  input: { projectId: string; graphId: string; backupId: string; requestId?: string },
) {
  const graph = existing(await deps.graphs.get(input.projectId, input.graphId));
  const notStopped = new GesError('GES.7037');
  if (!isFree(graph, GraphStatus.stopped)) throw notStopped;
  const backup = await deps.backups.find(input);
  if (backup.status !== 'success') throw new GesError('GES.7040');
  const job = newJob(deps, graph, 'restore', { backupId: backup.backupId }, input.requestId);
  const whyNot = async () => {
    const now = existing(await deps.graphs.get(input.projectId, input.graphId));
    if (!isFree(now, GraphStatus.stopped)) return notStopped;
    const used = await deps.backups.get(backup.projectId, backup.backupId);
    return new GesError(used && !used.deleting ? 'GES.7001' : 'GES.7024');
  };
  await submitJob(
    deps,
    job,
    restoreTask,
    [
      deps.graphs.transition(graph, GraphStatus.starting, job.createdAt, job.jobId),
      deps.backups.use(backup, job.jobId),
    ],
    whyNot,
    input.requestId,
  );
  return { jobId: job.jobId };
}
