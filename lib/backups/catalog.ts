import type { Deps } from '../deps.js';
import { transact } from '../dynamo.js';
import { GesError } from '../errors.js';
import { existing } from '../graphs/graphs.js';
import type { BackupScope } from './backup-repo.js';
import { type BackupRecord, backupPrefix } from './model.js';
import { backupView } from './view.js';

type Page = { offset: number; limit: number };

/** A project's backups, or one graph's, newest first; `backupCount` is the total. */
export async function listBackups(deps: Deps, scope: BackupScope & Page) {
  if ('graphId' in scope) existing(await deps.graphs.get(scope.projectId, scope.graphId));
  const { total, page } = await deps.backups.list(scope, scope.offset, scope.limit);
  return { backupCount: total, backupList: page.map(backupView) };
}

/** A backup of this graph and project that is not being deleted; GES.7024 otherwise. */
export async function findBackup(deps: Deps, ids: { projectId: string; graphId: string; backupId: string }) {
  const backup = await deps.backups.get(ids.projectId, ids.backupId);
  if (!backup || backup.graphId !== ids.graphId || backup.deleting) throw new GesError('GES.7024');
  return backup;
}

/**
 * Deletes a backup and its files, synchronously. The record is marked first, so no job can start
 * reading a backup whose files are going; it is removed last, so a delete that breaks halfway is
 * finished by the next one. A backup that a running job writes or reads is refused with GES.7001.
 */
export async function deleteBackup(
  deps: Deps,
  ids: { projectId: string; graphId: string; backupId: string },
) {
  const backup = await deps.backups.get(ids.projectId, ids.backupId);
  if (!backup || backup.graphId !== ids.graphId) throw new GesError('GES.7024');
  if (!backup.deleting && !(await deps.backups.markDeleting(backup))) {
    const now = await deps.backups.get(ids.projectId, ids.backupId);
    throw new GesError(now && !now.deleting ? 'GES.7001' : 'GES.7024');
  }
  await removeBackup(deps, backup);
  return {};
}

/** Files first, then the record and its unit of quota: a record never points at files that are gone. */
export async function removeBackup(deps: Deps, backup: BackupRecord) {
  await deps.blobs.deletePrefix(backupPrefix(backup));
  await transact(deps.ddb, [
    deps.backups.deleteAction(backup),
    deps.projects.returnAction(backup.projectId, 'backupCount'),
  ]);
}

/** What the project may still create. */
export async function quotas(deps: Deps, projectId: string) {
  const counts = await deps.projects.counts(projectId);
  return {
    quotas: {
      resources: [
        { type: 'graph', available: Math.max(0, deps.config.graphQuota - counts.graphCount) },
        { type: 'backup', available: Math.max(0, deps.config.backupQuota - counts.backupCount) },
      ],
    },
  };
}
