import { removeBackup } from '../backups/catalog.js';
import type { BackupRecord } from '../backups/model.js';
import { transact } from '../dynamo.js';
import type { JobTask } from '../jobs/run-job.js';
import { GraphStatus } from './model.js';

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
export const deleteGraphTask: JobTask = {
  failure: { code: 'GES.7006', what: 'Failed to delete the graph' },

  async run(deps, job, context) {
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
    for (const backup of backupsToDelete(backups, job.keepBackup ?? false)) {
      if (backup.deleting || (await deps.backups.markDeleting(backup))) await removeBackup(deps, backup);
    }
    const ended = await transact(deps.ddb, [
      deps.jobs.endAction(job, { status: 'success' }, deps.clock.now(), context.runId),
      deps.graphs.removeAction(job),
    ]);
    return ended ? 'ended' : 'lost';
  },

  failActions: (deps, job, end, at, runId) => [
    deps.jobs.endAction(job, end, at, runId),
    deps.graphs.releaseAction(job, job.jobId, GraphStatus.deleted),
  ],
};
