import type { Deps } from '../deps.js';
import type { JobRecord } from '../jobs/model.js';

/** The event a job's end publishes, or none: backups and restores are announced. */
function eventOf(job: JobRecord): string | undefined {
  const outcome = job.status === 'success' ? 'Succeeded' : job.status === 'failed' ? 'Failed' : undefined;
  if (!outcome) return undefined;
  if (job.jobName === 'BackupGraph') return `Graph Backup ${outcome}`;
  if (job.jobName === 'StartGraph' && job.backupId) return `Graph Restore ${outcome}`;
  return undefined;
}

/**
 * Announces that a job ended: `Graph Backup Succeeded|Failed`, `Graph Restore Succeeded|Failed`,
 * with the ids, the sizes and the reason. Best effort: the job has ended whatever happens here, and
 * its record stays the truth; a failure to publish is logged.
 */
export async function announceJobEnd(deps: Deps, projectId: string, jobId: string): Promise<void> {
  try {
    const job = await deps.jobs.get(projectId, jobId);
    const detailType = job && eventOf(job);
    if (!job || !detailType) return;
    const backup = job.backupId ? await deps.backups.get(projectId, job.backupId) : undefined;
    await deps.events.publish(detailType, {
      projectId,
      graphId: job.graphId,
      graphName: job.graphName,
      jobId,
      backupId: job.backupId,
      ...(backup?.name && { backupName: backup.name, backupMethod: backup.backupMethod }),
      ...(job.status === 'success' &&
        backup?.sizeBytes !== undefined && {
          sizeBytes: backup.sizeBytes,
          vertexNum: backup.vertexNum,
          edgeNum: backup.edgeNum,
        }),
      ...(job.status === 'failed' && { errorCode: job.errorCode, reason: job.failReason }),
    });
  } catch (error) {
    deps.log.error('could not announce the end of a job', { jobId, error: error as Error });
  }
}
