import type { BackupRecord } from '../../records/backups/model.js';
import { waitForWriters } from '../../records/graphs/data-repo.js';
import { dataGenerations, GraphStatus } from '../../records/graphs/model.js';
import { type JobDetail, tallied } from '../../records/jobs/model.js';
import type { Deps } from '../../runtime/deps.js';
import { jobTask, type RunContext } from '../../runtime/task.js';
import { removeBackup } from '../catalog/catalog.js';
import {
  dropSlice,
  moveOn,
  reportProgress,
  runStageTask,
  type Stage,
  type StagedKind,
  stageStepSchema,
} from '../stages/stages.js';
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

/**
 * A DeleteGraph job: every generation of the data, dropped in one stage that fans out and checkpoints
 * like a restore's drop (units: each shard of each generation, a page a slice), then the backups not
 * kept, then the graph's record, in the task that finds the stage done. A run that dies is taken over
 * and drops again what is left.
 */
export const deleteGraphTask = jobTask<DeleteGraphJob>({
  kind: 'delete-graph',
  fields: deleteGraphFields,
  failure: { code: 'GES.7006', what: 'Failed to delete the graph' },

  async run(deps, job, context) {
    // Every batch that began before the graph was taken is written whole before anything is read.
    await waitForWriters(deps, job, deps.clock, deps.config.batchLeaseSeconds * 1000);
    // Known since the request (a job of an older version reads them from the graph).
    const graph =
      job.generations === undefined ? await deps.graphs.get(job.projectId, job.graphId) : undefined;
    const generations = job.generations ?? (graph ? dataGenerations(graph) : 0);
    const shardCount = job.shardCount ?? graph?.shards ?? 0;
    const detail: JobDetail = {
      vertices: { done: 0 },
      edges: { done: 0 },
      shards: { done: 0, expected: generations * shardCount },
    };
    if (!(await deps.jobs.startTasks(job.projectId, job.jobId, context.runId, 0, detail))) return 'lost';
    const fresh = { ...job, detail, ledger: context.runId, tally: {} };
    return moveOn(
      deps,
      deleteStages(deps, context),
      fresh,
      { from: job.stage, to: 'drop', fields: { generations, shardCount } },
      context,
    );
  },

  async continue(deps, job, step, context) {
    return runStageTask(deps, deleteStages(deps, context), job, stageStepSchema.parse(step), context);
  },

  /** The graph is gone for every caller; what is left of its data goes to the garbage collector. */
  failActions: (deps, job, end, at, runId) => [
    deps.jobs.end(job, end, at, runId),
    deps.graphs.release(job, job.jobId, GraphStatus.deleted, at),
    ...(job.generations && job.shardCount
      ? [deps.data.discard(job, job.shardCount, { from: 1, to: job.generations }, at)]
      : []),
  ],
});

/** The one stage of a deletion, `drop`: unit `g * shards + s` is shard `s` of generation `g + 1`. */
function deleteStages(deps: Deps, context: RunContext): StagedKind<DeleteGraphJob> {
  const kind: StagedKind<DeleteGraphJob> = {
    narrowed: (record) => deleteGraphTask.narrowed(record as never),
    next: () => undefined,
    async stage(job, name): Promise<Stage> {
      const shards = job.shardCount ?? 0;
      return {
        name,
        units: (job.generations ?? 0) * shards,
        work: (unit, state) =>
          dropSlice(
            deps,
            { graphId: job.graphId, generation: Math.floor(unit / shards) + 1, shard: unit % shards },
            state,
          ),
      };
    },
    async stageDone(job) {
      // Every generation's data is gone: their counters go too.
      for (let generation = 1; generation <= (job.generations ?? 0); generation++) {
        await deps.data.dropCounters(job.graphId, generation);
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
    async report(job) {
      const dropped = tallied(job, 'drop.parts');
      const expected = job.detail?.shards.expected ?? 0;
      const progress = Math.min(99, Math.floor((99 * dropped) / Math.max(1, expected)));
      const detail = { vertices: { done: 0 }, edges: { done: 0 }, shards: { done: dropped, expected } };
      await reportProgress(deps, job, context.runId, { progress, detail, seen: dropped });
    },
  };
  return kind;
}
