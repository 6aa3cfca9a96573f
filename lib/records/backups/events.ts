import type { JobBase } from '../jobs/model.js';
import type { BackupRepo } from './backup-repo.js';

/** `Graph Backup Succeeded|Failed` (and the restore's twin): the ids, the sizes or the reason. */
export async function backupEvent(
  backups: Pick<BackupRepo, 'get'>,
  job: JobBase & { backupId: string },
  what: 'Graph Backup' | 'Graph Restore',
): Promise<{ detailType: string; detail: Record<string, unknown> } | undefined> {
  const outcome = job.status === 'success' ? 'Succeeded' : job.status === 'failed' ? 'Failed' : undefined;
  if (!outcome) return undefined;
  const backup = await backups.get(job.projectId, job.backupId);
  return {
    detailType: `${what} ${outcome}`,
    detail: {
      projectId: job.projectId,
      graphId: job.graphId,
      graphName: job.graphName ?? backup?.graphName,
      jobId: job.jobId,
      backupId: job.backupId,
      ...(backup?.name && { backupName: backup.name, backupMethod: backup.backupMethod }),
      ...(job.status === 'success' &&
        backup?.sizeBytes !== undefined && {
          sizeBytes: backup.sizeBytes,
          vertexNum: backup.vertexNum,
          edgeNum: backup.edgeNum,
        }),
      ...(job.status === 'failed' && { errorCode: job.errorCode, reason: job.failReason }),
    },
  };
}
