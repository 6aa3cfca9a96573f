import { describe, expect, it } from 'vitest';
import { GesError } from '../../lib/core/errors.js';
import { backupTask, progressOf } from '../../lib/operations/backup/backup-task.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { deleteBackup } from '../../lib/operations/catalog/catalog.js';
import { createGraph } from '../../lib/operations/graphs/graphs.js';
import { stopGraph } from '../../lib/operations/graphs/lifecycle.js';
import { GraphStatus } from '../../lib/records/graphs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { sweepOverdueJobs } from '../../lib/runtime/sweep.js';
import { memoryDeps } from '../support/memory-deps.js';

const PROJECT = 'proj1';
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e) => (e instanceof GesError ? e.code : String(e)),
  );

async function graphIn(env: Record<string, string> = {}) {
  const mem = memoryDeps(env);
  const { graph } = await createGraph(mem.deps, { projectId: PROJECT, name: 'movies' });
  return { ...mem, graphId: graph.graphId };
}

describe('starting a backup (rules on the in-memory store)', () => {
  it('writes the pending job, the backup, the lock and a quota unit together, then queues the job', async () => {
    const { deps, sent, graphId } = await graphIn();
    const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({
      kind: 'backup',
      status: 'pending',
      backupId,
    });
    expect(await deps.backups.get(PROJECT, backupId)).toMatchObject({ status: 'backing_up', jobId });
    expect(await deps.graphs.get(PROJECT, graphId)).toMatchObject({
      status: GraphStatus.backingUp,
      lockJobId: jobId,
    });
    expect((await deps.projects.counts(PROJECT)).backupCount).toBe(1);
    expect(sent).toEqual([{ projectId: PROJECT, jobId }]);
  });

  it('refuses a busy graph with GES.7002 and changes nothing', async () => {
    const { deps, store, graphId } = await graphIn();
    await startBackup(deps, { projectId: PROJECT, graphId });
    const before = store.items('control');
    expect(await codeOf(startBackup(deps, { projectId: PROJECT, graphId }))).toBe('GES.7002');
    expect(store.items('control')).toEqual(before);
  });

  it('refuses a stopped graph (GES.7001), an unknown one (GES.7000), and a full quota (GES.7019)', async () => {
    const stopped = await graphIn();
    await stopGraph(stopped.deps, { projectId: PROJECT, graphId: stopped.graphId });
    expect(await codeOf(startBackup(stopped.deps, { projectId: PROJECT, graphId: stopped.graphId }))).toBe(
      'GES.7001',
    );
    expect(
      await codeOf(startBackup(stopped.deps, { projectId: PROJECT, graphId: crypto.randomUUID() })),
    ).toBe('GES.7000');
    const full = await graphIn({ BACKUP_QUOTA: '1' });
    const first = await startBackup(full.deps, { projectId: PROJECT, graphId: full.graphId });
    const ids = { projectId: PROJECT, ...first };
    const ended = await full.store.transact([
      full.deps.jobs.end(ids, { status: 'success' }, 0),
      full.deps.backups.complete(ids, { endAt: 0, sizeBytes: 0, vertexNum: 0, edgeNum: 0 }),
      full.deps.graphs.release(
        { projectId: PROJECT, graphId: full.graphId },
        first.jobId,
        GraphStatus.running,
        0,
      ),
    ]);
    expect(ended.ok).toBe(true);
    expect(await codeOf(startBackup(full.deps, { projectId: PROJECT, graphId: full.graphId }))).toBe(
      'GES.7019',
    );
  });

  it('gives the same job to a retried request with the same client token, and no second backup', async () => {
    const { deps, sent, graphId } = await graphIn();
    const first = await startBackup(deps, { projectId: PROJECT, graphId, clientToken: 'retry-1' });
    const again = await startBackup(deps, { projectId: PROJECT, graphId, clientToken: 'retry-1' });
    expect(again).toEqual(first);
    expect(sent).toHaveLength(1);
  });

  it('refuses a client token already used for another graph with GES.7016, and starts nothing', async () => {
    const { deps, sent, graphId } = await graphIn();
    const { graph: other } = await createGraph(deps, { projectId: PROJECT, name: 'people' });
    await startBackup(deps, { projectId: PROJECT, graphId, clientToken: 'token-1' });
    const code = await codeOf(
      startBackup(deps, { projectId: PROJECT, graphId: other.graphId, clientToken: 'token-1' }),
    );
    expect(code).toBe('GES.7016');
    expect(sent).toHaveLength(1);
    expect((await deps.graphs.get(PROJECT, other.graphId))?.lockJobId).toBeUndefined();
  });

  it('records a backup asked for without a method as manual, and an automatic one as auto', async () => {
    const { deps, graphId } = await graphIn();
    const { graph: other } = await createGraph(deps, { projectId: PROJECT, name: 'people' });
    const manual = await startBackup(deps, { projectId: PROJECT, graphId });
    const auto = await startBackup(deps, { projectId: PROJECT, graphId: other.graphId, method: 'auto' });
    expect((await deps.backups.get(PROJECT, manual.backupId))?.backupMethod).toBe('manual');
    expect((await deps.backups.get(PROJECT, auto.backupId))?.backupMethod).toBe('auto');
  });

  it('fails the job and releases everything before answering 503 when the queue is down', async () => {
    const { deps, graphId, queueDown } = await graphIn();
    queueDown(true);
    await expect(startBackup(deps, { projectId: PROJECT, graphId })).rejects.toMatchObject({
      name: 'DependencyUnavailable',
    });
    const graph = await deps.graphs.get(PROJECT, graphId);
    expect(graph).toMatchObject({ status: GraphStatus.running });
    expect(graph?.lockJobId).toBeUndefined();
    const jobs = [];
    for await (const job of deps.jobs.listNewestFirst(PROJECT)) jobs.push(job);
    expect(jobs.find((j) => j.kind === 'backup')).toMatchObject({ status: 'failed', errorCode: 'GES.7005' });
  });
});

