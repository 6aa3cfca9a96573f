import { mapLimit } from '../../core/concurrency.js';
import { GesError, LeaseLost } from '../../core/errors.js';
import { backupEvent } from '../../records/backups/events.js';
import {
  ContentDigest,
  FORMAT_VERSION,
  MANIFEST_FILE,
  type Manifest,
  partFileName,
} from '../../records/backups/format.js';
import { backupPrefix, type DescribedBackup, describe, isDescribed } from '../../records/backups/model.js';
import { totals } from '../../records/graphs/counters.js';
import { waitForWriters } from '../../records/graphs/data-repo.js';
import { existing, GraphStatus } from '../../records/graphs/model.js';
import { type JobDetail, tallied } from '../../records/jobs/model.js';
import type { Deps } from '../../runtime/deps.js';
import { jobTask, type RunContext, type TaskResult } from '../../runtime/task.js';
import {
  type BackupJob,
  type BackupStep,
  backupFields,
  backupStepSchema,
  partOf,
  positionsOf,
  type ShardPosition,
} from './job.js';
import { snapshotSegment } from './snapshot.js';

/**
 * A BackupGraph job fans out: the delivery that takes the job counts the shards and sends one task
 * per group of shards (`SHARDS_PER_TASK`), each its own SQS message, run concurrently by the worker.
 * A task writes one part file per shard segment and records each on the job; the last task to finish
 * (a set on the job counts them) writes the manifest, the commit marker, and ends the job in one
 * transaction with the backup and the graph's lock. A task reads its shards at once, so every shard
 * partition is read at the same time. A task whose time (`TASK_BUDGET_SECONDS`) is up starts no new
 * segment: it checkpoints where each of its shards is and goes on in a new message. Segments have
 * fixed bounds, so a retried, duplicated or continued task writes exactly the same files.
 *
 * Under faults: a run that takes the job over from a dead one keeps the parts and tasks that run
 * recorded and redoes only the rest, under its own run id. The files of a run that lost the job (a
 * part uploaded and never recorded, a part another run wrote again) are strays: a task whose part
 * is refused removes its own at once, and the task that finishes removes every file its manifest
 * does not list, after writing the manifest and before the success (run again, a finish does it
 * again), so a successful backup's folder holds its manifest's files and nothing else.
 */
export const backupTask = jobTask<BackupJob>({
  kind: 'backup',
  fields: backupFields,
  failure: { code: 'GES.7040', what: 'Failed to back up a graph' },

  async run(deps, job, context) {
    // Every batch that began before the graph was taken is written whole before anything is read.
    await waitForWriters(deps, job, deps.clock, deps.config.batchLeaseSeconds * 1000);
    const backup = await backupOf(deps, job, context.runId);
    const groups = shardGroups(backup.shards, deps.config.shardsPerTask);
    const { segmentItems } = deps.config;
    const all: BackupStep[] = groups.map((shards, task) => ({
      runId: context.runId,
      task,
      shards,
      segmentItems,
    }));
    // A run that took the job over from a dead one keeps that run's ledger: its parts are written
    // and checked, its tasks done are done. Only the tasks it did not finish run again (a part they
    // record again stays as recorded), so jobProgress goes on from where it was. A dead run that split
    // the shards or cut the segments otherwise (another deployment's settings) is not continued: its
    // segments would not line up.
    const takenOver =
      job.ledger !== undefined && job.tasks === groups.length && job.segmentItems === segmentItems;
    const started = takenOver ? job : await startTasks(deps, job, backup, groups.length, context);
    if (!started) return 'lost';
    const done = takenOver ? new Set((await deps.jobs.entries(job, 'TASK')).map((t) => t.entry)) : new Set();
    const steps = all.filter((step) => !done.has(String(step.task)));
    const [first, ...others] = steps;
    if (!first) return finish(deps, started, backup, context);
    // Every task but the first goes out as a message; this delivery runs the first itself.
    await deps.queue.sendAll(
      others.map((step) => ({ projectId: job.projectId, jobId: job.jobId, step })),
      context.requestId,
    );
    return runTask(deps, started, backup, first, context);
  },

  async continue(deps, job, step, context) {
    return runTask(
      deps,
      job,
      await backupOf(deps, job, context.runId),
      backupStepSchema.parse(step),
      context,
    );
  },

  /** A failed backup counts for nothing: its unit of quota goes back with the failure. */
  failActions: (deps, job, end, at, runId) => [
    deps.jobs.end(job, end, at, runId),
    deps.backups.fail(job, at),
    deps.graphs.release(job, job.jobId, GraphStatus.running, at),
    deps.projects.giveBack(job.projectId, 'backupCount'),
  ],

  /** Files without a manifest are no backup, but they cost money: remove them. */
  async cleanUp(deps, job) {
    await deps.blobs.deletePrefix(backupPrefix(job));
  },

  announce: (deps, job) => backupEvent(deps.backups, job, 'Graph Backup'),
});

