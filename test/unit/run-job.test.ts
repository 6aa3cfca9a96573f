import { describe, expect, it } from 'vitest';
import { DependencyUnavailable, GesError, JobHeldElsewhere } from '../../lib/core/errors.js';
import { backupTask } from '../../lib/operations/backup/backup-task.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { createGraph } from '../../lib/operations/graphs/graphs.js';
import type { JobRecord } from '../../lib/records/jobs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import type { JobTask, RunContext, TaskResult } from '../../lib/runtime/task.js';
import { memoryDeps } from '../support/memory-deps.js';

/**
 * runJob, the job engine's one delivery, on the in-memory store with a task the test scripts: how a
 * delivery takes, runs, hands off, fails and announces a job, whatever the task does.
 */

const DETAIL = { vertices: { done: 0 }, edges: { done: 0 }, shards: { done: 0, expected: 1 } };

type Script = (deps: Deps, job: JobRecord, context: RunContext) => Promise<TaskResult>;

async function setUp(script: Script, overrides: Partial<JobTask> = {}) {
  const memory = memoryDeps({ MAX_RECEIVE_COUNT: '3', JOB_LEASE_SECONDS: '60' });
  const published: { detailType: string; detail: Record<string, unknown> }[] = [];
  const calls: string[] = [];
  const deps = {
    ...memory.deps,
    blobs: undefined as never,
    events: {
      publish: async (detailType: string, detail: Record<string, unknown>) =>
        void published.push({ detailType, detail }),
    },
  } as unknown as Deps;
  const task: JobTask = {
    ...backupTask,
    run: script,
    continue: async (d, job, step, context) => {
      calls.push(`continue ${JSON.stringify(step)}`);
      return script(d, job, context);
    },
    hasSteps: true,
    cleanUp: async (_, job) => void calls.push(`cleanUp ${job.jobId}`),
    announce: async (_, job) => ({
      detailType: 'Job Ended',
      detail: { jobId: job.jobId, status: job.status },
    }),
    afterSuccess: async (_, job) => void calls.push(`afterSuccess ${job.jobId}`),
    ...overrides,
  };
  const { graph } = await createGraph(deps, { projectId: 'p1', name: 'g' });
  const { jobId } = await startBackup(deps, { projectId: 'p1', graphId: graph.graphId });
  const message = { projectId: 'p1', jobId };
  const deliver = (attempt: number, step?: { runId: string }) =>
    runJob(deps, { backup: task }, step ? { ...message, step } : message, { attempt });
  const job = async () => (await deps.jobs.get('p1', jobId)) as JobRecord;
  return { deps, memory, task, jobId, deliver, job, published, calls };
}
const ends = (deps: Deps) => async (job: JobRecord, context: RunContext) => {
  const ok = await deps.store.transact([
    deps.jobs.end(job, { status: 'success' }, deps.clock.now(), context.runId),
  ]);
  return ok.ok ? ('ended' as const) : ('lost' as const);
};
const outcome = (p: Promise<unknown>) =>
  p.then(
    (v) => v,
    (e: Error) => `throws ${e.name}`,
  );

