import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import type { GesError } from '../../lib/core/errors.js';
import { backupListView, jobView, quotasView } from '../../lib/http/views.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import {
  deleteBackup,
  listBackups as listBackupRecords,
  quotas,
} from '../../lib/operations/catalog/catalog.js';
import { listJobs as listJobRecords } from '../../lib/operations/catalog/jobs.js';
import { deleteGraph } from '../../lib/operations/delete-graph/delete-graph.js';
import { getGraph } from '../../lib/operations/graphs/graphs.js';
import { stopGraph } from '../../lib/operations/graphs/lifecycle.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { PROJECT, seedGraph, socialGraph } from './fixtures.js';
import { isolatedStack } from './support.js';

/** The views the API answers with, over the use cases' records. */
const listBackups = async (...args: Parameters<typeof listBackupRecords>) =>
  backupListView(await listBackupRecords(...args));
const listJobs = async (...args: Parameters<typeof listJobRecords>) => {
  const { total, jobs } = await listJobRecords(...args);
  return { jobCount: total, jobList: jobs.map((job) => jobView(job)) };
};

let deps: Deps;
beforeAll(async () => {
  ({ deps } = await isolatedStack({ env: { BACKUP_QUOTA: '100' } }));
});

let clock = Date.UTC(2026, 0, 1);
/** A clock that moves a second per reading, so that every record has its own time. */
const ticking = () => ({ now: () => (clock += 1000) });
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: unknown) => (e as GesError).code,
  );
const run = (jobId: string, d = deps) => runJob(d, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 });

async function backUp(graphId: string, method: 'manual' | 'auto' = 'manual') {
  const d = { ...deps, clock: ticking() };
  const started = await startBackup(d, { projectId: PROJECT, graphId, method });
  await run(started.jobId, d);
  return started;
}

describe('the backup catalog', () => {
  it('lists a graph backups newest first with the total, and pages through them', async () => {
    const { graphId } = await seedGraph(deps, socialGraph(3));
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await backUp(graphId)).backupId);

    const all = await listBackups(deps, { projectId: PROJECT, graphId, offset: 0, limit: 10 });
    const second = await listBackups(deps, { projectId: PROJECT, graphId, offset: 1, limit: 1 });

    expect(all.backupCount).toBe(3);
    expect(all.backupList.map((b) => b.id)).toEqual([...ids].reverse());
    expect(all.backupList[0]).toMatchObject({ status: 'success', backupMethod: 'manual', graphId, size: 1 });
    expect(second).toMatchObject({ backupCount: 3, backupList: [{ id: ids[1] }] });
    const project = await listBackups(deps, { projectId: PROJECT, offset: 0, limit: 100 });
    expect(project.backupList.map((b) => b.id)).toEqual(expect.arrayContaining(ids));
  });

  it('deletes a backup with its files, then says GES.7024', async () => {
    const { graphId } = await seedGraph(deps, socialGraph(3));
    const { backupId } = await backUp(graphId);
    const folder = `${PROJECT}/${graphId}/${backupId}/`;
    expect((await deps.blobs.list(folder)).length).toBeGreaterThan(0);

    expect(await deleteBackup(deps, { projectId: PROJECT, graphId, backupId })).toEqual({});

    expect(await deps.blobs.list(folder)).toEqual([]);
    expect(await codeOf(deleteBackup(deps, { projectId: PROJECT, graphId, backupId }))).toBe('GES.7024');
    expect((await listBackups(deps, { projectId: PROJECT, graphId, offset: 0, limit: 10 })).backupCount).toBe(
      0,
    );
  });

  it('answers {} to one of two racing deletes and GES.7024 to the other, and counts the quota once', async () => {
    const own = await isolatedStack();
    const { graphId } = await seedGraph(own.deps, socialGraph(3));
    const { jobId, backupId } = await startBackup(own.deps, { projectId: PROJECT, graphId });
    expect(await run(jobId, own.deps)).toBe('succeeded');
    const ids = { projectId: PROJECT, graphId, backupId };
    const answers = await Promise.all([1, 2, 3].map(() => codeOf(deleteBackup(own.deps, ids))));
    expect(answers.filter((a) => a === 'no error')).toHaveLength(1);
    expect(answers.filter((a) => a === 'GES.7024')).toHaveLength(2);
    expect((await own.deps.projects.counts(PROJECT)).backupCount).toBe(0);
  });

  it('refuses to delete a backup being written (GES.7001)', async () => {
    const { graphId } = await seedGraph(deps);
    const { backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
    expect(await codeOf(deleteBackup(deps, { projectId: PROJECT, graphId, backupId }))).toBe('GES.7001');
  });
});