/**
 * One task: its shards read at once, each segment by segment and each part recorded on the job; the
 * last task finishes. A shard whose time is up starts no new segment; once every shard has stopped,
 * the task checkpoints where each one is, in one message. A run that lost the job, or a fault in
 * one shard, stops the others at their next segment, and the task ends only once every shard has.
 */
async function runTask(
  deps: Deps,
  job: BackupJob,
  backup: DescribedBackup,
  step: BackupStep,
  context: RunContext,
): Promise<TaskResult> {
  const started = deps.clock.now();
  const timeIsUp = () => deps.clock.now() - started >= deps.config.taskBudgetMs;
  // Set when the run lost the job or a shard failed: no shard starts another segment.
  let halted = false;
  let lost = false;
  const positions = positionsOf(step);
  const left = await mapLimit(positions, positions.length, async (position) => {
    try {
      return await snapshotShard(deps, job, backup, step, position, context, {
        stop: (segmentsDone) => halted || (segmentsDone > 0 && timeIsUp()),
        lose: () => {
          halted = true;
          lost = true;
        },
      });
    } catch (error) {
      halted = true;
      throw error;
    }
  });
  if (lost) return 'lost';
  const at = left.filter((position) => position !== undefined);
  if (at.length) {
    // Checkpoint: the rest of this task goes on in a new message.
    await deps.queue.send(
      { projectId: job.projectId, jobId: job.jobId, step: { ...withoutFrom(step), at } },
      context.requestId,
    );
    return 'handed-off';
  }
  const record = await deps.jobs.record(job, context.runId, 'TASK', {
    name: String(step.task),
    adds: { tasks: 1 },
  });
  if (!record) return 'lost';
  const now = backupTask.narrowed(record.job);
  const total = now.tasks ?? Number.POSITIVE_INFINITY;
  const done = await deps.jobs.tasksDone(now, { sum: 'tasks', prefix: '', fresh: record.fresh, total });
  if (done < total) return 'handed-off';
  return finish(deps, now, backup, context);
}

const withoutFrom = ({ from: _from, ...step }: BackupStep): BackupStep => step;

/**
 * One shard of a task from `position`, segment by segment, until its end (undefined) or until
 * `stop` says so before a segment (where it stopped: the position to go on from).
 */
async function snapshotShard(
  deps: Deps,
  job: BackupJob,
  backup: DescribedBackup,
  step: BackupStep,
  position: ShardPosition,
  context: RunContext,
  control: { stop(segmentsDone: number): boolean; lose(): void },
): Promise<ShardPosition | undefined> {
  const { shard } = position;
  let { segment, startKey } = position;
  for (let segmentsDone = 0; ; segmentsDone++) {
    if (control.stop(segmentsDone)) return { shard, segment, ...(startKey && { startKey }) };
    const file = partFileName(shard, segment, context.runId);
    const written = await snapshotSegment(
      deps.data,
      deps.blobs,
      {
        graphId: backup.graphId,
        generation: backup.generation,
        shard,
        segment,
        startKey,
        // The run's segment size, whatever deployment delivers this step: a task run again cuts
        // the same segments.
        maxItems: step.segmentItems ?? deps.config.segmentItems,
        pageSize: deps.config.queryPageSize,
      },
      backupPrefix(backup),
      file,
    );
    // The shard is done when no key is left to resume from.
    const last = !written.resumeKey;
    const { part } = written;
    const entry = `${shard}.${segment}`;
    const recorded = await deps.jobs.record(job, context.runId, 'PART', {
      name: entry,
      values: { ...part, last },
      adds: { parts: 1, vertices: part.vertices, edges: part.edges, shards: last ? 1 : 0 },
    });
    if (!recorded) {
      control.lose();
      await dropUnrecorded(deps, job, backup, { entry, file }, context);
      return undefined;
    }
    // Recorded before (a task of a dead run's ledger run again): the ledger keeps the file it lists,
    // and this one is a stray.
    if (!recorded.fresh) await dropUnrecorded(deps, job, backup, { entry, file }, context);
    await reportProgress(backupTask.narrowed(recorded.job), context);
    if (!written.resumeKey) return undefined;
    segment++;
    startKey = written.resumeKey;
  }
}

