import { findBackup } from '../backups/catalog.js';
import type { Deps } from '../deps.js';
import { transact } from '../dynamo.js';
import { GesError } from '../errors.js';
import type { JobName, JobRecord } from '../jobs/model.js';
import { newJob, submitJob } from '../jobs/submit.js';
import { restoreTask } from '../restore/restore-task.js';
import { deleteGraphTask } from './delete-graph-task.js';
import { existing } from './graphs.js';
import { type GraphRecord, GraphStatus, type GraphStatusCode } from './model.js';

/** A job that is done as soon as it is recorded (stop, plain start): GES still gives it a job id. */
async function instantJob(
  deps: Deps,
  graph: GraphRecord,
  jobName: JobName,
  to: GraphStatusCode,
  refusal: () => Promise<GesError>,
) {
  const job = newJob(deps, graph, jobName);
  const done: JobRecord = {
    ...job,
    status: 'success',
    endAt: job.createdAt,
    progress: 100,
    expiresAt: Math.floor(job.createdAt / 1000) + deps.config.jobRetentionDays * 86_400,
  };
  if (!(await transact(deps.ddb, [deps.graphs.transitionAction(graph, to), deps.jobs.putAction(done)]))) {
    throw await refusal();
  }
  return { jobId: job.jobId };
}

const isFree = (graph: GraphRecord, status: GraphStatusCode) => graph.status === status && !graph.lockJobId;

/** Stops a running graph (status 900). Anything but a free, running graph: GES.7003. */
export async function stopGraph(deps: Deps, ids: { projectId: string; graphId: string }) {
  const graph = existing(await deps.graphs.get(ids.projectId, ids.graphId));
  const notRunning = new GesError('GES.7003');
  if (!isFree(graph, GraphStatus.running)) throw notRunning;
  return instantJob(deps, graph, 'StopGraph', GraphStatus.stopped, async () => notRunning);
}

/**
 * Starts a stopped graph: with the data it had, or, given a backup, with the backup's data instead
 * (a restore job, all or nothing; see restore-task.ts).
 */
export async function startGraph(
  deps: Deps,
  input: { projectId: string; graphId: string; backupId?: string | undefined; requestId?: string },
) {
  const graph = existing(await deps.graphs.get(input.projectId, input.graphId));
  const notStopped = new GesError('GES.7037');
  if (!isFree(graph, GraphStatus.stopped)) throw notStopped;
  if (!input.backupId)
    return instantJob(deps, graph, 'StartGraph', GraphStatus.running, async () => notStopped);

  const backup = await findBackup(deps, { ...input, backupId: input.backupId });
  if (backup.status !== 'success') throw new GesError('GES.7040');
  const job = newJob(deps, graph, 'StartGraph', { backupId: backup.backupId, requestId: input.requestId });
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
      deps.graphs.transitionAction(graph, GraphStatus.starting, job.jobId),
      deps.backups.useAction(backup, job.jobId),
    ],
    whyNot,
    input.requestId,
  );
  return { jobId: job.jobId };
}

/**
 * Deletes a graph: at once it is gone for every caller (status 400, its name free again); a job then
 * removes its data and its backups, keeping the newest automatic and two newest manual ones if asked.
 */
export async function deleteGraph(
  deps: Deps,
  input: { projectId: string; graphId: string; keepBackup: boolean; requestId?: string },
) {
  const graph = existing(await deps.graphs.get(input.projectId, input.graphId));
  if (graph.lockJobId) throw new GesError('GES.7001');
  const job = newJob(deps, graph, 'DeleteGraph', {
    keepBackup: input.keepBackup,
    requestId: input.requestId,
  });
  await submitJob(
    deps,
    job,
    deleteGraphTask,
    [
      deps.graphs.transitionAction(graph, GraphStatus.deleted, job.jobId),
      deps.graphs.releaseNameAction(graph),
      deps.projects.returnAction(graph.projectId, 'graphCount'),
    ],
    async () => {
      existing(await deps.graphs.get(input.projectId, input.graphId));
      return new GesError('GES.7001');
    },
    input.requestId,
  );
  return { jobId: job.jobId };
}
