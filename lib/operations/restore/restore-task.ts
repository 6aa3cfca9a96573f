import { mapLimit, window } from '../../core/concurrency.js';
import { GesError } from '../../core/errors.js';
import type { Item } from '../../core/store.js';
import { backupEvent } from '../../records/backups/events.js';
import { ContentDigest, type Manifest, type PartInfo } from '../../records/backups/format.js';
import { readManifest } from '../../records/backups/manifest.js';
import { backupPrefix } from '../../records/backups/model.js';
import { readPart } from '../../records/backups/read-part.js';
import { countItems, emptyCounts } from '../../records/graphs/counters.js';
import { type DataItem, toItem } from '../../records/graphs/data-keys.js';
import { waitForWriters } from '../../records/graphs/data-repo.js';
import {
  existing,
  type GraphElement,
  type GraphRecord,
  GraphStatus,
  nextGeneration,
} from '../../records/graphs/model.js';
import { type JobDetail, tallied } from '../../records/jobs/model.js';
import type { Deps } from '../../runtime/deps.js';
import { jobTask, type RunContext } from '../../runtime/task.js';
import {
  dropSlice,
  moveOn,
  reportProgress,
  runStageTask,
  type Slice,
  type Stage,
  type StagedKind,
  stageStepSchema,
} from '../stages/stages.js';
import { type RestoreJob, restoreFields } from './job.js';

/**
 * The stages of a restore, in order:
 * - `clear`: what an earlier, failed attempt left in the target generation is deleted (only when
 *   there is some);
 * - `load`: every part file of the backup, checked as it streams (its SHA-256, bytes, record counts
 *   and content digest, `readPart`), is written into the target generation, one never given before, which no
 *   reader sees; a task per group of parts. Each part loaded records its counts and content digest;
 * - the check, when the last part is loaded: every part of the manifest was loaded, the parts'
 *   digests add up to the manifest's content digest and their counts to its counts, or the restore
 *   fails (the data is not read back: each part proved, as it was written, that it is what the
 *   manifest lists, and the digests of all of them prove that they are the whole backup);
 * - the switch, in the same step: one transaction moves the graph to the target generation, running,
 *   frees it and the backup, and moves the job from `load` to `drop`. Until that instant the graph is exactly as it was, and a
 *   failure leaves it so, stopped;
 * - `drop`: the replaced generation is deleted, shard by shard, page by page.
 * The graph runs on the restored data from the switch; the job reports success once the replaced
 * generation is gone, so a job that has ended leaves nothing of the graph's old data behind. A run
 * that dies in the drop is taken over like any other: the drop goes on from the job's stage.
 */
const STAGES = ['clear', 'load', 'drop'] as const;

/** A restore job as a kind of staged job: its stages on this delivery's deps. */
function restoreStages(deps: Deps, context: RunContext): StagedKind<RestoreJob> {
  let manifest: Promise<Manifest> | undefined;
  const manifestOf = (job: RestoreJob) => {
    manifest ??= readManifest(deps.blobs, backupPrefix(job));
    return manifest;
  };
  let graph: Promise<GraphRecord> | undefined;
  const graphOf = (job: RestoreJob) => {
    graph ??= deps.graphs.get(job.projectId, job.graphId).then(existing);
    return graph;
  };
  const kind: StagedKind<RestoreJob> = {
    narrowed: (record) => restoreTask.narrowed(record as never),
    next: (name) => STAGES[STAGES.indexOf(name as (typeof STAGES)[number]) + 1],

    async stage(job, name): Promise<Stage> {
      const { shards, graphId } = await graphOf(job);
      const target = targetOf(job);
      const drop = (generation: number): Stage => ({
        name,
        units: shards,
        work: (shard, state) => dropSlice(deps, { graphId, generation, shard }, state),
      });
      if (name === 'clear') return drop(target);
      if (name === 'drop') return drop(replacedOf(job));
      if (name === 'load') {
        const { files } = await manifestOf(job);
        const folder = backupPrefix(job);
        return {
          name,
          units: files.length,
          work: async (index): Promise<Slice> => {
            const part = files[index];
            if (!part) throw new Error(`no part ${index} in the manifest`);
            const counts = emptyCounts();
            const loaded = await loadPart(deps, folder, part, (records) => {
              const items = records.map((r) => toItem(graphId, target, shards, r));
              countItems(items, counts);
              return items;
            });
            // The new generation's counters, by part: a part loaded again is counted once.
            await deps.data.recordLoaded(graphId, target, part.key, counts);
            return { done: true, result: { key: part.key, ...loaded } };
          },
        };
      }
      throw new Error(`a restore has no stage ${name}`);
    },

    async stageDone(job, name) {
      if (name === 'clear') {
        // An earlier attempt's counters go with its data, before this attempt counts its own.
        await deps.data.dropCounters(job.graphId, targetOf(job));
        return moveOn(deps, kind, job, { from: 'clear', to: 'load' }, context);
      }
      if (name === 'load') {
        const parts = await deps.jobs.entries(job, 'PART', 'load.');
        const loaded = checkContent(parts, await manifestOf(job));
        const now = deps.clock.now();
        // The switch: the graph runs on the restored generation from this transaction on.
        return moveOn(deps, kind, job, { from: 'load', to: 'drop', fields: { loaded } }, context, [
          deps.graphs.release(job, job.jobId, GraphStatus.running, now, targetOf(job)),
          deps.backups.release(job, job.jobId),
        ]);
      }
      await deps.data.dropCounters(job.graphId, replacedOf(job));
      const final = progressOf(job);
      const ended = await deps.store.transact([
        deps.jobs.end(job, { status: 'success' }, deps.clock.now(), context.runId, final.detail),
      ]);
      return ended.ok ? 'ended' : 'lost';
    },

    report: (job) => reportProgress(deps, job, context.runId, progressOf(job)),
  };
  return kind;
}