function shardGroups(shards: number, perTask: number): number[][] {
  const all = Array.from({ length: shards }, (_, shard) => shard);
  const groups: number[][] = [];
  for (let i = 0; i < all.length; i += perTask) groups.push(all.slice(i, i + perTask));
  return groups;
}

/**
 * The expected counts of jobDetail (from the graph's counters), and a ledger of this run's own for
 * the tasks: the job as it now is, or undefined when the run lost it.
 */
async function startTasks(
  deps: Deps,
  job: BackupJob,
  backup: DescribedBackup,
  tasks: number,
  context: RunContext,
): Promise<BackupJob | undefined> {
  // The counters are exact here: the graph is held and every batch is written.
  const expected = totals(await deps.data.counts(backup.graphId, backup.generation));
  const detail: JobDetail = {
    vertices: { done: 0, expected: expected.vertices },
    edges: { done: 0, expected: expected.edges },
    shards: { done: 0, expected: backup.shards },
  };
  const fields = { segmentItems: deps.config.segmentItems };
  if (!(await deps.jobs.startTasks(job.projectId, job.jobId, context.runId, tasks, detail, fields)))
    return undefined;
  return { ...job, ...fields, tasks, detail, ledger: context.runId, tally: {} };
}

/**
 * A part this run uploaded but could not record (the run lost the job, or the ledger holds the
 * segment already) is a stray: removed at once, unless the job's ledger lists that very file for the
 * segment (a duplicate of a task rewrote a file of the run that ended the job, or that a run taking
 * over kept), which is then the file it lists, byte for byte. Best effort: a stray left here is still
 * removed by the task that finishes the backup, or by the clean-up of a failed one.
 */
async function dropUnrecorded(
  deps: Deps,
  job: BackupJob,
  backup: DescribedBackup,
  part: { entry: string; file: string },
  context: RunContext,
): Promise<void> {
  const { file } = part;
  try {
    const now = await deps.jobs.get(job.projectId, job.jobId);
    const live = now && (now.status === 'running' || now.status === 'success');
    const listed = live && (await deps.jobs.entry(now, 'PART', part.entry))?.key === file;
    if (!listed) await deps.blobs.deletePrefix(backupPrefix(backup) + file);
  } catch (error) {
    context.log.warn('could not remove a part the run did not record', { file, error: error as Error });
  }
}

/**
 * The job's backup, described. A backup is accepted without reading its graph, so the delivery that
 * first finds it undescribed reads the graph and records what it found, on the condition that the
 * job still holds the graph: held since the backup was accepted, its generation cannot have moved.
 */
async function backupOf(deps: Deps, job: BackupJob, runId: string): Promise<DescribedBackup> {
  const backup = await deps.backups.get(job.projectId, job.backupId);
  if (!backup) throw new GesError('GES.7024');
  if (isDescribed(backup)) return backup;
  const graph = existing(await deps.graphs.get(job.projectId, job.graphId));
  const description = describe({ createdAt: backup.startAt, backupMethod: backup.backupMethod }, graph);
  const described = await deps.store.transact([
    deps.backups.describe(backup, description),
    deps.jobs.nameGraph(job, runId, graph.name),
    deps.graphs.heldBy(job, job.jobId),
  ]);
  // Refused: the job ended or went to another run, which will describe the backup itself.
  if (!described.ok) throw new LeaseLost();
  return { ...backup, ...description };
}

/**
 * jobDetail and jobProgress from the sums of the parts a view of the job holds. Views are taken as
 * each part is recorded (the record as it then is), so a later view counts every part an earlier one
 * does: its `seen` (the number of parts) orders them, and a report from an older view never
 * overwrites a newer one (`RunContext.report`).
 */
export function progressOf(job: Pick<BackupJob, 'tally' | 'detail'>): {
  progress: number;
  detail: JobDetail;
  seen: number;
} {
  const expected = job.detail;
  const shardsExpected = expected?.shards.expected ?? 1;
  const detail: JobDetail = {
    vertices: { done: tallied(job, 'vertices'), expected: expected?.vertices.expected },
    edges: { done: tallied(job, 'edges'), expected: expected?.edges.expected },
    shards: { done: tallied(job, 'shards'), expected: shardsExpected },
  };
  const total = (detail.vertices.expected ?? 0) + (detail.edges.expected ?? 0);
  const done = detail.vertices.done + detail.edges.done;
  const byRecords = total ? done / total : detail.shards.done / shardsExpected;
  return { progress: Math.min(99, Math.floor(99 * byRecords)), detail, seen: tallied(job, 'parts') };
}

