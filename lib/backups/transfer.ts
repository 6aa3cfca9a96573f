import { mapLimit } from '../concurrency.js';
import type { Deps } from '../deps.js';
import { transact } from '../dynamo.js';
import { GesError } from '../errors.js';
import { existing } from '../graphs/graphs.js';
import type { JobRecord } from '../jobs/model.js';
import type { JobTask } from '../jobs/run-job.js';
import { newJob, submitJob } from '../jobs/submit.js';
import { utcTime } from '../time.js';
import { findBackup } from './catalog.js';
import { ContentDigest, MANIFEST_FILE, type Manifest } from './format.js';
import { readManifest } from './manifest.js';
import { backupPrefix, newBackup } from './model.js';
import { readPart } from './read-part.js';

const COPY_CONCURRENCY = 8;
const LINK_SECONDS = 3600;

/**
 * `<bucket>/<projectId>/<prefix>` of the v2 export and import bodies: the folder that holds a
 * backup's files. Only buckets that match `TRANSFER_BUCKETS` (the same pattern the worker's IAM role
 * allows), never the service's own backup bucket, and only below the caller's project id: a caller
 * cannot read another project's backups through an import, nor overwrite them through an export.
 */
export function parseBucketPath(
  path: string,
  rules: { projectId: string; allowed: string; backupBucket: string },
): { bucket: string; folder: string } {
  const [bucket = '', ...rest] = path.split('/');
  const segments = rest.filter(Boolean);
  const pattern = new RegExp(`^${rules.allowed.split('*').map(escapeRegExp).join('[a-z0-9.-]*')}$`);
  if (
    !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) ||
    bucket === rules.backupBucket ||
    !pattern.test(bucket)
  ) {
    throw new GesError(
      'GES.0001',
      `Incorrect parameter. The path must start with a bucket matching ${rules.allowed}.`,
    );
  }
  if (segments[0] !== rules.projectId || segments.some((s) => s === '..' || s === '.')) {
    throw new GesError(
      'GES.0001',
      `Incorrect parameter. The path must continue with the project id, ${rules.projectId}.`,
    );
  }
  return { bucket, folder: `${segments.join('/')}/` };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const bucketRules = (deps: Deps, projectId: string) => ({
  projectId,
  allowed: deps.config.transferBuckets,
  backupBucket: deps.config.backupBucket,
});

type Path = { bucket: string; folder: string };
const pathOf = (job: JobRecord): Path => ({ bucket: job.bucket as string, folder: job.folder as string });

/** Copies the files a manifest lists, then the manifest itself: at the destination, too, it comes last. */
async function copyBackup(deps: Deps, manifest: Manifest, from: Path, to: Path) {
  const target = deps.blobs.onBucket(to.bucket);
  await mapLimit(manifest.files, COPY_CONCURRENCY, (part) =>
    target.copyFrom({ bucket: from.bucket, key: from.folder + part.key }, to.folder + part.key),
  );
}

/** Export: a good backup's files and manifest, copied to a bucket path of the caller's. */
export async function exportBackup(
  deps: Deps,
  input: { projectId: string; graphId: string; backupId: string; exportPath: string; requestId?: string },
) {
  const to = parseBucketPath(input.exportPath, bucketRules(deps, input.projectId));
  const graph = existing(await deps.graphs.get(input.projectId, input.graphId));
  const backup = await findBackup(deps, input);
  if (backup.status !== 'success') throw new GesError('GES.7040');
  const job = newJob(deps, graph, 'ExportBackup', {
    backupId: backup.backupId,
    ...to,
    requestId: input.requestId,
  });
  await submitJob(
    deps,
    job,
    exportTask,
    [deps.backups.useAction(backup, job.jobId)],
    async () => new GesError('GES.7001'),
    input.requestId,
  );
  return { jobId: job.jobId };
}

export const exportTask: JobTask = {
  failure: { code: 'GES.7006', what: 'Failed to export the backup' },
  async run(deps, job, context) {
    const backup = await deps.backups.get(job.projectId, job.backupId as string);
    if (!backup) throw new GesError('GES.7024');
    const from = { bucket: deps.config.backupBucket, folder: backupPrefix(backup) };
    const manifest = await readManifest(deps.blobs, from.folder);
    const to = pathOf(job);
    await copyBackup(deps, manifest, from, to);
    await deps.blobs
      .onBucket(to.bucket)
      .copyFrom({ bucket: from.bucket, key: from.folder + MANIFEST_FILE }, to.folder + MANIFEST_FILE);
    const ended = await transact(deps.ddb, [
      deps.jobs.endAction(job, { status: 'success' }, deps.clock.now(), context.runId),
      deps.backups.unuseAction(backup, job.jobId),
    ]);
    return ended ? 'ended' : 'lost';
  },
  failActions: (deps, job, end, at, runId) => [
    deps.jobs.endAction(job, end, at, runId),
    deps.backups.unuseAction({ projectId: job.projectId, backupId: job.backupId as string }, job.jobId),
  ],
};

