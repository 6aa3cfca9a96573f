import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { DependencyUnavailable, GesError } from '../../lib/core/errors.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { listBackups } from '../../lib/operations/catalog/catalog.js';
import { getJob, listJobs } from '../../lib/operations/catalog/jobs.js';
import { addElements, summarize } from '../../lib/operations/graphs/data-plane.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { PROJECT, seedGraph, socialGraph } from './fixtures.js';
import { type IsolatedStack, isolatedStack, peekMessages } from './support.js';

let stack: IsolatedStack;
let deps: Deps;
beforeAll(async () => {
  stack = await isolatedStack();
  deps = stack.deps;
});

const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (e: unknown) => (e instanceof GesError ? e.code : (e as Error).name),
  );

describe('starting a backup', () => {
  it('writes the pending job, the backing_up backup and the lock together, without reading the graph, then queues the job', async () => {
    const { graphId } = await seedGraph(deps, socialGraph(3));
    const reads: unknown[] = [];
    const store = Object.create(deps.store) as Deps['store'];
    store.get = async (table, key) => {
      reads.push(key);
      return deps.store.get(table, key);
    };

    const { jobId, backupId } = await startBackup(
      { ...deps, store },
      { projectId: PROJECT, graphId, requestId: 'req-1' },
    );

    expect(reads).toEqual([]);
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);
    const job = await deps.jobs.get(PROJECT, jobId);
    expect(job).toMatchObject({ status: 'pending', jobName: 'BackupGraph', graphId, backupId, progress: 0 });
    const backup = await deps.backups.get(PROJECT, backupId);
    expect(backup).toMatchObject({
      status: 'backing_up',
      backupMethod: 'manual',
      graphId,
      jobId,
      graphStatus: '200',
    });
    expect(await deps.graphs.get(PROJECT, graphId)).toMatchObject({ status: '903', lockJobId: jobId });
    const messages = await peekMessages(stack.sqs, stack.resources.jobQueue.url);
    const mine = messages.find((m) => JSON.parse(m.Body ?? '{}').jobId === jobId);
    expect(JSON.parse(mine?.Body ?? '{}')).toEqual({ projectId: PROJECT, jobId });
    expect(mine?.MessageAttributes?.requestId?.StringValue).toBe('req-1');
  });

  it('has readers told the graph of a backup not yet taken, which the first delivery then records', async () => {
    const { graphId, name } = await seedGraph(deps, socialGraph(3));
    const graph = await deps.graphs.get(PROJECT, graphId);
    const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
    expect((await deps.backups.get(PROJECT, backupId))?.generation).toBeUndefined();

    // Before any delivery: the list and the job center name the graph from the graph's record.
    const listed = await listBackups(deps, { projectId: PROJECT, graphId, offset: 0, limit: 10 });
    const told = listed.page.find((b) => b.backupId === backupId);
    expect(told).toMatchObject({ graphName: name, generation: graph?.generation, shards: graph?.shards });
    expect(told?.name).toMatch(new RegExp(`^${name}-\\d{14}$`));
    expect(await getJob(deps, { projectId: PROJECT, graphId, jobId })).toMatchObject({ graphName: name });
    const { jobs } = await listJobs(deps, { projectId: PROJECT, offset: 0, limit: 100, graphName: name });
    expect(jobs.map((j) => j.jobId)).toContain(jobId);

    await runJob(deps, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 });

    // The first delivery recorded what readers were told.
    const recorded = await deps.backups.get(PROJECT, backupId);
    expect(recorded).toMatchObject({ status: 'success', name: told?.name, graphName: name });
    expect(recorded).toMatchObject({ generation: graph?.generation, shards: graph?.shards });
    expect((await deps.jobs.get(PROJECT, jobId))?.graphName).toBe(name);
  });

  it('describes the backup only while its job holds the graph', async () => {
    const { graphId } = await seedGraph(deps, socialGraph(3));
    const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
    // The graph is no longer held by the job when its first delivery reads it (only a job's own end
    // frees it; forced here): what the delivery read may have moved on, so it records nothing.
    const graph = await deps.graphs.get(PROJECT, graphId);
    if (!graph) throw new Error('no graph');
    await deps.store.apply(deps.graphs.release(graph, jobId, '200', deps.clock.now()));

    await runJob(deps, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 }).catch(() => undefined);

    expect((await deps.backups.get(PROJECT, backupId))?.generation).toBeUndefined();
    expect((await deps.jobs.get(PROJECT, jobId))?.graphName).toBeUndefined();
  });

  it('refuses a graph that does not exist with GES.7000', async () => {
    const graphId = '00000000-0000-4000-8000-000000000000';
    expect(await codeOf(startBackup(deps, { projectId: PROJECT, graphId }))).toBe('GES.7000');
  });

  it('refuses a second backup while the first holds the graph with GES.7002', async () => {
    const { graphId } = await seedGraph(deps);
    await startBackup(deps, { projectId: PROJECT, graphId });
    expect(await codeOf(startBackup(deps, { projectId: PROJECT, graphId }))).toBe('GES.7002');
  });

  it('lets exactly one of many racing requests take the graph', async () => {
    const { graphId } = await seedGraph(deps);

    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => startBackup(deps, { projectId: PROJECT, graphId })),
    );

    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const r of lost) expect((r.reason as GesError).code).toBe('GES.7002');
    const graph = await deps.graphs.get(PROJECT, graphId);
    expect(graph?.lockJobId).toBe((won[0] as PromiseFulfilledResult<{ jobId: string }>).value.jobId);
  });

  it('fails the job and frees the graph when the job cannot be queued', async () => {
    const { graphId } = await seedGraph(deps);
    let sent: string | undefined;
    const refuse = async (message: { jobId: string }) => {
      sent = message.jobId;
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    };
    const downQueue = {
      ...deps.queue,
      send: refuse,
      sendAll: async ([first]: { jobId: string }[]) => refuse(first ?? { jobId: '' }),
    };

    const error = await startBackup({ ...deps, queue: downQueue }, { projectId: PROJECT, graphId }).catch(
      (e) => e,
    );

    expect(error).toBeInstanceOf(DependencyUnavailable);
    const job = await deps.jobs.get(PROJECT, sent as string);
    expect(job).toMatchObject({ status: 'failed', errorCode: 'GES.7005' });
    expect(await deps.backups.get(PROJECT, job?.backupId as string)).toMatchObject({ status: 'failed' });
    const graph = await deps.graphs.get(PROJECT, graphId);
    expect(graph?.status).toBe('200');
    expect(graph?.lockJobId).toBeUndefined();
  });
});

