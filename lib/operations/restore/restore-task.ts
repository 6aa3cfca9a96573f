import { mapLimit } from '../../core/concurrency.js';
import { GesError } from '../../core/errors.js';
import { backupEvent } from '../../records/backups/events.js';
import { ContentDigest, recordLine } from '../../records/backups/format.js';
import { readManifest } from '../../records/backups/manifest.js';
import { backupPrefix } from '../../records/backups/model.js';
import { readPart } from '../../records/backups/read-part.js';
import { countItems, emptyCounts } from '../../records/graphs/counters.js';
import { toItem } from '../../records/graphs/data-keys.js';
import { waitForWriters } from '../../records/graphs/data-repo.js';
import { existing, type GraphRecord, GraphStatus } from '../../records/graphs/model.js';
import type { JobDetail } from '../../records/jobs/model.js';
import { jobTask } from '../../runtime/task.js';
import { type RestoreJob, restoreFields } from './job.js';

/** The generation a restore loads into: the next one, which no reader sees until the flip. */
const targetOf = (graph: GraphRecord) => graph.generation + 1;

/**
 * A StartGraph job with a backup: all or nothing. The backup is loaded into a new generation, every
 * part checked against its SHA-256 and the whole against the manifest's content digest; only then
 * does one conditional update switch the graph to it. Until that instant the graph is exactly as it
 * was, and a failure leaves it so, stopped.
 */
export const restoreTask = jobTask<RestoreJob>({
  kind: 'restore',
  fields: restoreFields,
  failure: { code: 'GES.7040', what: 'Failed to restore the graph from the backup' },

  async run(deps, job, context) {
    // Every batch that began before the graph was taken is written whole before anything is read.
    await waitForWriters(deps, job, deps.clock, deps.config.batchLeaseSeconds * 1000);
    const graph = existing(await deps.graphs.get(job.projectId, job.graphId));
    const backup = await deps.backups.get(job.projectId, job.backupId);
    if (!backup) throw new GesError('GES.7024');
    const folder = backupPrefix(backup);
    const manifest = await readManifest(deps.blobs, folder);
    const target = { graphId: graph.graphId, generation: targetOf(graph), shards: graph.shards };

    await deps.data.dropGeneration(target.graphId, target.generation, target.shards); // an earlier attempt's
    const detail: JobDetail = {
      vertices: { done: 0, expected: manifest.counts.vertices },
      edges: { done: 0, expected: manifest.counts.edges },
      shards: { done: 0, expected: manifest.files.length },
    };
    let reporting = Promise.resolve();
    await mapLimit(manifest.files, deps.config.snapshotConcurrency, async (part) => {
      const counts = emptyCounts();
      const loaded = await readPart(deps.blobs, folder, part, (records) => {
        const items = records.map((r) => toItem(target.graphId, target.generation, target.shards, r));
        countItems(items, counts);
        return deps.data.load(items);
      });
      await deps.data.recordLoaded(target.graphId, target.generation, part.key, counts);
      detail.vertices.done += loaded.vertices;
      detail.edges.done += loaded.edges;
      detail.shards.done += 1;
      const now = structuredClone(detail);
      reporting = reporting.then(() =>
        context.report(Math.floor((90 * now.shards.done) / now.shards.expected), now),
      );
      await reporting;
    });

    // Read back what was written, shards in parallel: the same content, by digest and counts, or no
    // switch. Digests of shards add up to the digest of the whole.
    const digest = new ContentDigest();
    let vertices = 0;
    let edges = 0;
    const shards = Array.from({ length: target.shards }, (_, shard) => shard);
    await mapLimit(shards, deps.config.snapshotConcurrency, async (shard) => {
      const ofShard = new ContentDigest();
      for await (const page of deps.data.readShard(target.graphId, target.generation, shard)) {
        for (const item of page) {
          ofShard.add(recordLine(item));
          if (item.k === 'V') vertices++;
          else edges++;
        }
      }
      digest.merge(ofShard.hex());
    });
    if (
      digest.hex() !== manifest.contentDigest.value ||
      vertices !== manifest.counts.vertices ||
      edges !== manifest.counts.edges
    ) {
      throw new GesError(
        'GES.7040',
        'Failed to restore the graph: the loaded content does not match the backup.',
      );
    }

    const switched = await deps.store.transact([
      deps.jobs.end(job, { status: 'success' }, deps.clock.now(), context.runId),
      deps.graphs.release(job, job.jobId, GraphStatus.running, deps.clock.now(), target.generation),
      deps.backups.release(backup, job.jobId),
    ]);
    if (switched.ok) {
      await deps.data
        .dropGeneration(graph.graphId, graph.generation, graph.shards)
        .catch((error: unknown) => {
          context.log.warn('could not drop the replaced generation', { error: error as Error });
        });
    }
    return switched.ok ? 'ended' : 'lost';
  },

  failActions: (deps, job, end, at, runId) => [
    deps.jobs.end(job, end, at, runId),
    deps.graphs.release(job, job.jobId, GraphStatus.stopped, at),
    deps.backups.release(job, job.jobId),
  ],

  /** Drops whatever was loaded into the generation that never became current. */
  async cleanUp(deps, job) {
    const graph = await deps.graphs.get(job.projectId, job.graphId);
    if (graph) await deps.data.dropGeneration(graph.graphId, targetOf(graph), graph.shards);
  },

  announce: (deps, job) => backupEvent(deps.backups, job, 'Graph Restore'),
});
