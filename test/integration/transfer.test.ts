import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import type { GesError } from '../../lib/core/errors.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { backupFiles } from '../../lib/operations/catalog/backup-files.js';
import { exportBackup } from '../../lib/operations/export/export-backup.js';
import { importBackup } from '../../lib/operations/import/import-backup.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { LOCAL_AWS } from '../../local/emulators.js';
import { PROJECT, readBackup, seedGraph, socialGraph, sortRecords } from './fixtures.js';
import { isolatedStack } from './support.js';

let deps: Deps;
const outside = `ges-backup-local-transfer-${Date.now()}`;
beforeAll(async () => {
  ({ deps } = await isolatedStack());
  const s3 = new S3Client({ endpoint: inject('endpoints').s3, forcePathStyle: true, ...LOCAL_AWS });
  await s3.send(new CreateBucketCommand({ Bucket: outside }));
});

const run = (jobId: string) => runJob(deps, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 });
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: unknown) => (e as GesError).code,
  );

async function backedUp() {
  const content = socialGraph(12);
  const { graphId } = await seedGraph(deps, content);
  const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
  await run(jobId);
  return { graphId, backupId, content };
}

describe('export and import', () => {
  it('exports a backup to a bucket path and imports it into another graph, proven whole', async () => {
    const { graphId, backupId, content } = await backedUp();
    const exported = await exportBackup(deps, {
      projectId: PROJECT,
      graphId,
      backupId,
      exportPath: `${outside}/${PROJECT}/nightly`,
    });
    expect(await run(exported.jobId)).toBe('succeeded');
    const files = await deps.blobs.onBucket(outside).list(`${PROJECT}/nightly/`);
    expect(files.map((f) => f.key)).toContain(`${PROJECT}/nightly/manifest.json`);

    const other = await seedGraph(deps);
    const imported = await importBackup(deps, {
      projectId: PROJECT,
      graphId: other.graphId,
      importPath: `${outside}/${PROJECT}/nightly`,
    });
    expect(await run(imported.jobId)).toBe('succeeded');

    expect(await deps.backups.get(PROJECT, imported.backupId)).toMatchObject({
      status: 'success',
      backupMethod: 'import',
      graphId: other.graphId,
      vertexNum: 12,
      edgeNum: 11,
    });
    const copy = await readBackup(deps, {
      projectId: PROJECT,
      graphId: other.graphId,
      backupId: imported.backupId,
    });
    expect(sortRecords(copy?.records ?? [])).toEqual(sortRecords([...content.vertices, ...content.edges]));
    expect(copy?.manifest).toMatchObject({ backupId: imported.backupId, backupMethod: 'import' });
  });

  it('refuses an import whose part was tampered with, and keeps nothing of it', async () => {
    const { graphId, backupId } = await backedUp();
    const exported = await exportBackup(deps, {
      projectId: PROJECT,
      graphId,
      backupId,
      exportPath: `${outside}/${PROJECT}/bad`,
    });
    await run(exported.jobId);
    const away = deps.blobs.onBucket(outside);
    const part = (await away.list(`${PROJECT}/bad/`)).find((f) => f.key.endsWith('.gz') && f.size > 30);
    await away.put(part?.key ?? '', 'tampered', 'application/gzip');

    const quotaBefore = (await deps.projects.counts(PROJECT)).backupCount;
    const imported = await importBackup(deps, {
      projectId: PROJECT,
      graphId,
      importPath: `${outside}/${PROJECT}/bad`,
    });
    expect(await run(imported.jobId)).toBe('failed');
    // A failed import counts for nothing against the quota.
    expect((await deps.projects.counts(PROJECT)).backupCount).toBe(quotaBefore);

    expect(await deps.jobs.get(PROJECT, imported.jobId)).toMatchObject({
      status: 'failed',
      errorCode: 'GES.7040',
    });
    expect((await deps.backups.get(PROJECT, imported.backupId))?.status).toBe('failed');
    expect(await deps.blobs.list(`${PROJECT}/${graphId}/${imported.backupId}/`)).toEqual([]);
  });

  it('refuses an import whose manifest names files outside its folder, and copies nothing', async () => {
    const { graphId, backupId } = await backedUp();
    const victim = await backedUp(); // another backup, which the forged manifest points at
    const exported = await exportBackup(deps, {
      projectId: PROJECT,
      graphId,
      backupId,
      exportPath: `${outside}/${PROJECT}/forged`,
    });
    await run(exported.jobId);
    const away = deps.blobs.onBucket(outside);
    const manifest = JSON.parse(String(await away.get(`${PROJECT}/forged/manifest.json`)));
    const [first] = manifest.files;
    const victimKey = `../../../../${deps.config.backupBucket}/${PROJECT}/${victim.graphId}/${victim.backupId}/${first.key}`;
    for (const key of [victimKey, `../forged/${first.key}`, 'manifest.json']) {
      await away.put(
        `${PROJECT}/forged/manifest.json`,
        JSON.stringify({ ...manifest, files: [{ ...first, key }, ...manifest.files.slice(1)] }),
        'application/json',
      );
      const imported = await importBackup(deps, {
        projectId: PROJECT,
        graphId,
        importPath: `${outside}/${PROJECT}/forged`,
      });
      expect(await run(imported.jobId), key).toBe('failed');
      const job = await deps.jobs.get(PROJECT, imported.jobId);
      expect(job, key).toMatchObject({ status: 'failed', errorCode: 'GES.7040' });
      expect(String(job?.failReason), key).toMatch(/manifest is not valid.*files\.0\.key/);
      expect(await deps.blobs.list(`${PROJECT}/${graphId}/${imported.backupId}/`), key).toEqual([]);
    }
    expect((await deps.blobs.list(`${PROJECT}/`)).filter((o) => o.key.includes('..'))).toEqual([]);
  });

  it('refuses paths outside the transfer buckets or the caller project, before any job starts', async () => {
    const { graphId, backupId } = await backedUp();
    const own = deps.config.backupBucket;
    const refused = [
      importBackup(deps, {
        projectId: PROJECT,
        graphId,
        importPath: `${own}/otherproject/${graphId}/${backupId}`,
      }),
      importBackup(deps, { projectId: PROJECT, graphId, importPath: `${outside}/otherproject/x` }),
      importBackup(deps, {
        projectId: PROJECT,
        graphId,
        importPath: `${outside}/${PROJECT}/../otherproject`,
      }),
      exportBackup(deps, {
        projectId: PROJECT,
        graphId,
        backupId,
        exportPath: `somebody-elses-bucket/${PROJECT}/x`,
      }),
    ];
    for (const attempt of refused) expect(await codeOf(attempt)).toBe('GES.0001');
  });

  it('gives presigned links that download each file, and GES.7049 for an unknown backup', async () => {
    const { graphId, backupId } = await backedUp();

    const links = await backupFiles(deps, { projectId: PROJECT, graphId, backupId });

    expect(links.files.map((f) => f.name)).toContain('manifest.json');
    const manifest = links.files.find((f) => f.name === 'manifest.json');
    const response = await fetch(manifest?.downloadLink ?? '');
    expect(response.status).toBe(200);
    expect(JSON.parse(await response.text())).toMatchObject({ backupId });
    expect(manifest?.linkExpiredTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    const unknown = { projectId: PROJECT, graphId, backupId: '00000000-0000-4000-8000-000000000000' };
    expect(await codeOf(backupFiles(deps, unknown))).toBe('GES.7049');
  });
});