/**
 * Import: a backup from a bucket path becomes a backup of this graph (`backupMethod: import`) once
 * its copy here is proven whole: every part's checksum, counts and digest, and the whole digest.
 */
export async function importBackup(
  deps: Deps,
  input: { projectId: string; graphId: string; importPath: string; requestId?: string },
) {
  const from = parseBucketPath(input.importPath, bucketRules(deps, input.projectId));
  const graph = existing(await deps.graphs.get(input.projectId, input.graphId));
  const job = newJob(deps, graph, 'ImportBackup', {
    backupId: deps.ids.uuid(),
    ...from,
    requestId: input.requestId,
  });
  const backup = newBackup(graph, job, 'import');

  await submitJob(
    deps,
    job,
    importTask,
    [
      deps.backups.putAction(backup),
      deps.projects.reserveAction(graph.projectId, 'backupCount', deps.config.backupQuota),
    ],
    async () => new GesError('GES.7019'),
    input.requestId,
  );
  return { jobId: job.jobId, backupId: backup.backupId };
}

export const importTask: JobTask = {
  failure: { code: 'GES.7040', what: 'Failed to import the backup' },
  async run(deps, job, context) {
    const from = pathOf(job);
    const manifest = await readManifest(deps.blobs.onBucket(from.bucket), from.folder);
    const folder = backupPrefix({ ...job, backupId: job.backupId as string });
    await copyBackup(deps, manifest, from, { bucket: deps.config.backupBucket, folder });

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
      backupId: job.backupId as string,
      jobId: job.jobId,
      backupMethod: 'import',
    };
    await deps.blobs.put(folder + MANIFEST_FILE, JSON.stringify(own, null, 2), 'application/json');
    const ended = await transact(deps.ddb, [
      deps.jobs.endAction(job, { status: 'success' }, deps.clock.now(), context.runId),
      deps.backups.completeAction(
        { projectId: job.projectId, backupId: job.backupId as string },
        { endAt: deps.clock.now(), sizeBytes: manifest.totalBytes, vertexNum: counted.v, edgeNum: counted.e },
      ),
    ]);
    return ended ? 'ended' : 'lost';
  },
  failActions: (deps, job, end, at, runId) => [
    deps.jobs.endAction(job, end, at, runId),
    deps.backups.failAction({ projectId: job.projectId, backupId: job.backupId as string }, at),
  ],
  async cleanUp(deps, job) {
    await deps.blobs.deletePrefix(backupPrefix({ ...job, backupId: job.backupId as string }));
  },
};

/** Presigned GET links to a backup's files, manifest included (v2 `backup-files`). */
export async function backupFiles(
  deps: Deps,
  input: { projectId: string; graphId: string; backupId: string },
) {
  existing(await deps.graphs.get(input.projectId, input.graphId));
  const backup = await deps.backups.get(input.projectId, input.backupId);
  if (!backup || backup.graphId !== input.graphId || backup.deleting) throw new GesError('GES.7049');
  if (backup.status !== 'success') throw new GesError('GES.7040');
  const folder = backupPrefix(backup);
  const manifest = await readManifest(deps.blobs, folder);
  const manifestBytes = (await deps.blobs.list(folder + MANIFEST_FILE))[0]?.size ?? 0;
  const expires = utcTime(deps.clock.now() + LINK_SECONDS * 1000);
  const entries = [
    ...manifest.files.map((f) => ({ name: f.key, bytes: f.bytes })),
    { name: MANIFEST_FILE, bytes: manifestBytes },
  ];
  return {
    bucket: deps.config.backupBucket,
    files: await Promise.all(
      entries.map(async (f) => ({
        name: f.name,
        size: Math.ceil(f.bytes / 1024),
        downloadLink: await deps.blobs.presign(folder + f.name, LINK_SECONDS),
        linkExpiredTime: expires,
      })),
    ),
  };
}
