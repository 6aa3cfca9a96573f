import { describe, expect, it } from 'vitest';
import { ledgerEntryKey } from '../../lib/core/keys.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { createGraph } from '../../lib/operations/graphs/graphs.js';
import { memoryDeps } from '../support/memory-deps.js';

/** The job record's state changes, each fenced by the run that owns the job, on the in-memory store. */

const DETAIL = { vertices: { done: 1 }, edges: { done: 2 }, shards: { done: 0, expected: 4 } };

async function pendingJob() {
  const memory = memoryDeps({ JOB_RETENTION_DAYS: '7' });
  const { deps } = memory;
  const { graph } = await createGraph(deps, {
    projectId: 'p1',
    name: `g${Math.random().toString(36).slice(2)}`,
  });
  const { jobId } = await startBackup(deps, { projectId: 'p1', graphId: graph.graphId });
  const now = deps.clock.now();
  return { ...memory, jobs: deps.jobs, jobId, now, job: () => deps.jobs.get('p1', jobId) };
}

describe('the job repository', () => {
  it('reads nothing for an unknown job', async () => {
    const { jobs } = await pendingJob();
    expect(await jobs.get('p1', 'no-such-job')).toBeUndefined();
  });

  it('ends a job once: failed with its code and reason, off the overdue list, expiring after the retention', async () => {
    const t = await pendingJob();
    const at = t.now + 1234;
    const end = { status: 'failed' as const, code: 'GES.7005', message: 'job timed out' };
    expect((await t.deps.store.transact([t.jobs.end({ projectId: 'p1', jobId: t.jobId }, end, at)])).ok).toBe(
      true,
    );
    const ended = await t.job();
    expect(ended).toMatchObject({
      status: 'failed',
      errorCode: 'GES.7005',
      failReason: 'job timed out',
      endAt: at,
    });
    expect(ended?.expiresAt).toBe(Math.floor(at / 1000) + 7 * 86_400);
    expect(ended).not.toHaveProperty('leaseUntil');
    expect(await t.jobs.overdue(t.now + 86_400_000, 10)).toEqual([]);
    // Ended is ended: not again, not as a success either.
    const again = t.jobs.end({ projectId: 'p1', jobId: t.jobId }, { status: 'success' }, at + 1);
    expect((await t.deps.store.transact([again])).ok).toBe(false);
  });

  it('ends a job as a success at 100 %, and a job recorded ended expires like one', async () => {
    const t = await pendingJob();
    await t.deps.store.transact([
      t.jobs.end({ projectId: 'p1', jobId: t.jobId }, { status: 'success' }, t.now),
    ]);
    expect(await t.job()).toMatchObject({ status: 'success', progress: 100 });
    const job = (await t.job()) ?? (undefined as never);
    expect(t.jobs.ended({ ...job, createdAt: 86_400_000 })).toMatchObject({
      status: 'success',
      progress: 100,
      endAt: 86_400_000,
      expiresAt: 86_400 + 7 * 86_400,
    });
  });

  it('ends a job with the counts it is given, and keeps those it had without', async () => {
    const t = await pendingJob();
    await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    await t.jobs.progress('p1', t.jobId, 'run1', 40, DETAIL);
    const final = { ...DETAIL, vertices: { done: 9, expected: 9 } };
    const ids = { projectId: 'p1', jobId: t.jobId };
    await t.deps.store.transact([t.jobs.end(ids, { status: 'success' }, t.now, 'run1', final)]);
    expect(await t.job()).toMatchObject({ detail: final });

    const other = await pendingJob();
    await other.jobs.take('p1', other.jobId, 'run1', other.now, 60_000);
    await other.jobs.progress('p1', other.jobId, 'run1', 40, DETAIL);
    const otherIds = { projectId: 'p1', jobId: other.jobId };
    await other.deps.store.transact([other.jobs.end(otherIds, { status: 'success' }, other.now, 'run1')]);
    expect(await other.job()).toMatchObject({ detail: DETAIL });
  });

  it('moves a job to its next stage once, from the stage it leaves, as the owning run only', async () => {
    const t = await pendingJob();
    await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    const ids = { projectId: 'p1', jobId: t.jobId };
    const move = (runId: string, from: string | undefined, to: string) =>
      t.deps.store.transact([t.jobs.moveStage(ids, runId, from, to, { target: 7 })]).then((r) => r.ok);
    expect(await move('run1', 'clear', 'load')).toBe(false);
    expect(await move('run2', undefined, 'clear')).toBe(false);
    expect(await move('run1', undefined, 'clear')).toBe(true);
    expect(await move('run1', undefined, 'clear')).toBe(false);
    expect(await move('run1', 'clear', 'load')).toBe(true);
    expect(await move('run1', 'clear', 'load')).toBe(false);
    expect(await t.job()).toMatchObject({ stage: 'load', target: 7 });
  });

  it("gives a job's lease back or renews it for the owning run only, leaving its deadline where it was", async () => {
    const t = await pendingJob();
    await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    const before = (await t.job()) ?? (undefined as never);
    t.advance(5_000);
    expect(await t.jobs.renewLease('p1', t.jobId, 'run2', t.now + 90_000)).toBe(false);
    expect(await t.jobs.renewLease('p1', t.jobId, 'run1', t.now + 90_000)).toBe(true);
    expect(await t.job()).toMatchObject({ leaseUntil: t.now + 90_000, deadlineAt: before.deadlineAt });
    await t.jobs.releaseLease('p1', t.jobId, 'run2');
    expect(await t.job()).toMatchObject({ leaseUntil: t.now + 90_000 });
    await t.jobs.releaseLease('p1', t.jobId, 'run1');
    expect(await t.job()).toMatchObject({ leaseUntil: 0, deadlineAt: before.deadlineAt, runId: 'run1' });
  });

  it('records progress in order of the views it came from; a report without a view always counts', async () => {
    const t = await pendingJob();
    await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    await t.jobs.startTasks('p1', t.jobId, 'run1', 2, DETAIL);
    expect(await t.jobs.progress('p1', t.jobId, 'run1', 50, DETAIL, 5)).toBe('recorded');
    expect(await t.jobs.progress('p1', t.jobId, 'run1', 40, DETAIL, 4)).toBe('stale');
    expect(await t.jobs.progress('p1', t.jobId, 'run1', 45, DETAIL, 5)).toBe('stale');
    expect(await t.job()).toMatchObject({ progress: 50, reportedParts: 5 });
    expect(await t.jobs.progress('p1', t.jobId, 'run1', 30, DETAIL)).toBe('recorded');
    expect(await t.job()).toMatchObject({ progress: 30, reportedParts: 5 });
    // A run that splits the job again starts its views afresh.
    await t.jobs.startTasks('p1', t.jobId, 'run1', 2, DETAIL);
    expect(await t.job()).not.toHaveProperty('reportedParts');
    expect(await t.jobs.progress('p1', t.jobId, 'run1', 10, DETAIL, 1)).toBe('recorded');
    // Another run's report is lost, not stale.
    expect(await t.jobs.progress('p1', t.jobId, 'run2', 60, DETAIL, 9)).toBe('lost');
  });

  it('lists a project’s jobs newest first', async () => {
    const t = await pendingJob();
    t.advance(1000);
    const { graph } = await createGraph(t.deps, { projectId: 'p1', name: 'second' });
    const second = await startBackup(t.deps, { projectId: 'p1', graphId: graph.graphId });
    const listed: string[] = [];
    for await (const job of t.jobs.listNewestFirst('p1')) if (job.kind === 'backup') listed.push(job.jobId);
    expect(listed).toEqual([second.jobId, t.jobId]);
  });

  it('takes a running job off the overdue list and its lease when it ends', async () => {
    const t = await pendingJob();
    await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    const late = t.now + 86_400_000;
    expect((await t.jobs.overdue(late, 10)).map((j) => j.jobId)).toEqual([t.jobId]);
    await t.deps.store.transact([
      t.jobs.end({ projectId: 'p1', jobId: t.jobId }, { status: 'success' }, t.now, 'run1'),
    ]);
    expect(await t.job()).not.toHaveProperty('leaseUntil');
    expect(await t.jobs.overdue(late, 10)).toEqual([]);
  });

  it('starts counting afresh, in a ledger of its own, when a run splits its job again', async () => {
    const t = await pendingJob();
    await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    await t.jobs.startTasks('p1', t.jobId, 'run1', 2, DETAIL);
    const first = { projectId: 'p1', jobId: t.jobId, ledger: 'run1' };
    await t.jobs.record(first, 'run1', 'TASK', { name: 't0', adds: { tasks: 1 } });
    expect(await t.job()).toMatchObject({ ledger: 'run1', tally: { tasks: 1 } });
    await t.jobs.take('p1', t.jobId, 'run2', t.now + 60_001, 60_000);
    await t.jobs.startTasks('p1', t.jobId, 'run2', 3, DETAIL);
    expect(await t.job()).toMatchObject({ ledger: 'run2', tally: {} });
    const second = { projectId: 'p1', jobId: t.jobId, ledger: 'run2' };
    expect(await t.jobs.entries(second, 'TASK')).toEqual([]);
    expect(await t.jobs.entries(first, 'TASK')).toEqual([{ entry: 't0' }]);
    // An entry of the old ledger counts no more, even from the run that owns the job.
    expect(await t.jobs.record(first, 'run2', 'TASK', { name: 't1', adds: { tasks: 1 } })).toBeUndefined();
  });

  it("tells the tasks done from the sums, and from the ledger's entries when a task was recorded before", async () => {
    const t = await pendingJob();
    await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    await t.jobs.startTasks('p1', t.jobId, 'run1', 3, DETAIL);
    const ids = { projectId: 'p1', jobId: t.jobId, ledger: 'run1' };
    await t.jobs.record(ids, 'run1', 'TASK', { name: 'load.0', adds: { 'load.tasks': 1 } });
    // A dead delivery's entry the sums never counted.
    await t.deps.store.apply({
      name: 'an entry alone',
      table: 'control',
      put: { ...ledgerEntryKey('p1', t.jobId, 'run1', 'TASK#load.1'), entry: 'load.1' },
    });
    const job = (await t.job()) ?? (undefined as never);
    const done = (fresh: boolean, total: number, prefix = 'load.') =>
      t.jobs.tasksDone(job, { sum: 'load.tasks', prefix, fresh, total });
    expect(await done(true, 3)).toBe(1);
    expect(await done(false, 3)).toBe(2);
    expect(await done(false, 1)).toBe(1);
    expect(await done(false, 3, 'drop.')).toBe(0);
  });

  it('refuses a duplicate from a run that no longer owns the job, or on another ledger', async () => {
    const t = await pendingJob();
    await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    await t.jobs.startTasks('p1', t.jobId, 'run1', 2, DETAIL);
    const job = { projectId: 'p1', jobId: t.jobId, ledger: 'run1' };
    const part = { name: '0.0', values: { key: 'a' }, adds: { parts: 1 } };
    expect(await t.jobs.record(job, 'run1', 'PART', part)).toMatchObject({ fresh: true });
    // The same entry on a ledger the job is not on: refused, whether it exists there or not.
    expect(await t.jobs.record({ ...job, ledger: 'other' }, 'run1', 'PART', part)).toBeUndefined();
    expect(await t.jobs.record({ ...job, ledger: 'other' }, 'run1', 'PART', part)).toBeUndefined();
    // Taken over: the old run's duplicate is refused.
    await t.jobs.take('p1', t.jobId, 'run2', t.now + 60_001, 60_000);
    expect(await t.jobs.record(job, 'run1', 'PART', part)).toBeUndefined();
    expect(await t.jobs.record(job, 'run2', 'PART', part)).toMatchObject({ fresh: false });
    // Ended: nobody records.
    await t.deps.store.transact([
      t.jobs.end({ projectId: 'p1', jobId: t.jobId }, { status: 'success' }, t.now, 'run2'),
    ]);
    expect(await t.jobs.record(job, 'run2', 'PART', part)).toBeUndefined();
  });

  it('has no ledger before a run starts its tasks: nothing to read, nothing to record into', async () => {
    const t = await pendingJob();
    await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    const job = { projectId: 'p1', jobId: t.jobId };
    expect(await t.jobs.entries(job, 'PART')).toEqual([]);
    expect(await t.jobs.entry(job, 'PART', '0.0')).toBeUndefined();
    expect(await t.jobs.countEntries(job, 'TASK')).toBe(0);
    await expect(t.jobs.record(job, 'run1', 'PART', { name: '0.0', adds: {} })).rejects.toThrow(/no ledger/);
  });

  it('lets an entry expire a month after the jobs’ retention, counted from when it was written', async () => {
    const t = await pendingJob();
    await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    await t.jobs.startTasks('p1', t.jobId, 'run1', 1, DETAIL);
    await t.jobs.record({ projectId: 'p1', jobId: t.jobId, ledger: 'run1' }, 'run1', 'TASK', {
      name: 't0',
      adds: { tasks: 1 },
    });
    const item = await t.deps.store.get('control', ledgerEntryKey('p1', t.jobId, 'run1', 'TASK#t0'));
    const retentionDays = t.deps.config.jobRetentionDays;
    expect(item?.expiresAt).toBe(Math.floor(t.now / 1000) + (retentionDays + 30) * 86_400);
  });

  it('records an entry once: a duplicate adds nothing to the sums', async () => {
    const t = await pendingJob();
    await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    await t.jobs.startTasks('p1', t.jobId, 'run1', 2, DETAIL);
    const job = { projectId: 'p1', jobId: t.jobId, ledger: 'run1' };
    const part = { name: '0.0', values: { key: 'a', vertices: 3 }, adds: { parts: 1, vertices: 3 } };
    expect(await t.jobs.record(job, 'run1', 'PART', part)).toMatchObject({
      fresh: true,
      job: { tally: { parts: 1, vertices: 3 } },
    });
    expect(await t.jobs.record(job, 'run1', 'PART', part)).toMatchObject({
      fresh: false,
      job: { tally: { parts: 1, vertices: 3 } },
    });
    expect(await t.jobs.entry(job, 'PART', '0.0')).toEqual({ entry: '0.0', key: 'a', vertices: 3 });
    expect(await t.jobs.entry(job, 'PART', '0.1')).toBeUndefined();
  });

  it('lets only the owning run write progress, tasks, parts and its release', async () => {
    const t = await pendingJob();
    const taken = await t.jobs.take('p1', t.jobId, 'run1', t.now, 60_000);
    expect(taken).toMatchObject({ status: 'running', runId: 'run1', leaseUntil: t.now + 60_000 });
    expect(await t.jobs.progress('p1', t.jobId, 'run2', 50, DETAIL)).toBe('lost');
    expect(await t.jobs.progress('p1', t.jobId, 'run1', 50, DETAIL)).toBe('recorded');
    expect(await t.job()).toMatchObject({ progress: 50, detail: DETAIL });

    expect(await t.jobs.startTasks('p1', t.jobId, 'run2', 4, DETAIL)).toBe(false);
    expect(await t.jobs.startTasks('p1', t.jobId, 'run1', 4, DETAIL)).toBe(true);
    expect(await t.job()).toMatchObject({ tasks: 4, ledger: 'run1', tally: {}, progress: 0 });

    const job = { projectId: 'p1', jobId: t.jobId, ledger: 'run1' };
    const part = (name: string) => ({ name, values: { key: name }, adds: { parts: 1 } });
    // Another run's entry counts for nothing (what it wrote to the ledger is only read where exact).
    expect(await t.jobs.record(job, 'run2', 'PART', part('s0'))).toBeUndefined();
    expect(await t.job()).toMatchObject({ tally: {} });
    expect((await t.jobs.record(job, 'run1', 'PART', part('s1')))?.job.tally).toEqual({ parts: 1 });
    expect(await t.jobs.entries(job, 'PART')).toEqual([
      { entry: 's0', key: 's0' },
      { entry: 's1', key: 's1' },
    ]);

    const task = { name: 't0', adds: { tasks: 1 } };
    expect(await t.jobs.record(job, 'run2', 'TASK', task)).toBeUndefined();
    await t.jobs.record(job, 'run1', 'TASK', task);
    const done = await t.jobs.record(job, 'run1', 'TASK', task);
    expect(done).toMatchObject({ fresh: false, job: { tally: { parts: 1 } } });
    expect(await t.jobs.countEntries(job, 'TASK')).toBe(1);

    // Held: no other run takes it until the lease runs out, or the owner gives it back.
    expect(await t.jobs.take('p1', t.jobId, 'run2', t.now + 1, 60_000)).toBeUndefined();
    await t.jobs.releaseLease('p1', t.jobId, 'run2');
    expect(await t.jobs.take('p1', t.jobId, 'run2', t.now + 1, 60_000)).toBeUndefined();
    await t.jobs.releaseLease('p1', t.jobId, 'run1');
    expect(await t.jobs.take('p1', t.jobId, 'run2', t.now + 1, 60_000)).toMatchObject({ runId: 'run2' });
  });
});