describe('quotas and the job list', () => {
  it('counts what is left of the backup quota and refuses the backup beyond it (GES.7019)', async () => {
    const own = await isolatedStack({ env: { BACKUP_QUOTA: '2' } });
    const { graphId } = await seedGraph(own.deps);
    for (let i = 0; i < 2; i++) {
      const { jobId } = await startBackup(own.deps, { projectId: PROJECT, graphId });
      await runJob(own.deps, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 });
    }

    expect(quotasView(await quotas(own.deps, PROJECT)).quotas.resources).toContainEqual({
      type: 'backup',
      available: 0,
    });
    expect(await codeOf(startBackup(own.deps, { projectId: PROJECT, graphId }))).toBe('GES.7019');
  });

  it('filters jobs by status, graph and day, newest first', async () => {
    let at = Date.UTC(2030, 4, 17, 12);
    const d = { ...deps, clock: { now: () => (at += 1000) } };
    const { graphId, name } = await seedGraph(d);
    const { jobId } = await startBackup(d, { projectId: PROJECT, graphId });

    const waiting = await listJobs(deps, {
      projectId: PROJECT,
      offset: 0,
      limit: 10,
      status: 'pending',
      graphName: name,
    });
    const thatDay = await listJobs(deps, {
      projectId: PROJECT,
      offset: 0,
      limit: 10,
      from: Date.UTC(2030, 4, 17),
      to: Date.UTC(2030, 4, 18) - 1,
    });
    const dayBefore = await listJobs(deps, {
      projectId: PROJECT,
      offset: 0,
      limit: 10,
      from: Date.UTC(2030, 4, 16),
      to: Date.UTC(2030, 4, 17) - 1,
    });

    expect(waiting.jobList.map((j) => j.jobId)).toEqual([jobId]);
    expect(thatDay.jobList.map((j) => [j.jobName, j.relatedGraph])).toEqual([
      ['BackupGraph', name],
      ['CreateGraph', name],
    ]);
    expect(dayBefore.jobCount).toBe(0);
  });
});

describe('deleting a graph', () => {
  it('removes its data and its backups but the newest automatic and two newest manual with keepBackup', async () => {
    const { graphId } = await seedGraph(deps, socialGraph(5));
    const manual = [await backUp(graphId), await backUp(graphId), await backUp(graphId)];
    const auto = [await backUp(graphId, 'auto'), await backUp(graphId, 'auto')];
    const graph = await deps.graphs.get(PROJECT, graphId);

    const { jobId } = await deleteGraph(deps, { projectId: PROJECT, graphId, keepBackup: true });
    expect(await codeOf(getGraph(deps, { projectId: PROJECT, graphId }))).toBe('GES.7000');
    expect(await run(jobId)).toBe('succeeded');

    const left = await deps.backups.list({ projectId: PROJECT, graphId }, 0, 100);
    expect(left.page.map((b) => b.backupId).sort()).toEqual(
      [auto[1]?.backupId, manual[2]?.backupId, manual[1]?.backupId].sort(),
    );
    expect(await deps.blobs.list(`${PROJECT}/${graphId}/${manual[0]?.backupId}/`)).toEqual([]);
    const left0: unknown[] = [];
    for await (const page of deps.data.readShard(graphId, graph?.generation ?? 1, 0)) left0.push(...page);
    expect(left0).toEqual([]);
    expect(await deps.graphs.get(PROJECT, graphId)).toBeUndefined();
  });

  it('frees the name for a new graph at once, and deletes every backup without keepBackup', async () => {
    const { graphId, name } = await seedGraph(deps, socialGraph(2));
    await backUp(graphId);
    await stopGraph(deps, { projectId: PROJECT, graphId });

    const { jobId } = await deleteGraph(deps, { projectId: PROJECT, graphId, keepBackup: false });
    const { createGraph } = await import('../../lib/operations/graphs/graphs.js');
    await createGraph(deps, { projectId: PROJECT, name });
    await run(jobId);

    expect((await deps.backups.list({ projectId: PROJECT, graphId }, 0, 100)).total).toBe(0);
  });
});
