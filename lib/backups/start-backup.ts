import type { Deps } from '../deps.js';
import { DependencyUnavailable, GesError } from '../errors.js';
import { backupRefusal } from '../graphs/rules.js';
import type { JobRecord } from '../jobs/model.js';
import { compactUtc } from '../time.js';
import { type BackupMethod, type BackupRecord, currentArch } from './model.js';

export type StartBackupInput = {
  projectId: string;
  graphId: string;
  method?: Exclude<BackupMethod, 'import'>;
  requestId?: string;
};

/** GES's names: manual `<graph>-yyyyMMddHHmmss`, automatic `<graph>_yyyyMMddHHmmss_auto` (UTC). */
export const backupName = (graphName: string, at: number, method: BackupMethod) =>
  method === 'auto' ? `${graphName}_${compactUtc(at)}_auto` : `${graphName}-${compactUtc(at)}`;

/**
 * Starts a backup: the job, the backup record and the graph's lock in one transaction, then the job's
 * message on the queue. If the message cannot be sent, the job is failed and the lock released before
 * the caller hears of it: there is never a PENDING job with no message behind it.
 */
export async function startBackup(deps: Deps, input: StartBackupInput) {
  const { projectId, graphId, method = 'manual', requestId } = input;
  const graph = await deps.graphs.get(projectId, graphId);
  const refusal = backupRefusal(graph);
  if (refusal || !graph) throw refusal;

  const now = deps.clock.now();
  const jobId = deps.ids.jobId();
  const backupId = deps.ids.uuid();
  const job: JobRecord = {
    projectId,
    jobId,
    jobName: 'BackupGraph',
    graphId,
    graphName: graph.name,
    status: 'pending',
    createdAt: now,
    progress: 0,
    deadlineAt: now + deps.config.jobDeadlineSeconds * 1000,
    backupId,
    ...(requestId && { requestId }),
  };
  const backup: BackupRecord = {
    projectId,
    backupId,
    name: backupName(graph.name, now, method),
    backupMethod: method,
    graphId,
    graphName: graph.name,
    graphStatus: graph.status,
    generation: graph.generation,
    shards: graph.shards,
    status: 'backing_up',
    jobId,
    startAt: now,
    arch: currentArch(),
  };

  if (!(await deps.backups.begin(job, backup))) {
    // Another request took the graph between our read and our write: say what holds it now.
    throw backupRefusal(await deps.graphs.get(projectId, graphId)) ?? new GesError('GES.7001');
  }

  try {
    await deps.queue.send({ kind: 'backup', projectId, jobId }, requestId);
  } catch (e) {
    deps.log.error('job could not be queued; failing it', { jobId, error: e as Error });
    await deps.backups.fail(
      job,
      { code: 'GES.7005', message: 'The job could not be queued.' },
      deps.clock.now(),
    );
    throw new DependencyUnavailable('SQS', { cause: e });
  }
  return { jobId, backupId };
}
