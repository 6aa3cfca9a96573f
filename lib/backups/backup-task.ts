import { mapLimit } from '../concurrency.js';
import type { Deps } from '../deps.js';
import { transact } from '../dynamo.js';
import { GesError } from '../errors.js';
import { GraphStatus } from '../graphs/model.js';
import type { JobDetail, JobRecord } from '../jobs/model.js';
import type { JobTask, RunContext } from '../jobs/run-job.js';
import { applyRetention } from '../policies/retention.js';
import {
  ContentDigest,
  FORMAT_VERSION,
  MANIFEST_FILE,
  type Manifest,
  type PartInfo,
  partFileName,
} from './format.js';
import { type BackupRecord, backupPrefix } from './model.js';
import { snapshotShard } from './snapshot.js';

const backupIds = (job: JobRecord) => ({ projectId: job.projectId, backupId: job.backupId as string });

/**
 * A BackupGraph job: every shard streamed to its part file, then the manifest (the commit marker),
 * then one transaction that ends the job, marks the backup good and frees the graph.
 */
export const backupTask: JobTask = {
  failure: { code: 'GES.7040', what: 'Failed to back up a graph' },

  async run(deps, job, context) {
    const backup = await deps.backups.get(job.projectId, job.backupId as string);
    if (!backup) throw new GesError('GES.7024');
    const manifest = await snapshot(deps, job, backup, context);
    const ended = await transact(deps.ddb, [
      deps.jobs.endAction(job, { status: 'success' }, deps.clock.now(), context.runId),
      deps.backups.completeAction(backup, {
        endAt: deps.clock.now(),
        sizeBytes: manifest.totalBytes,
        vertexNum: manifest.counts.vertices,
        edgeNum: manifest.counts.edges,
      }),
      deps.graphs.releaseAction(job, job.jobId, GraphStatus.running),
    ]);
    if (ended && backup.backupMethod === 'auto') await applyRetention(deps, backup, context.log);
    return ended;
  },

  failActions: (deps, job, end, at, runId) => [
    deps.jobs.endAction(job, end, at, runId),
    deps.backups.failAction(backupIds(job), at),
    deps.graphs.releaseAction(job, job.jobId, GraphStatus.running),
  ],

  /** Files without a manifest are no backup, but they cost money: remove them. */
  async cleanUp(deps, job) {
    await deps.blobs.deletePrefix(backupPrefix({ ...job, backupId: job.backupId as string }));
  },
};

async function snapshot(
  deps: Deps,
  job: JobRecord,
  backup: BackupRecord,
  context: RunContext,
): Promise<Manifest> {
  const { data, blobs, config } = deps;
  const shards = Array.from({ length: backup.shards }, (_, shard) => shard);
  const folder = backupPrefix(backup);

  const expected = await mapLimit(shards, config.snapshotConcurrency, (shard) =>
    data.countShard(backup.graphId, backup.generation, shard),
  );
  const detail: JobDetail = {
    vertices: { done: 0, expected: expected.reduce((n, c) => n + c.vertices, 0) },
    edges: { done: 0, expected: expected.reduce((n, c) => n + c.edges, 0) },
    shards: { done: 0, expected: shards.length },
  };
  // Progress goes out one report after another, so a late one never overwrites a newer figure.
  let reporting = Promise.resolve();
  const report = () => {
    const now = structuredClone(detail);
    const percent = Math.min(99, Math.floor((99 * now.shards.done) / now.shards.expected));
    reporting = reporting.then(() => context.report(percent, now));
    return reporting;
  };

  const parts: PartInfo[] = await mapLimit(shards, config.snapshotConcurrency, async (shard) => {
    const source = { graphId: backup.graphId, generation: backup.generation, shard };
    const part = await snapshotShard(data, blobs, source, folder, partFileName(shard, context.runId));
    detail.vertices.done += part.vertices;
    detail.edges.done += part.edges;
    detail.shards.done += 1;
    await report();
    return part;
  });

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
    counts: { vertices: detail.vertices.done, edges: detail.edges.done },
    totalBytes: parts.reduce((n, p) => n + p.bytes, 0),
    contentDigest: { algorithm: 'sha256-sum-mod-2^256', value: digest.hex() },
    files: parts,
  };
  // The manifest is the commit marker: written only once every part is safely stored, and only by
  // the run that still owns the job (a run that lost it stops here).
  await reporting;
  await context.report(99, detail);
  await blobs.put(folder + MANIFEST_FILE, JSON.stringify(manifest, null, 2), 'application/json');
  return manifest;
}