async function reportProgress(job: BackupJob, context: RunContext) {
  const { progress, detail, seen } = progressOf(job);
  await context.report(progress, detail, seen);
}

/** The last task: the manifest from every recorded part, then the one transaction that ends it all. */
async function finish(
  deps: Deps,
  job: BackupJob,
  backup: DescribedBackup,
  context: RunContext,
): Promise<TaskResult> {
  const entries = await deps.jobs.entries(job, 'PART');
  const parts = entries.map(partOf).sort((a, b) => a.shard - b.shard || a.segment - b.segment);
  const digest = new ContentDigest();
  for (const part of parts) digest.merge(part.contentDigest);
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    projectId: backup.projectId,
    graphId: backup.graphId,
    graphName: backup.graphName,
    backupId: backup.backupId,
    jobId: job.jobId,
    backupMethod: backup.backupMethod,
    createdTimestamp: backup.startAt,
    shards: backup.shards,
    counts: {
      vertices: parts.reduce((n, p) => n + p.vertices, 0),
      edges: parts.reduce((n, p) => n + p.edges, 0),
    },
    totalBytes: parts.reduce((n, p) => n + p.bytes, 0),
    contentDigest: { algorithm: 'sha256-sum-mod-2^256', value: digest.hex() },
    files: parts,
  };
  // The manifest is the commit marker: written once every part is stored, and only by a run that
  // still owns the job (a run that lost it stops at this report).
  // The job ends with the counts of every part it wrote, those the manifest holds: from the ledger's
  // entries, exact even where a dead delivery left a part its sums do not count.
  const final = progressOf({
    ...job,
    tally: {
      parts: parts.length,
      vertices: manifest.counts.vertices,
      edges: manifest.counts.edges,
      shards: entries.filter((entry) => entry.last === true).length,
    },
  });
  await context.report(99, final.detail, final.seen);
  const folder = backupPrefix(backup);
  await deps.blobs.put(folder + MANIFEST_FILE, JSON.stringify(manifest, null, 2), 'application/json');
  // Nothing but the manifest's files may be left in the folder when the job succeeds: a finish that
  // dies from here on is run again, and removes them again.
  await removeStrays(deps, folder, manifest, context);
  const ended = await deps.store.transact([
    // The job ends with the counts of every part it wrote: those the manifest holds.
    deps.jobs.end(job, { status: 'success' }, deps.clock.now(), context.runId, final.detail),
    deps.backups.complete(backup, {
      endAt: deps.clock.now(),
      sizeBytes: manifest.totalBytes,
      vertexNum: manifest.counts.vertices,
      edgeNum: manifest.counts.edges,
    }),
    deps.graphs.release(job, job.jobId, GraphStatus.running, deps.clock.now()),
  ]);
  if (ended.ok) return 'ended';
  // A run that lost the job here may have written its manifest after a failure's clean-up.
  if ((await deps.jobs.get(job.projectId, job.jobId))?.status === 'failed')
    await deps.blobs.deletePrefix(folder);
  return 'lost';
}

/**
 * Checks the folder against the manifest with one listing: every file it lists is there at its size,
 * and every other object (a part of a dead or taken-over run, one uploaded but never recorded) is
 * removed. Our names never begin one another, so a prefix that is a whole stray key removes that key
 * alone; a foreign name that begins one of the backup's files would take it along, and stops the
 * backup instead.
 */
async function removeStrays(deps: Deps, folder: string, manifest: Manifest, context: RunContext) {
  const listed = new Map(
    (await deps.blobs.list(folder)).map((object) => [object.key.slice(folder.length), object.size]),
  );
  for (const part of manifest.files) {
    if (listed.get(part.key) !== part.bytes)
      throw new Error(`part ${part.key} of the manifest is not in the backup's folder as recorded`);
  }
  const kept = new Set([MANIFEST_FILE, ...manifest.files.map((part) => part.key)]);
  const strays = [...listed.keys()].filter((key) => !kept.has(key));
  const clash = strays.find((stray) => [...kept].some((key) => key.startsWith(stray)));
  if (clash !== undefined)
    throw new Error(`an object ${clash} in the backup's folder cannot be removed alone`);
  if (!strays.length) return;
  context.log.info('removing files no manifest lists', { strays });
  await mapLimit(strays, deps.config.snapshotConcurrency, (stray) => deps.blobs.deletePrefix(folder + stray));
}
