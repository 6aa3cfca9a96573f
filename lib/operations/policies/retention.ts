import type { Logger } from '@aws-lambda-powertools/logger';
import type { BlobStore } from '../../core/ports.js';
import type { BackupRecord } from '../../records/backups/model.js';
import type { JobRecord } from '../../records/jobs/model.js';
import type { RecordDeps } from '../../runtime/deps.js';
import { backupFields } from '../backup/job.js';
import { removeBackup } from '../catalog/catalog.js';

/** The automatic backups beyond the newest `keep`, oldest first. Manual ones are never chosen. */
export function autoBackupsBeyond(newestFirst: BackupRecord[], keep: number): BackupRecord[] {
  return newestFirst
    .filter((b) => b.backupMethod === 'auto' && b.status === 'success')
    .slice(keep)
    .reverse();
}

/**
 * After an automatic backup succeeds, the graph's policy says how many automatic backups to keep;
 * the older ones go, files included. A graph without a policy keeps them all. Best effort: the new
 * backup stands whatever happens here, and the next success tries again.
 */
export async function applyRetention(
  deps: RecordDeps & { blobs: BlobStore },
  fresh: BackupRecord,
  log: Logger,
): Promise<void> {
  try {
    const policy = await deps.policies.get(fresh.projectId, fresh.graphId);
    if (!policy) return;
    const { page } = await deps.backups.list(
      { projectId: fresh.projectId, graphId: fresh.graphId },
      0,
      Number.MAX_SAFE_INTEGER,
    );
    for (const old of autoBackupsBeyond(page, policy.keepAuto)) {
      if (await deps.backups.markDeleting(old)) await removeBackup(deps, old);
      log.info('retention removed an automatic backup', {
        backupId: old.backupId,
        keepAuto: policy.keepAuto,
      });
    }
  } catch (error) {
    log.warn('retention could not run', { error: error as Error });
  }
}

/** Retention on a backup job's success: only an automatic backup makes room for itself. */
export async function retainAfterBackup(
  deps: RecordDeps & { blobs: BlobStore },
  job: JobRecord,
  log: Logger,
) {
  const backup = await deps.backups.get(job.projectId, backupFields.parse(job).backupId);
  if (backup?.backupMethod === 'auto') await applyRetention(deps, backup, log);
}
