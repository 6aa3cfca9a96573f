import { mapLimit } from '../concurrency.js';
import type { Deps } from '../deps.js';
import { DependencyUnavailable, GesError, isTransientAwsError } from '../errors.js';
import type { JobMessage } from '../jobs/job-queue.js';
import { isTerminal, type JobDetail, type JobRecord } from '../jobs/model.js';
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

/** How a delivery ended, for the log and the tests; a retryable fault is thrown instead. */
export type RunOutcome = 'succeeded' | 'failed' | 'already-ended' | 'held-elsewhere' | 'lease-lost';

/** The job is running under another run's live lease: this delivery should come back later. */
export class JobHeldElsewhere extends Error {
  override readonly name = 'JobHeldElsewhere';
}

/** The run's lease was taken over (it ran past it): stop quietly, the new owner finishes the job. */
class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
}

/** The receive count of this delivery, and the API request that queued the job (for the logs). */
export type Delivery = { attempt: number; requestId?: string | undefined };

/**
 * Runs one delivery of a backup job. Every write is conditional on the state it expects and on this
 * run owning the job, so a duplicate, late or concurrent delivery changes nothing. A retryable fault
 * is thrown (SQS delivers again) unless this is the last delivery, when the job is failed instead:
 * every job ends.
 */
export async function runBackup(deps: Deps, message: JobMessage, delivery: Delivery): Promise<RunOutcome> {
  const { config, jobs, clock } = deps;
  const runId = deps.ids.jobId();
  const lastDelivery = delivery.attempt >= config.maxReceiveCount;
  const job = await jobs.take(
    message.projectId,
    message.jobId,
    runId,
    clock.now(),
    config.jobLeaseSeconds * 1000,
  );
  if (!job) {
    const current = await jobs.get(message.projectId, message.jobId);
    if (!current || isTerminal(current.status)) return 'already-ended';
    // Another run holds a live lease. On the last delivery leave it to that run (or to the sweeper).
    if (lastDelivery) return 'held-elsewhere';
    throw new JobHeldElsewhere(`job ${message.jobId} is held by run ${current.runId}`);
  }

  const log = deps.log.createChild({
    persistentKeys: { jobId: job.jobId, runId, requestId: delivery.requestId },
  });
  try {
    if (clock.now() > job.deadlineAt) {
      return await failRun(deps, job, runId, { code: 'GES.7005', message: 'job timed out' });
    }
    const backup = await deps.backups.get(job.projectId, job.backupId as string);
    if (!backup) throw new GesError('GES.7024');
    await snapshot(deps, job, backup, runId);
    log.info('backup succeeded');
    return 'succeeded';
  } catch (e) {
    if (e instanceof LeaseLost) {
      log.warn('lease lost to another run; leaving the job to it');
      return 'lease-lost';
    }
    const retryable = e instanceof DependencyUnavailable || isTransientAwsError(e);
    if (retryable && !lastDelivery) {
      log.warn('retryable fault; SQS will deliver again', { error: e as Error, attempt: delivery.attempt });
      await jobs.releaseLease(job.projectId, job.jobId, runId).catch(() => undefined);
      throw e;
    }
    log.error('backup failed', { error: e as Error, attempt: delivery.attempt });
    return await failRun(deps, job, runId, failReason(e, delivery.attempt));
  }
}

async function snapshot(deps: Deps, job: JobRecord, backup: BackupRecord, runId: string): Promise<void> {
  const { data, blobs, jobs, clock, config } = deps;
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
  // Progress updates go out one after another, so a late one never overwrites a newer figure.
  let reporting = Promise.resolve();
  const report = () => {
    const snapshotOfDetail = structuredClone(detail);
    const percent = Math.min(99, Math.floor((99 * detail.shards.done) / detail.shards.expected));
    reporting = reporting.then(async () => {
      if (!(await jobs.progress(job.projectId, job.jobId, runId, percent, snapshotOfDetail)))
        throw new LeaseLost();
    });
    return reporting;
  };

  const parts: PartInfo[] = await mapLimit(shards, config.snapshotConcurrency, async (shard) => {
    const part = await snapshotShard(
      data,
      blobs,
      { graphId: backup.graphId, generation: backup.generation, shard },
      folder,
      partFileName(shard, runId),
    );
    detail.vertices.done += part.vertices;
    detail.edges.done += part.edges;
    detail.shards.done += 1;
    await report();
    return part;
  });
  await reporting;

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
  // The manifest is the commit marker: written only once every part is safely stored.
  await blobs.put(folder + MANIFEST_FILE, JSON.stringify(manifest, null, 2), 'application/json');

  const completed = await deps.backups.complete(job, runId, {
    endAt: clock.now(),
    sizeBytes: manifest.totalBytes,
    vertexNum: manifest.counts.vertices,
    edgeNum: manifest.counts.edges,
  });
  if (!completed) throw new LeaseLost();
}

/** Ends the job as failed (with its backup, freeing the graph), then removes whatever files it wrote. */
async function failRun(deps: Deps, job: JobRecord, runId: string, reason: { code: string; message: string }) {
  if (!(await deps.backups.fail(job, reason, deps.clock.now(), runId))) return 'lease-lost' as const;
  const folder = backupPrefix({
    projectId: job.projectId,
    graphId: job.graphId,
    backupId: job.backupId as string,
  });
  await deps.blobs.deletePrefix(folder).catch((error: unknown) => {
    // Harmless if it stays: files without a manifest are no backup, and the bucket's lifecycle removes them.
    deps.log.warn('could not remove the partial files of a failed backup', {
      jobId: job.jobId,
      error: error as Error,
    });
  });
  return 'failed' as const;
}

/** What the job center says of a failure: a GES code and a message fit for the client, no internals. */
export function failReason(e: unknown, attempt: number): { code: string; message: string } {
  if (e instanceof GesError) return { code: 'GES.7040', message: `Failed to back up a graph: ${e.message}` };
  if (e instanceof DependencyUnavailable || isTransientAwsError(e)) {
    const which = e instanceof DependencyUnavailable ? e.dependency : 'A storage service';
    return { code: 'GES.7005', message: `${which} was unavailable after ${attempt} attempts.` };
  }
  return { code: 'GES.7040', message: 'Failed to back up a graph: an internal error occurred.' };
}