describe('the backup quota', () => {
  const quotaUsed = async (deps: ReturnType<typeof memoryDeps>['deps']) =>
    (await deps.projects.counts(PROJECT)).backupCount;
  const withoutFiles = (deps: ReturnType<typeof memoryDeps>['deps']) =>
    ({
      ...deps,
      blobs: { deletePrefix: async () => 0 },
      events: { publish: async () => {} },
    }) as unknown as Deps;

  it('is given back when the job cannot be queued', async () => {
    const { deps, graphId, queueDown } = await graphIn();
    queueDown(true);
    await startBackup(deps, { projectId: PROJECT, graphId }).catch(() => undefined);
    expect(await quotaUsed(deps)).toBe(0);
  });

  it('is given back when the worker fails the job, and when the sweeper does', async () => {
    const worker = await graphIn();
    const { jobId } = await startBackup(worker.deps, { projectId: PROJECT, graphId: worker.graphId });
    expect(await quotaUsed(worker.deps)).toBe(1);
    const broken = Object.create(worker.deps.data) as typeof worker.deps.data;
    broken.counts = async () => {
      throw new Error('a bug');
    };
    const outcome = await runJob(
      { ...withoutFiles(worker.deps), data: broken },
      { backup: backupTask },
      { projectId: PROJECT, jobId },
      { attempt: 1 },
    );
    expect(outcome).toBe('failed');
    expect(await quotaUsed(worker.deps)).toBe(0);

    const swept = await graphIn();
    await startBackup(swept.deps, { projectId: PROJECT, graphId: swept.graphId });
    swept.advance(swept.deps.config.jobStallMs + 1);
    await sweepOverdueJobs(withoutFiles(swept.deps), { backup: backupTask });
    expect(await quotaUsed(swept.deps)).toBe(0);
  });

  it('is not taken by a refused start, and not given back twice when a failed backup is deleted', async () => {
    const { deps, graphId, store } = await graphIn();
    const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
    await startBackup(deps, { projectId: PROJECT, graphId }).catch(() => undefined); // GES.7002
    expect(await quotaUsed(deps)).toBe(1);
    const job = await deps.jobs.get(PROJECT, jobId);
    await store.transact(
      backupTask.failActions(
        deps,
        job as NonNullable<typeof job>,
        { status: 'failed', code: 'GES.7040', message: 'x' },
        0,
      ),
    );
    expect(await quotaUsed(deps)).toBe(0);
    await deleteBackup(withoutFiles(deps), { projectId: PROJECT, graphId, backupId });
    expect(await quotaUsed(deps)).toBe(0);
  });
});