const noDetail: JobDetail = { vertices: { done: 0 }, edges: { done: 0 }, shards: { done: 0, expected: 0 } };

const targetOf = (job: RestoreJob): number => {
  if (job.target === undefined) throw new Error('the restore has no target generation yet');
  return job.target;
};

/** The generation the switch replaces: the graph's when the restore began (before `replaced` was kept, the one before the target). */
const replacedOf = (job: RestoreJob): number => job.replaced ?? targetOf(job) - 1;

/**
 * A load keeps up to LOAD_REQUESTS BatchWriteItem of LOAD_BATCH items (DynamoDB's most) in flight
 * while it parses what follows; memory holds those and the batch being parsed. A part is one shard,
 * one partition: on DynamoDB a partition takes about 1,000 writes a second, which a few requests of
 * 25 in flight already offer (more would only be throttled), and on DynamoDB Local four tasks of 8
 * are the 32 requests it serves fastest (bench/data.ts).
 */
const LOAD_BATCH = 25;
const LOAD_REQUESTS = 8;

/**
 * Reads a part (checked as `readPart` checks it) and writes its items, LOAD_REQUESTS batches in
 * flight while the next are parsed. It returns, or throws, only once every write it started has
 * settled.
 */
async function loadPart(
  deps: Deps,
  folder: string,
  part: PartInfo,
  toItems: (records: GraphElement[]) => DataItem[],
): Promise<{ vertices: number; edges: number; digest: string }> {
  const writes = window(LOAD_REQUESTS);
  let loaded: { vertices: number; edges: number; digest: string };
  try {
    loaded = await readPart(deps.blobs, folder, part, async (records) => {
      const items = toItems(records);
      for (let i = 0; i < items.length; i += LOAD_BATCH) {
        const batch = items.slice(i, i + LOAD_BATCH);
        await writes.add(() => deps.data.load(batch));
      }
    });
  } finally {
    await writes.settled();
  }
  return loaded;
}

/**
 * The parts loaded (the load's entries in the job's ledger) hold the backup's content: every part of
 * the manifest, by name, was loaded, their digests add up to the manifest's content digest and their
 * counts to its counts, or there is no switch.
 */
function checkContent(entries: Item[], manifest: Manifest): { vertices: number; edges: number } {
  const digest = new ContentDigest();
  let vertices = 0;
  let edges = 0;
  const parts = new Map(entries.map((part) => [String(part.entry), part]));
  const whole = manifest.files.every((file, index) => parts.get(`load.${index}`)?.key === file.key);
  for (const part of parts.values()) {
    digest.merge(String(part.digest));
    vertices += Number(part.vertices);
    edges += Number(part.edges);
  }
  if (
    !whole ||
    digest.hex() !== manifest.contentDigest.value ||
    vertices !== manifest.counts.vertices ||
    edges !== manifest.counts.edges
  ) {
    throw new GesError(
      'GES.7040',
      'Failed to restore the graph: the loaded content does not match the backup.',
    );
  }
  return { vertices, edges };
}

