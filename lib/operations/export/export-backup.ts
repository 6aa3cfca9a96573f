import { GesError } from '../../core/errors.js';
import { MANIFEST_FILE } from '../../records/backups/format.js';
import { readManifest } from '../../records/backups/manifest.js';
import { backupPrefix } from '../../records/backups/model.js';
import { bucketRules, copyBackup, parseBucketPath } from '../../records/backups/transfer-paths.js';
import { existing } from '../../records/graphs/model.js';
import type { JobDeps } from '../../runtime/deps.js';
import { newJob, submitJob } from '../../runtime/submit.js';
import { jobTask } from '../../runtime/task.js';
import { type ExportJob, transferFields } from './job.js';

/** Export: a good backup's files and manifest, copied to a bucket path of the caller's. */
export async function exportBackup(
  deps: JobDeps,
  input: { projectId: string; graphId: string; backupId: string; exportPath: string; requestId?: string },
) {
  const to = parseBucketPath(input.exportPath, bucketRules(deps.config, input.projectId));
  const graph = existing(await deps.graphs.get(input.projectId, input.graphId));
  const backup = await deps.backups.find(input);
  if (backup.status !== 'success') throw new GesError('GES.7040');
  const job = newJob(deps, graph, 'export', { backupId: backup.backupId, ...to }, input.requestId);
  await submitJob(
    deps,
    job,
    exportTask,
    [deps.backups.use(backup, job.jobId)],
    async () => new GesError('GES.7001'),
    input.requestId,
  );
  return { jobId: job.jobId };
}

export const exportTask = jobTask<ExportJob>({
  kind: 'export',
  fields: transferFields,
  failure: { code: 'GES.7006', what: 'Failed to export the backup' },
  async run(deps, job, context) {
    const backup = await deps.backups.get(job.projectId, job.backupId);
    if (!backup) throw new GesError('GES.7024');
    const from = { bucket: deps.config.backupBucket, folder: backupPrefix(backup) };
    const manifest = await readManifest(deps.blobs, from.folder);
    const to = { bucket: job.bucket, folder: job.folder };
    await copyBackup(deps.blobs, manifest, from, to);
    await deps.blobs
      .onBucket(to.bucket)
      .copyFrom({ bucket: from.bucket, key: from.folder + MANIFEST_FILE }, to.folder + MANIFEST_FILE);
    const ended = await deps.store.transact([
      deps.jobs.end(job, { status: 'success' }, deps.clock.now(), context.runId),
      deps.backups.release(backup, job.jobId),
    ]);
    return ended.ok ? 'ended' : 'lost';
  },
  failActions: (deps, job, end, at, runId) => [
    deps.jobs.end(job, end, at, runId),
    deps.backups.release(job, job.jobId),
  ],
});