describe('runJob', () => {
  it('runs a pending job under a lease, then follows it up and announces its end', async () => {
    let context: RunContext | undefined;
    let leaseUntil: number | undefined;
    const t = await setUp(async (deps, job, c) => {
      context = c;
      leaseUntil = (await deps.jobs.get('p1', job.jobId))?.leaseUntil;
      expect((await deps.jobs.get('p1', job.jobId))?.runId).toBe(c.runId);
      return ends(deps)(job, c);
    });
    expect(await t.deliver(1)).toBe('succeeded');
    expect(context?.runId).toMatch(/^[0-9a-f]{32}$/);
    expect(leaseUntil).toBe(t.deps.clock.now() + 60_000);
    expect((await t.job()).status).toBe('success');
    expect(t.calls).toEqual([`afterSuccess ${t.jobId}`]);
    expect(t.published).toEqual([{ detailType: 'Job Ended', detail: { jobId: t.jobId, status: 'success' } }]);
  });

  it('still succeeds when the follow-up or the announcement fails', async () => {
    const t = await setUp(async (deps, job, c) => ends(deps)(job, c), {
      afterSuccess: async () => {
        throw new Error('retention broke');
      },
      announce: async () => {
        throw new Error('no bus');
      },
    });
    expect(await t.deliver(1)).toBe('succeeded');
    expect((await t.job()).status).toBe('success');
  });

  it('leaves a job another run holds: a retry before the last delivery, left alone on the last', async () => {
    let release: () => void = () => undefined;
    const t = await setUp(
      (deps, job, c) =>
        new Promise((resolve) => {
          release = () => resolve(ends(deps)(job, c));
        }),
    );
    const first = t.deliver(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await outcome(t.deliver(2))).toBe(`throws ${new JobHeldElsewhere('').name}`);
    expect(await t.deliver(3)).toBe('held-elsewhere');
    release();
    expect(await first).toBe('succeeded');
    expect(await t.deliver(1)).toBe('already-ended');
  });

  it("asks for its message again just after the holding run's lease would run out, or after a fault later each attempt", async () => {
    const retries: number[] = [];
    const lease = { claimed: () => undefined, retryIn: async (ms: number) => void retries.push(ms) };
    let release: () => void = () => undefined;
    let faults = 0;
    const t = await setUp((deps, job, c) => {
      if (faults > 0) {
        faults--;
        return Promise.reject(new DependencyUnavailable('DynamoDB'));
      }
      return new Promise((resolve) => {
        release = () => resolve(ends(deps)(job, c));
      });
    });
    const message = { projectId: 'p1', jobId: t.jobId };
    const first = t.deliver(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    t.memory.advance(15_000);
    const held = runJob(t.deps, { backup: t.task }, message, { attempt: 2, lease });
    expect(await outcome(held)).toBe(`throws ${new JobHeldElsewhere('').name}`);
    // The lease is JOB_LEASE_SECONDS (60 s) from the take, 15 s ago; a second more for its run's end.
    expect(retries).toEqual([46_000]);
    faults = 2;
    t.memory.advance(60_000);
    for (const attempt of [1, 2]) {
      await outcome(runJob(t.deps, { backup: t.task }, message, { attempt, lease }));
    }
    expect(retries).toEqual([46_000, t.deps.config.retryDelayMs, 2 * t.deps.config.retryDelayMs]);
    release();
    await first;
  });

  it('still runs a job at its deadline, to the millisecond', async () => {
    const t = await setUp(async (deps, job, c) => ends(deps)(job, c));
    t.memory.advance((await t.job()).deadlineAt - t.deps.clock.now());
    expect(await t.deliver(1)).toBe('succeeded');
  });

  it('fails a job past its deadline with GES.7005, cleans up and announces', async () => {
    let ran = false;
    const t = await setUp(async () => {
      ran = true;
      return 'ended';
    });
    t.memory.advance(3600_000);
    expect(await t.deliver(1)).toBe('failed');
    expect(ran).toBe(false);
    expect(await t.job()).toMatchObject({
      status: 'failed',
      errorCode: 'GES.7005',
      failReason: 'job timed out',
    });
    expect(t.calls).toEqual([`cleanUp ${t.jobId}`]);
    expect(t.published).toEqual([{ detailType: 'Job Ended', detail: { jobId: t.jobId, status: 'failed' } }]);
  });

  it('throws a retryable fault for SQS to deliver again, released for the next delivery; fails it on the last', async () => {
    let attempts = 0;
    const t = await setUp(async (deps, job, c) => {
      attempts++;
      if (attempts < 3) throw new DependencyUnavailable('DynamoDB');
      return ends(deps)(job, c);
    });
    expect(await outcome(t.deliver(1))).toBe('throws DependencyUnavailable');
    expect((await t.job()).status).toBe('running');
    // Released: the next delivery takes it at once, not after the lease.
    expect(await outcome(t.deliver(2))).toBe('throws DependencyUnavailable');
    expect(await t.deliver(2)).toBe('succeeded');

    const last = await setUp(async () => {
      throw new DependencyUnavailable('DynamoDB');
    });
    expect(await last.deliver(3)).toBe('failed');
    expect(await last.job()).toMatchObject({
      status: 'failed',
      errorCode: 'GES.7005',
      failReason: 'DynamoDB was unavailable after 3 attempts.',
    });
    expect(last.calls).toEqual([`cleanUp ${last.jobId}`]);
  });

  it("fails a job on the task's error: its code and words, GES.7000 kept, internals never shown", async () => {
    const { code, what } = backupTask.failure;
    for (const [error, errorCode, failReason] of [
      [new GesError('GES.7040', 'the part is damaged'), code, `${what}: the part is damaged`],
      [new GesError('GES.7002', 'busy'), code, `${what}: busy`],
      [new GesError('GES.7000'), 'GES.7000', `${what}: ${new GesError('GES.7000').message}`],
      [new Error('secret stack detail'), code, `${what}: an internal error occurred.`],
    ] as const) {
      const t = await setUp(async () => {
        throw error;
      });
      expect(await t.deliver(1)).toBe('failed');
      expect(await t.job()).toMatchObject({ status: 'failed', errorCode, failReason });
    }
  });

  it('fails the job as the run left it: its fail actions and clean-up see what the run recorded since it took it', async () => {
    const given: JobRecord[] = [];
    const t = await setUp(
      async (deps, job, context) => {
        await deps.jobs.progress(job.projectId, job.jobId, context.runId, 42, DETAIL);
        throw new GesError('GES.7040', 'the part is damaged');
      },
      {
        failActions: (deps, job, end, at, runId) => {
          given.push(job);
          return backupTask.failActions(deps, job, end, at, runId);
        },
        cleanUp: async (_, job) => void given.push(job),
      },
    );
    expect(await t.deliver(1)).toBe('failed');
    expect(given.map((job) => job.progress)).toEqual([42, 42]);
    expect(await t.job()).toMatchObject({ status: 'failed' });
  });

  it('hands off, or gives up a job it lost, without ending or announcing it', async () => {
    for (const result of ['handed-off', 'lost'] as const) {
      const t = await setUp(async () => result);
      expect(await t.deliver(1)).toBe(result === 'lost' ? 'lease-lost' : 'handed-off');
      expect((await t.job()).status).toBe('running');
      expect(t.published).toEqual([]);
      expect(t.calls).toEqual([]);
    }
  });

  it('gives up when reporting progress finds the run no longer owns the job', async () => {
    const t = await setUp(async (deps, job, c) => {
      await c.report(10, DETAIL);
      const taken = await deps.jobs.take('p1', job.jobId, 'another', deps.clock.now() + 3600_000, 60_000);
      expect(taken?.runId).toBe('another');
      await c.report(20, DETAIL);
      return 'ended';
    });
    expect(await t.deliver(1)).toBe('lease-lost');
    expect(await t.job()).toMatchObject({ status: 'running', runId: 'another', progress: 10 });
  });

  it('continues a step only under the run that sent it, and not once the job has ended', async () => {
    let runId = '';
    const t = await setUp(async (_, __, c) => {
      runId = c.runId;
      return 'handed-off';
    });
    expect(await t.deliver(1)).toBe('handed-off');
    expect(await t.deliver(1, { runId: 'not-the-owner' })).toBe('lease-lost');
    expect(t.calls).toEqual([]);
    expect(await t.deliver(1, { runId })).toBe('handed-off');
    expect(t.calls).toEqual([`continue ${JSON.stringify({ runId })}`]);
    // A retryable fault in a step leaves the lease to the run (no release), and SQS delivers again.
    t.task.continue = async () => {
      throw new DependencyUnavailable('S3');
    };
    expect(await outcome(t.deliver(1, { runId }))).toBe('throws DependencyUnavailable');
    expect((await t.job()).runId).toBe(runId);
    expect(await outcome(t.deps.jobs.take('p1', t.jobId, 'x', t.deps.clock.now(), 60_000))).toBeUndefined();
    t.task.continue = async (deps, job, _, c) => ends(deps)(job, c);
    expect(await t.deliver(1, { runId })).toBe('succeeded');
    expect(await t.deliver(1, { runId })).toBe('already-ended');
  });

  it('refuses a job of a kind it has no task for', async () => {
    const t = await setUp(async () => 'ended');
    await expect(runJob(t.deps, {}, { projectId: 'p1', jobId: t.jobId }, { attempt: 1 })).rejects.toThrow(
      'no worker task for backup jobs',
    );
  });
});
