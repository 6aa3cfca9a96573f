import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { DependencyUnavailable } from '../../lib/core/errors.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { ContentDigest } from '../../lib/records/backups/format.js';
import type { Vertex } from '../../lib/records/graphs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { failingUploads, PROJECT, readBackup, seedGraph, socialGraph, sortRecords } from './fixtures.js';
import { isolatedStack } from './support.js';

let deps: Deps;
beforeAll(async () => {
  ({ deps } = await isolatedStack());
});

/** A graph with a backup job started on it, as the API leaves it. */
async function startedBackup(content = socialGraph(40)) {
  const { graphId } = await seedGraph(deps, content);
  const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
  return {
    graphId,
    jobId,
    backupId,
    content,
    message: { projectId: PROJECT, jobId },
  };
}

/** Blob storage whose part uploads break after the first `okUploads`. */
const breakingBlobs = (okUploads: number, error: () => Error) =>
  failingUploads(deps.blobs, (n) => (n > okUploads ? error() : undefined));

/** What the S3 adapter throws when S3 cannot be reached. */
const transient = () =>
  new DependencyUnavailable('S3', {
    cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  });

describe('a backup run', () => {
  it('writes every vertex and edge, checksummed, and ends the job with the graph free', async () => {
    const { graphId, jobId, backupId, content, message } = await startedBackup();

    expect(await runJob(deps, jobTasks, message, { attempt: 1 })).toBe('succeeded');

    const stored = await readBackup(deps, { projectId: PROJECT, graphId, backupId });
    expect(stored).toBeDefined();
    const { manifest, records, files } = stored as NonNullable<typeof stored>;
    expect(sortRecords(records)).toEqual(sortRecords([...content.vertices, ...content.edges]));
    expect(manifest.counts).toEqual({ vertices: 40, edges: 39 });
    for (const part of manifest.files)
      expect(files.get(part.key)).toEqual({ sha256: part.sha256, bytes: part.bytes });
    const digest = new ContentDigest();
    for (const r of records) digest.add(JSON.stringify(r));
    expect(manifest.contentDigest.value).toBe(digest.hex());

    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({
      status: 'success',
      progress: 100,
      detail: { vertices: { done: 40, expected: 40 }, edges: { done: 39, expected: 39 } },
    });
    expect(await deps.backups.get(PROJECT, backupId)).toMatchObject({
      status: 'success',
      vertexNum: 40,
      edgeNum: 39,
      sizeBytes: manifest.totalBytes,
    });
    const graph = await deps.graphs.get(PROJECT, graphId);
    expect(graph?.status).toBe('200');
    expect(graph?.lockJobId).toBeUndefined();
  });

  it('backs up a graph with no data as a valid, empty backup', async () => {
    const { graphId, backupId, message } = await startedBackup({ vertices: [], edges: [] });

    expect(await runJob(deps, jobTasks, message, { attempt: 1 })).toBe('succeeded');

    const stored = await readBackup(deps, { projectId: PROJECT, graphId, backupId });
    expect(stored?.records).toEqual([]);
    expect(stored?.manifest.counts).toEqual({ vertices: 0, edges: 0 });
    expect(stored?.manifest.contentDigest.value).toBe('0'.repeat(64));
  });

  it('keeps non-ASCII ids, labels and values exactly', async () => {
    const vertices: Vertex[] = [
      { vertex: 'Zoë#1', label: 'пользователь', properties: { bio: ['東京 🚀', ''], emoji: ['👩‍💻'] } },
      { vertex: '100%', label: 'user', properties: {} },
    ];
    const edges = [{ source: 'Zoë#1', target: '100%', label: 'знает', properties: { note: ['ça va'] } }];
    const { graphId, backupId, message } = await startedBackup({ vertices, edges });

    await runJob(deps, jobTasks, message, { attempt: 1 });

    const stored = await readBackup(deps, { projectId: PROJECT, graphId, backupId });
    expect(sortRecords(stored?.records ?? [])).toEqual(sortRecords([...vertices, ...edges]));
  });

  it('changes nothing on a second delivery after the job ended', async () => {
    const { graphId, jobId, backupId, message } = await startedBackup();
    await runJob(deps, jobTasks, message, { attempt: 1 });
    const before = await readBackup(deps, { projectId: PROJECT, graphId, backupId });
    const jobBefore = await deps.jobs.get(PROJECT, jobId);

    expect(await runJob(deps, jobTasks, message, { attempt: 2 })).toBe('already-ended');

    expect(await readBackup(deps, { projectId: PROJECT, graphId, backupId })).toEqual(before);
    expect(await deps.jobs.get(PROJECT, jobId)).toEqual(jobBefore);
  });

  it('lets one of two simultaneous deliveries run and sends the other back to the queue', async () => {
    const { graphId, jobId, backupId, message } = await startedBackup();

    const [a, b] = await Promise.allSettled([
      runJob(deps, jobTasks, message, { attempt: 1 }),
      runJob(deps, jobTasks, message, { attempt: 1 }),
    ]);

    const outcomes = [a, b].map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).name));
    expect(outcomes.sort()).toEqual(['JobHeldElsewhere', 'succeeded']);
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({ status: 'success', attempts: 1 });
    const stored = await readBackup(deps, { projectId: PROJECT, graphId, backupId });
    expect(stored?.manifest.files.every((f) => stored.files.has(f.key))).toBe(true);
  });

  it('retries a retryable fault on a later delivery, which finishes the job', async () => {
    const { graphId, jobId, backupId, message } = await startedBackup();

    const first = runJob({ ...deps, blobs: breakingBlobs(1, transient) }, jobTasks, message, { attempt: 1 });
    await expect(first).rejects.toBeInstanceOf(DependencyUnavailable);
    expect((await deps.jobs.get(PROJECT, jobId))?.status).toBe('running');

    expect(await runJob(deps, jobTasks, message, { attempt: 2 })).toBe('succeeded');
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({ status: 'success', attempts: 2 });
    expect(await readBackup(deps, { projectId: PROJECT, graphId, backupId })).toBeDefined();
  });

  it('fails the job on the last delivery instead of retrying again', async () => {
    const { graphId, jobId, backupId, message } = await startedBackup();
    const last = deps.config.maxReceiveCount;

    const outcome = await runJob({ ...deps, blobs: breakingBlobs(0, transient) }, jobTasks, message, {
      attempt: last,
    });

    expect(outcome).toBe('failed');
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({
      status: 'failed',
      errorCode: 'GES.7005',
      failReason: `S3 was unavailable after ${last} attempts.`,
    });
    expect((await deps.graphs.get(PROJECT, graphId))?.status).toBe('200');
    expect(await deps.blobs.list(`${PROJECT}/${graphId}/${backupId}/`)).toEqual([]);
  });

  it('that breaks halfway fails the job, frees the graph and leaves no manifest and no files', async () => {
    const { graphId, jobId, backupId, message } = await startedBackup();
    const broken = breakingBlobs(3, () => new Error('disk on fire'));

    expect(await runJob({ ...deps, blobs: broken }, jobTasks, message, { attempt: 1 })).toBe('failed');

    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({
      status: 'failed',
      errorCode: 'GES.7040',
      failReason: 'Failed to back up a graph: an internal error occurred.',
    });
    expect((await deps.backups.get(PROJECT, backupId))?.status).toBe('failed');
    const graph = await deps.graphs.get(PROJECT, graphId);
    expect(graph?.status).toBe('200');
    expect(graph?.lockJobId).toBeUndefined();
    expect(await readBackup(deps, { projectId: PROJECT, graphId, backupId })).toBeUndefined();
    expect(await deps.blobs.list(`${PROJECT}/${graphId}/${backupId}/`)).toEqual([]);
  });

  it('fails a job found past its deadline with "job timed out"', async () => {
    const { jobId, message } = await startedBackup();
    const later = { now: () => Date.now() + deps.config.jobStallMs + 1000 };

    expect(await runJob({ ...deps, clock: later }, jobTasks, message, { attempt: 1 })).toBe('failed');

    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({
      status: 'failed',
      errorCode: 'GES.7005',
      failReason: 'job timed out',
    });
  });
});