/** Progress through the stages (load counts most), and the records loaded so far, from the job's sums. */
export function progressOf(job: RestoreJob): { progress: number; detail: JobDetail; seen: number } {
  const loaded = tallied(job, 'load.parts');
  const shardsExpected = job.detail?.shards.expected ?? 1;
  const detail: JobDetail = {
    // After the switch, what it checked (a run that took over the drop has loaded nothing itself).
    vertices: {
      done: job.loaded?.vertices ?? tallied(job, 'load.vertices'),
      expected: job.detail?.vertices.expected,
    },
    edges: { done: job.loaded?.edges ?? tallied(job, 'load.edges'), expected: job.detail?.edges.expected },
    shards: { done: job.loaded ? shardsExpected : loaded, expected: shardsExpected },
  };
  const shards = Math.max(1, job.shardCount ?? 1);
  const fraction = (done: number, of: number) => Math.min(1, of ? done / of : 1);
  const stage = STAGES.indexOf((job.stage ?? 'clear') as (typeof STAGES)[number]);
  const load = stage > 1 ? 1 : fraction(loaded, shardsExpected);
  const drop = fraction(tallied(job, 'drop.parts'), shards);
  const progress = Math.min(99, Math.floor(90 * load + 9 * drop));
  return { progress, detail, seen: tallied(job, 'parts') };
}

/** Whether any shard of a generation holds anything: a cheap look, one item a shard at most. */
async function holdsData(deps: Deps, graph: GraphRecord, generation: number): Promise<boolean> {
  const shards = Array.from({ length: graph.shards }, (_, shard) => shard);
  const found = await mapLimit(shards, deps.config.snapshotConcurrency, async (shard) => {
    const page = await deps.data.readPage(graph.graphId, generation, shard, undefined, 1);
    return page.items.length > 0;
  });
  return found.some(Boolean);
}

/**
 * A StartGraph job with a backup: all or nothing, in stages that fan out and checkpoint (see
 * STAGES), so that no step needs more than one task budget whatever the backup's size.
 */
export const restoreTask = jobTask<RestoreJob>({
  kind: 'restore',
  fields: restoreFields,
  failure: { code: 'GES.7040', what: 'Failed to restore the graph from the backup' },

  async run(deps, job, context) {
    const kind = restoreStages(deps, context);
    // A new run (the first, or one that took over a dead one) starts its stage again, counting anew.
    if (job.stage === 'drop') {
      // Switched already: what is left is to drop the replaced generation. The graph runs and takes
      // writes, and the backup may be gone: neither is waited for nor read.
      if (!(await deps.jobs.startTasks(job.projectId, job.jobId, context.runId, 0, job.detail ?? noDetail)))
        return 'lost';
      const fresh = { ...job, ledger: context.runId, tally: {} };
      return moveOn(deps, kind, fresh, { from: 'drop', to: 'drop' }, context);
    }
    // Every batch that began before the graph was taken is written whole before anything is read.
    await waitForWriters(deps, job, deps.clock, deps.config.batchLeaseSeconds * 1000);
    const graph = existing(await deps.graphs.get(job.projectId, job.graphId));
    const manifest = await readManifest(deps.blobs, backupPrefix(job));
    const detail: JobDetail = {
      vertices: { done: 0, expected: manifest.counts.vertices },
      edges: { done: 0, expected: manifest.counts.edges },
      shards: { done: 0, expected: manifest.files.length },
    };
    if (!(await deps.jobs.startTasks(job.projectId, job.jobId, context.runId, 0, detail))) return 'lost';
    const fresh = { ...job, detail, ledger: context.runId, tally: {}, shardCount: graph.shards };
    // A generation never given before, given in the move's transaction; a run that takes the job over
    // keeps it, and clears what the dead run loaded there.
    const target = job.target ?? nextGeneration(graph);
    const first = (await holdsData(deps, graph, target)) ? 'clear' : 'load';
    return moveOn(
      deps,
      kind,
      fresh,
      {
        from: job.stage,
        to: first,
        fields: { target, replaced: graph.generation, shardCount: graph.shards },
      },
      context,
      job.target === undefined ? [deps.graphs.allocate(job, job.jobId, target)] : [],
    );
  },

  async continue(deps, job, step, context) {
    return runStageTask(deps, restoreStages(deps, context), job, stageStepSchema.parse(step), context);
  },

  /**
   * A restore that failed before its switch leaves the graph stopped; after it, the graph runs on.
   * What it leaves, the generation it loaded into (before) or the one it replaced (after), is
   * discarded in the same transaction, for the garbage collector to drop (operations/graphs/garbage.ts),
   * however large: no failure leaves data that nothing will remove.
   */
  failActions: (deps, job, end, at, runId) => {
    const switched = job.stage === 'drop';
    const left = job.target === undefined ? undefined : switched ? replacedOf(job) : job.target;
    const discard =
      left === undefined || !job.shardCount
        ? []
        : [deps.data.discard(job, job.shardCount, { from: left, to: left }, at)];
    return switched
      ? [deps.jobs.end(job, end, at, runId), ...discard]
      : [
          deps.jobs.end(job, end, at, runId),
          deps.graphs.release(job, job.jobId, GraphStatus.stopped, at),
          deps.backups.release(job, job.jobId),
          ...discard,
        ];
  },

  announce: (deps, job) => backupEvent(deps.backups, job, 'Graph Restore'),
});