describe('data writes while a backup holds the graph', () => {
  it('are refused with GES.7002, and reads go on', async () => {
    const { graphId, name } = await seedGraph(deps, socialGraph(4));
    await startBackup(deps, { projectId: PROJECT, graphId });

    const write = addElements(deps, {
      projectId: PROJECT,
      graphName: name,
      elements: [{ vertex: 'late', label: 'user', properties: {} }],
    });

    expect(await codeOf(write)).toBe('GES.7002');
    const summary = await summarize(deps, { projectId: PROJECT, graphName: name });
    expect(summary.data).toMatchObject({ vertexNum: 4, edgeNum: 3 });
  });
});

describe('X-Client-Token', () => {
  it('returns the same job to a retried request instead of starting a second backup', async () => {
    const { graphId } = await seedGraph(deps);
    const first = await startBackup(deps, { projectId: PROJECT, graphId, clientToken: 'retry-me-1' });

    const again = await startBackup(deps, { projectId: PROJECT, graphId, clientToken: 'retry-me-1' });

    expect(again).toEqual(first);
    expect((await deps.backups.list({ projectId: PROJECT, graphId }, 0, 10)).total).toBe(1);
  });

  it('gives every one of many racing requests with one token the same single job', async () => {
    const { graphId } = await seedGraph(deps);

    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        startBackup(deps, { projectId: PROJECT, graphId, clientToken: 'race-1' }),
      ),
    );

    expect(new Set(results.map((r) => r.jobId)).size).toBe(1);
    expect((await deps.backups.list({ projectId: PROJECT, graphId }, 0, 10)).total).toBe(1);
  });

  it('starts a new backup once the token is older than 8 hours', async () => {
    const { graphId } = await seedGraph(deps);
    const first = await startBackup(deps, { projectId: PROJECT, graphId, clientToken: 'old-1' });
    const job = await deps.jobs.get(PROJECT, first.jobId);
    await runJob(deps, jobTasks, { projectId: PROJECT, jobId: first.jobId }, { attempt: 1 });
    const later = { now: () => (job?.createdAt ?? 0) + 8 * 3600 * 1000 + 1 };

    const second = await startBackup(
      { ...deps, clock: later },
      { projectId: PROJECT, graphId, clientToken: 'old-1' },
    );

    expect(second.jobId).not.toBe(first.jobId);
  });

  it('refuses a token already used for another graph with GES.7016', async () => {
    const a = await seedGraph(deps);
    const b = await seedGraph(deps);
    await startBackup(deps, { projectId: PROJECT, graphId: a.graphId, clientToken: 'mine-1' });
    expect(
      await codeOf(startBackup(deps, { projectId: PROJECT, graphId: b.graphId, clientToken: 'mine-1' })),
    ).toBe('GES.7016');
  });
});
