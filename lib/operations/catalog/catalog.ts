import { GesError } from '../../core/errors.js';
import type { BlobStore } from '../../core/ports.js';
import type { BackupScope } from '../../records/backups/backup-repo.js';
import { type BackupRecord, backupPrefix } from '../../records/backups/model.js';
import { existing } from '../../records/graphs/model.js';
import type { RecordDeps } from '../../runtime/deps.js';
import { describedBackups } from './described.js';

type Page = { offset: number; limit: number };
type WithBlobs = RecordDeps & { blobs: BlobStore };

/** A project's backups, or one graph's, newest first; `total` counts them all. */
export async function listBackups(deps: RecordDeps, scope: BackupScope & Page) {
  if ('graphId' in scope) existing(await deps.graphs.get(scope.projectId, scope.graphId));
  const { total, page } = await deps.backups.list(scope, scope.offset, scope.limit);
  return { total, page: await describedBackups(deps, page) };
}

/**
 * Deletes a backup and its files, synchronously. The record is marked first, so no job can start
 * reading a backup whose files are going; it is removed last, so a delete that breaks halfway is
 * finished by the next one. A backup that a running job writes or reads is refused with GES.7001.
 */
export async function deleteBackup(
  deps: WithBlobs,
  ids: { projectId: string; graphId: string; backupId: string },
) {
  const backup = await deps.backups.get(ids.projectId, ids.backupId);
  if (!backup || backup.graphId !== ids.graphId) throw new GesError('GES.7024');
  if (!backup.deleting && !(await deps.backups.markDeleting(backup))) {
    const now = await deps.backups.get(ids.projectId, ids.backupId);
    throw new GesError(now && !now.deleting ? 'GES.7001' : 'GES.7024');
  }
  // Of two deletes that raced, the one whose removal lands answers {}; the other finds it gone.
  if (!(await removeBackup(deps, backup))) throw new GesError('GES.7024');
  return {};
}

/**
 * Files first, then the record and (unless it failed) its unit of quota: a record never points at
 * files that are gone.
 * False when the record was already removed (by a delete that raced this one).
 */
export async function removeBackup(deps: WithBlobs, backup: BackupRecord): Promise<boolean> {
  await deps.blobs.deletePrefix(backupPrefix(backup));
  // A failed backup gave its unit of quota back when it failed.
  const outcome = await deps.store.transact([
    deps.backups.remove(backup),
    ...(backup.status === 'failed' ? [] : [deps.projects.giveBack(backup.projectId, 'backupCount')]),
  ]);
  return outcome.ok;
}

/** What the project may still create. */
export async function quotas(deps: RecordDeps, projectId: string) {
  const counts = await deps.projects.counts(projectId);
  return {
    graph: Math.max(0, deps.config.graphQuota - counts.graphCount),
    backup: Math.max(0, deps.config.backupQuota - counts.backupCount),
  };
}
