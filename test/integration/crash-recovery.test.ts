import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { sweepOverdueJobs } from '../../lib/runtime/sweep.js';
import { PROJECT, readBackup, seedGraph, socialGraph, sortRecords } from './fixtures.js';
import { isolatedStack } from './support.js';

/**
 * A Lambda can die at any instant and come back as a zombie. Each test freezes a run at one step
 * boundary (as if its Lambda died there), lets a later delivery take the job over once the lease has
 * run out, then wakes the frozen run: the job must end exactly once, with a valid backup and the
 * graph free, whatever the zombie does.
 */
let deps: Deps;
beforeAll(async () => {
  ({ deps } = await isolatedStack());
});

type Boundary = 'after the take' | 'after a part' | 'after the manifest' | 'before the final update';

/** Deps whose run stops dead at `boundary` until `wake()` is called. */
function freezingAt(boundary: Boundary) {
  let wake = () => {};
  let reached = () => {};
  const frozen = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const gate = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const freeze = async () => {
    reached();
    await gate;
  };
  const jobs = Object.create(deps.jobs) as Deps['jobs'];
  const blobs = Object.create(deps.blobs) as Deps['blobs'];
  const store = Object.create(deps.store) as Deps['store'];
  if (boundary === 'after the take') {
    jobs.take = async (...args) => {
      const job = await deps.jobs.take(...args);
      await freeze();
      return job;
    };
  }
  if (boundary === 'after a part') {
    blobs.upload = async (...args) => {
      await deps.blobs.upload(...args);
      await freeze();
    };
  }
  if (boundary === 'after the manifest') {
    blobs.put = async (...args) => {
      await deps.blobs.put(...args);
      await freeze();
    };
  }
  if (boundary === 'before the final update') {
    store.transact = async (actions) => {
      const endsJob = actions.some((a) => 'change' in a && a.change.set?.status === 'success');
      if (endsJob) await freeze();
      return deps.store.transact(actions);
    };
  }
  return { deps: { ...deps, jobs, blobs, store }, frozen, wake };
}

const afterLease = () => ({ now: () => Date.now() + deps.config.jobLeaseMs + 1000 });

async function expectOneGoodBackup(graphId: string, jobId: string, backupId: string, content: unknown[]) {
  expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({ status: 'success', progress: 100 });
  expect((await deps.backups.get(PROJECT, backupId))?.status).toBe('success');
  const stored = await readBackup(deps, { projectId: PROJECT, graphId, backupId });
  expect(sortRecords(stored?.records ?? [])).toEqual(sortRecords(content));
  for (const part of stored?.manifest.files ?? []) {
    expect(stored?.files.get(part.key)).toEqual({ sha256: part.sha256, bytes: part.bytes });
  }
  expect((await deps.backups.list({ projectId: PROJECT, graphId }, 0, 10)).total).toBe(1);
  const graph = await deps.graphs.get(PROJECT, graphId);
  expect(graph?.status).toBe('200');
  expect(graph?.lockJobId).toBeUndefined();
}

describe('a worker that dies', () => {
  it.each<Boundary>(['after the take', 'after a part', 'after the manifest', 'before the final update'])(
    '%s is taken over by the next delivery, and its zombie changes nothing',
    async (boundary) => {
      const content = socialGraph(25);
      const { graphId } = await seedGraph(deps, content);
      const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
      const message = { projectId: PROJECT, jobId };
      const first = freezingAt(boundary);

      const zombie = runJob(first.deps, jobTasks, message, { attempt: 1 });
      await first.frozen;
      const second = await runJob({ ...deps, clock: afterLease() }, jobTasks, message, { attempt: 2 });
      first.wake();

      expect(second).toBe('succeeded');
      expect(await zombie).toBe('lease-lost');
      await expectOneGoodBackup(graphId, jobId, backupId, [...content.vertices, ...content.edges]);
    },
  );
});

describe('the sweeper', () => {
  it('fails a job past its deadline, frees the graph, and fences off the run that held it', async () => {
    const { graphId } = await seedGraph(deps, socialGraph(5));
    const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
    const stuck = freezingAt('after a part');
    const zombie = runJob(stuck.deps, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 });
    await stuck.frozen;

    const later = { now: () => Date.now() + deps.config.jobStallMs + 1000 };
    const swept = await sweepOverdueJobs({ ...deps, clock: later }, jobTasks);
    stuck.wake();

    expect(swept.failed).toContain(jobId);
    expect(await zombie).toBe('lease-lost');
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({
      status: 'failed',
      errorCode: 'GES.7005',
      failReason: 'job timed out',
    });
    expect((await deps.backups.get(PROJECT, backupId))?.status).toBe('failed');
    expect(await readBackup(deps, { projectId: PROJECT, graphId, backupId })).toBeUndefined();
    const graph = await deps.graphs.get(PROJECT, graphId);
    expect(graph?.status).toBe('200');
    expect(graph?.lockJobId).toBeUndefined();
    expect((await sweepOverdueJobs({ ...deps, clock: later }, jobTasks)).failed).not.toContain(jobId);
  });
});