describe('leasing a job', () => {
  it('lets one run take a pending job, no other until its lease runs out, then the next', async () => {
    const { deps, graphId, advance } = await graphIn();
    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });
    const now = deps.clock.now();
    expect(await deps.jobs.take(PROJECT, jobId, 'run-a', now, 1000)).toMatchObject({
      runId: 'run-a',
      attempts: 1,
    });
    expect(await deps.jobs.take(PROJECT, jobId, 'run-b', now + 999, 1000)).toBeUndefined();
    advance(1001);
    expect(await deps.jobs.take(PROJECT, jobId, 'run-b', deps.clock.now(), 1000)).toMatchObject({
      runId: 'run-b',
      attempts: 2,
    });
    // The first run is fenced off: its writes no longer land.
    expect(
      await deps.jobs.progress(PROJECT, jobId, 'run-a', 50, {
        vertices: { done: 1 },
        edges: { done: 0 },
        shards: { done: 0, expected: 1 },
      }),
    ).toBe('lost');
    expect(
      await deps.store.transact([
        deps.jobs.end({ projectId: PROJECT, jobId }, { status: 'success' }, 0, 'run-a'),
      ]),
    ).toMatchObject({ ok: false });
  });
});

describe('the job center', () => {
  it('never goes backwards when concurrent tasks report out of order', async () => {
    const { deps, graphId } = await graphIn();
    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });
    const now = deps.clock.now();
    await deps.jobs.take(PROJECT, jobId, 'run', now, 60_000);
    const expected = {
      vertices: { done: 0, expected: 20 },
      edges: { done: 0, expected: 0 },
      shards: { done: 0, expected: 2 },
    };
    await deps.jobs.startTasks(PROJECT, jobId, 'run', 2, expected);
    const part = (shard: number, vertices: number) => ({
      key: `part-0000${shard}-000-00000000.jsonl.gz`,
      shard,
      segment: 0,
      records: vertices,
      vertices,
      edges: 0,
      bytes: 1,
      sha256: '0'.repeat(64),
      contentDigest: '0'.repeat(64),
      last: true,
    });
    const record = async (shard: number, vertices: number) => {
      const values = part(shard, vertices);
      const adds = { parts: 1, vertices, edges: 0, shards: 1 };
      const job = { projectId: PROJECT, jobId, ledger: 'run' };
      const recorded = await deps.jobs.record(job, 'run', 'PART', { name: `${shard}.0`, values, adds });
      return backupTask.narrowed(recorded?.job as never);
    };
    // Task A records its part, then task B records its own, then B reports before A does.
    const viewA = await record(0, 5);
    const viewB = await record(1, 15);
    const b = progressOf(viewB);
    const a = progressOf(viewA);
    expect(await deps.jobs.progress(PROJECT, jobId, 'run', b.progress, b.detail, b.seen)).toBe('recorded');
    expect(await deps.jobs.progress(PROJECT, jobId, 'run', a.progress, a.detail, a.seen)).toBe('stale');
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({
      progress: b.progress,
      detail: { vertices: { done: 20, expected: 20 }, shards: { done: 2, expected: 2 } },
    });
  });
});

describe('the sweeper', () => {
  it('fails an overdue job with GES.7005, frees the graph, its backup and its quota unit, removes its files and announces it', async () => {
    const { deps, graphId, advance } = await graphIn();
    const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
    advance(deps.config.jobStallMs + 1);
    const removed: string[] = [];
    const announced: string[] = [];
    const swept = await sweepOverdueJobs(
      {
        ...deps,
        blobs: { deletePrefix: async (prefix: string) => void removed.push(prefix) },
        events: { publish: async (detailType: string) => void announced.push(detailType) },
      } as unknown as Deps,
      { backup: backupTask },
    );
    expect(swept.failed).toEqual([jobId]);
    // What the run left is removed, and the end is announced.
    expect(removed).toEqual([expect.stringContaining(backupId)]);
    expect(announced).toEqual(['Graph Backup Failed']);
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({ status: 'failed', errorCode: 'GES.7005' });
    expect(await deps.backups.get(PROJECT, backupId)).toMatchObject({ status: 'failed' });
    expect((await deps.graphs.get(PROJECT, graphId))?.lockJobId).toBeUndefined();
  });
});

