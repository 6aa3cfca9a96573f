import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import type { GesError } from '../../lib/core/errors.js';
import { policyView } from '../../lib/http/views.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { stopGraph } from '../../lib/operations/graphs/lifecycle.js';
import { requestBackup } from '../../lib/operations/policies/backup-requests.js';
import {
  getPolicy as getPolicyRecord,
  putPolicy as putPolicyRecord,
  runDuePolicies,
} from '../../lib/operations/policies/policies.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { PROJECT, seedGraph, socialGraph } from './fixtures.js';
import { type IsolatedStack, isolatedStack } from './support.js';

/** The views the API answers with, over the use cases' records. */
const putPolicy = async (...args: Parameters<typeof putPolicyRecord>) =>
  policyView(await putPolicyRecord(...args));
const getPolicy = async (...args: Parameters<typeof getPolicyRecord>) =>
  policyView(await getPolicyRecord(...args));

let stack: IsolatedStack;
let deps: Deps;
beforeAll(async () => {
  stack = await isolatedStack({ env: { BACKUP_QUOTA: '100' } });
  deps = stack.deps;
});

let now = Date.UTC(2031, 0, 1);
/** A clock the test moves by hand. */
const clock = { now: () => now };
const run = (jobId: string) =>
  runJob({ ...deps, clock }, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 });
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: unknown) => (e as GesError).code,
  );

describe('backup policies', () => {
  it('start an automatic backup when due, once, and keep only the newest keepAuto of them', async () => {
    const d = { ...deps, clock };
    const { graphId, name } = await seedGraph(deps, socialGraph(4));
    const manual = await startBackup(d, { projectId: PROJECT, graphId });
    await run(manual.jobId);
    const policy = await putPolicy(d, {
      projectId: PROJECT,
      graphId,
      enabled: true,
      schedule: 'rate(1 hour)',
      keepAuto: 2,
    });
    expect(policy).toMatchObject({ enabled: true, nextRunTime: '2031-01-01T01:00:00' });

    const autoJobs: string[] = [];
    for (let hour = 1; hour <= 4; hour++) {
      now = Date.UTC(2031, 0, 1, hour, 0, 30);
      const runs = await runDuePolicies(d);
      const mine = runs.find((r) => r.result === 'started');
      expect(mine?.jobId).toBeDefined();
      expect(await runDuePolicies(d)).toEqual([]); // not due again within the hour
      autoJobs.push(mine?.jobId as string);
      await run(mine?.jobId as string);
    }

    const { page } = await deps.backups.list({ projectId: PROJECT, graphId }, 0, 100);
    const autos = page.filter((b) => b.backupMethod === 'auto');
    expect(autos.map((b) => b.jobId)).toEqual([autoJobs[3], autoJobs[2]]);
    expect(autos[0]?.name).toMatch(new RegExp(`^${name}_\\d{14}_auto$`));
    expect(page.filter((b) => b.backupMethod === 'manual').map((b) => b.backupId)).toEqual([manual.backupId]);
    const gone = await deps.jobs.get(PROJECT, autoJobs[0] as string);
    expect(await deps.blobs.list(`${PROJECT}/${graphId}/${gone?.backupId}/`)).toEqual([]);
  });

  it('skip a stopped graph and record why', async () => {
    const d = { ...deps, clock };
    const { graphId } = await seedGraph(deps);
    await putPolicy(d, {
      projectId: PROJECT,
      graphId,
      enabled: true,
      schedule: 'rate(5 minutes)',
      keepAuto: 3,
    });
    await stopGraph(d, { projectId: PROJECT, graphId });
    now += 6 * 60_000;

    await runDuePolicies(d);

    expect((await getPolicy(d, { projectId: PROJECT, graphId })).lastRun).toMatchObject({
      result: 'skipped',
      reason: expect.stringMatching(/^GES\.7001/),
    });
  });

  it('refuse a schedule EventBridge would refuse', async () => {
    const { graphId } = await seedGraph(deps);
    const bad = putPolicy(deps, {
      projectId: PROJECT,
      graphId,
      enabled: true,
      schedule: 'cron(0 3 * * * *)',
      keepAuto: 1,
    });
    expect(await codeOf(bad)).toBe('GES.7016');
  });
});

describe('events', () => {
  it('refuse a request from a source not configured, or for a project its source may not name', async () => {
    const { graphId } = await seedGraph(deps, socialGraph(3));
    const only = {
      ...deps,
      config: { ...deps.config, backupRequestSources: new Map([['acme.ops', new Set(['other'])]]) },
    };
    const detail = { projectId: PROJECT, graphId };
    expect(await requestBackup(only, { id: 'e1', source: 'mallory', detail })).toEqual({
      refused: 'GES.7041',
    });
    expect(await requestBackup(only, { id: 'e2', source: 'acme.ops', detail })).toEqual({
      refused: 'GES.7041',
    });
    expect(await requestBackup(deps, { id: 'e3', detail })).toEqual({ refused: 'GES.7041' });
    expect(await deps.graphs.get(PROJECT, graphId)).toMatchObject({ status: '200' });
  });

  it('turn a Graph Backup Requested event into one backup, and announce how it ended', async () => {
    const { graphId } = await seedGraph(deps, socialGraph(3));
    const event = { id: 'evt-1', source: 'ges.backup.requests', detail: { projectId: PROJECT, graphId } };

    const started = await requestBackup(deps, event);
    const again = await requestBackup(deps, event); // EventBridge delivers at least once
    await runJob(
      deps,
      jobTasks,
      { projectId: PROJECT, jobId: (started as { jobId: string }).jobId },
      { attempt: 1 },
    );

    expect(again).toEqual(started);
    const announced = stack.published.filter((e) => e.detail.graphId === graphId);
    expect(announced).toEqual([
      {
        detailType: 'Graph Backup Succeeded',
        detail: expect.objectContaining({
          jobId: (started as { jobId: string }).jobId,
          vertexNum: 3,
          edgeNum: 2,
          backupMethod: 'auto',
        }),
      },
    ]);
  });

  it('announce a failed backup with its reason', async () => {
    const { graphId } = await seedGraph(deps);
    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });
    const late = { now: () => Date.now() + 10 ** 9 };
    await runJob({ ...deps, clock: late }, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 });
    expect(stack.published.find((e) => e.detail.jobId === jobId)).toEqual({
      detailType: 'Graph Backup Failed',
      detail: expect.objectContaining({ errorCode: 'GES.7005', reason: 'job timed out' }),
    });
  });
});
