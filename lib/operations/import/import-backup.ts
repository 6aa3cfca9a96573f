import { mapLimit } from '../../core/concurrency.js';
import { GesError } from '../../core/errors.js';
import { ContentDigest, MANIFEST_FILE, type Manifest } from '../../records/backups/format.js';
import { readManifest } from '../../records/backups/manifest.js';
import { backupPrefix, newBackup } from '../../records/backups/model.js';
import { readPart } from '../../records/backups/read-part.js';
import { bucketRules, copyBackup, parseBucketPath } from '../../records/backups/transfer-paths.js';
import { existing } from '../../records/graphs/model.js';
import type { JobDeps } from '../../runtime/deps.js';
import { newJob, submitJob } from '../../runtime/submit.js';
import { jobTask } from '../../runtime/task.js';
import { type ImportJob, transferFields } from '../export/job.js';

/**
 * Import: a backup from a bucket path becomes a backup of this graph (`backupMethod: import`) once
 * its copy here is proven whole: every part's checksum, counts and digest, and the whole digest.
 */
export async function importBackup(
  deps: JobDeps,
  input: { projectId: string; graphId: string; importPath: string; requestId?: string },
) {
  const from = parseBucketPath(input.importPath, bucketRules(deps.config, input.projectId));
  const graph = existing(await deps.graphs.get(input.projectId, input.graphId));
  const job = newJob(deps, graph, 'import', { backupId: deps.ids.uuid(), ...from }, input.requestId);
  const backup = newBackup(graph, job, 'import');

  await submitJob(
    deps,
    job,
    importTask,
    [
      deps.backups.put(backup),
      deps.projects.reserve(graph.projectId, 'backupCount', deps.config.backupQuota),
    ],
    async () => new GesError('GES.7019'),
    input.requestId,
  );
  return { jobId: job.jobId, backupId: backup.backupId };
}

export const importTask = jobTask<ImportJob>({
  kind: 'import',
  fields: transferFields,
  failure: { code: 'GES.7040', what: 'Failed to import the backup' },
  async run(deps, job, context) {
    const from = { bucket: job.bucket, folder: job.folder };
    const manifest = await readManifest(deps.blobs.onBucket(from.bucket), from.folder);
    const folder = backupPrefix(job);
    await copyBackup(deps.blobs, manifest, from, { bucket: deps.config.backupBucket, folder });

    const digest = new ContentDigest();
    await mapLimit(manifest.files, deps.config.snapshotConcurrency, async (part) => {
      await readPart(deps.blobs, folder, part, async () => undefined);
      digest.merge(part.contentDigest);
    });
    const counted = manifest.files.reduce((n, p) => ({ v: n.v + p.vertices, e: n.e + p.edges }), {
      v: 0,
      e: 0,
    });
    if (
      digest.hex() !== manifest.contentDigest.value ||
      counted.v !== manifest.counts.vertices ||
      counted.e !== manifest.counts.edges
    ) {
      throw new GesError('GES.7040', 'The backup is damaged: its parts do not add up to its manifest.');
    }
    const own: Manifest = {
      ...manifest,
      projectId: job.projectId,
      graphId: job.graphId,
      graphName: job.graphName,
      backupId: job.backupId,
      jobId: job.jobId,
      backupMethod: 'import',
    };
    await deps.blobs.put(folder + MANIFEST_FILE, JSON.stringify(own, null, 2), 'application/json');
    const ended = await deps.store.transact([
      deps.jobs.end(job, { status: 'success' }, deps.clock.now(), context.runId),
      deps.backups.complete(job, {
        endAt: deps.clock.now(),
        sizeBytes: manifest.totalBytes,
        vertexNum: counted.v,
        edgeNum: counted.e,
      }),
    ]);
    return ended.ok ? 'ended' : 'lost';
  },
  /** A failed import counts for nothing: its unit of quota goes back with the failure. */
  failActions: (deps, job, end, at, runId) => [
    deps.jobs.end(job, end, at, runId),
    deps.backups.fail(job, at),
    deps.projects.giveBack(job.projectId, 'backupCount'),
  ],
  async cleanUp(deps, job) {
    await deps.blobs.deletePrefix(backupPrefix(job));
  },
});