describe('the sweeper, for a kind it has no task for', () => {
  it('still ends the job, alone, and goes on', async () => {
    const { deps, graphId, advance } = await graphIn();
    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });
    advance(deps.config.jobStallMs + 1);
    const swept = await sweepOverdueJobs(
      { ...deps, blobs: undefined, events: undefined } as unknown as Deps,
      {},
    );
    expect(swept.failed).toEqual([jobId]);
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({
      status: 'failed',
      failReason: 'job timed out',
    });
  });
});

describe('the stall window', () => {
  const DETAIL = { vertices: { done: 1 }, edges: { done: 0 }, shards: { done: 0, expected: 1 } };
  const sweeperDeps = (deps: Omit<Deps, 'blobs' | 'events'>) =>
    ({
      ...deps,
      blobs: { deletePrefix: async () => 0 },
      events: { publish: async () => {} },
    }) as unknown as Deps;

  it('leaves a job that keeps moving, however long it runs, and fails it once it stops', async () => {
    const { deps, graphId, advance } = await graphIn();
    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });
    await deps.jobs.take(PROJECT, jobId, 'run', deps.clock.now(), deps.config.jobLeaseMs);
    // Ten stall windows in all, a progress write in each.
    for (let step = 0; step < 20; step++) {
      advance(deps.config.jobStallMs / 2);
      expect(await deps.jobs.progress(PROJECT, jobId, 'run', step, DETAIL)).toBe('recorded');
      expect((await sweepOverdueJobs(sweeperDeps(deps), { backup: backupTask })).failed).toEqual([]);
    }
    advance(deps.config.jobStallMs - 1);
    expect((await sweepOverdueJobs(sweeperDeps(deps), { backup: backupTask })).failed).toEqual([]);
    advance(2);
    expect((await sweepOverdueJobs(sweeperDeps(deps), { backup: backupTask })).failed).toEqual([jobId]);
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({
      status: 'failed',
      failReason: 'job timed out',
    });
  });

  it('is not renewed by a heartbeat: a run that beats but does nothing is failed', async () => {
    const { deps, graphId, advance } = await graphIn();
    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });
    await deps.jobs.take(PROJECT, jobId, 'run', deps.clock.now(), deps.config.jobLeaseMs);
    for (let t = 0; t <= deps.config.jobStallMs; t += deps.config.heartbeatMs) {
      advance(deps.config.heartbeatMs);
      expect(
        await deps.jobs.renewLease(PROJECT, jobId, 'run', deps.clock.now() + deps.config.jobLeaseMs),
      ).toBe(true);
    }
    expect((await sweepOverdueJobs(sweeperDeps(deps), { backup: backupTask })).failed).toEqual([jobId]);
  });

  it('spares a job that moved between the sweeper reading it and failing it', async () => {
    const { deps, graphId, advance } = await graphIn();
    const { jobId } = await startBackup(deps, { projectId: PROJECT, graphId });
    await deps.jobs.take(PROJECT, jobId, 'run', deps.clock.now(), deps.config.jobLeaseMs);
    advance(deps.config.jobStallMs + 1);
    const jobs = Object.create(deps.jobs) as Deps['jobs'];
    jobs.overdue = async (now, limit) => {
      const page = await deps.jobs.overdue(now, limit);
      await deps.jobs.progress(PROJECT, jobId, 'run', 10, DETAIL); // the run moves on meanwhile
      return page;
    };
    const swept = await sweepOverdueJobs({ ...sweeperDeps(deps), jobs }, { backup: backupTask });
    expect(swept.failed).toEqual([]);
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({ status: 'running', progress: 10 });
  });
});
