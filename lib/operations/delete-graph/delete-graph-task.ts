import type { BackupRecord } from '../../records/backups/model.js';
import { waitForWriters } from '../../records/graphs/data-repo.js';
import { GraphStatus } from '../../records/graphs/model.js';
import { jobTask } from '../../runtime/task.js';
import { removeBackup } from '../catalog/catalog.js';
import { type DeleteGraphJob, deleteGraphFields } from './job.js';

/** With keepBackup, GES keeps the newest automatic backup and the two newest manual ones. */
export function backupsToDelete(newestFirst: BackupRecord[], keepBackup: boolean): BackupRecord[] {
  if (!keepBackup) return newestFirst;
  const keep = new Set([
    ...newestFirst.filter((b) => b.backupMethod === 'auto' && b.status === 'success').slice(0, 1),
    ...newestFirst.filter((b) => b.backupMethod !== 'auto' && b.status === 'success').slice(0, 2),
  ]);
  return newestFirst.filter((b) => !keep.has(b));
}

/** A DeleteGraph job: every generation of the data, then the backups not kept, then the record. */
export const deleteGraphTask = jobTask<DeleteGraphJob>({
  kind: 'delete-graph',
  fields: deleteGraphFields,
  failure: { code: 'GES.7006', what: 'Failed to delete the graph' },

  async run(deps, job, context) {
    // Every batch that began before the graph was taken is written whole before anything is read.
    await waitForWriters(deps, job, deps.clock, deps.config.batchLeaseSeconds * 1000);
    const graph = await deps.graphs.get(job.projectId, job.graphId);
    if (graph) {
      // Up to the generation after the current one: a restore that failed may have left some there.
      for (let generation = 1; generation <= graph.generation + 1; generation++) {
        await deps.data.dropGeneration(graph.graphId, generation, graph.shards);
      }
    }
    const { page: backups } = await deps.backups.list(
      { projectId: job.projectId, graphId: job.graphId },
      0,
      Number.MAX_SAFE_INTEGER,
    );
    for (const backup of backupsToDelete(backups, job.keepBackup)) {
      if (backup.deleting || (await deps.backups.markDeleting(backup))) await removeBackup(deps, backup);
    }
    const ended = await deps.store.transact([
      deps.jobs.end(job, { status: 'success' }, deps.clock.now(), context.runId),
      deps.graphs.remove(job),
    ]);
    return ended.ok ? 'ended' : 'lost';
  },

  failActions: (deps, job, end, at, runId) => [
    deps.jobs.end(job, end, at, runId),
    deps.graphs.release(job, job.jobId, GraphStatus.deleted, at),
  ],
});
