import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { parseConfig } from '../../lib/core/config.js';
import { backupTask } from '../../lib/operations/backup/backup-task.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import type { PartInfo } from '../../lib/records/backups/format.js';
import type { JobRecord } from '../../lib/records/jobs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import type { Poller } from '../../local/sqs-poller.js';
import { PROJECT, readBackup, seedGraph, socialGraph, sortRecords } from './fixtures.js';
import { type IsolatedStack, isolatedStack, startWorker } from './support.js';

/**
 * A backup fans out into tasks, one SQS message each, run concurrently by the worker behind the real
 * queue; a task out of time checkpoints and goes on in a new message.
 */
let stack: IsolatedStack;
const pollers: Poller[] = [];
beforeAll(async () => {
  stack = await isolatedStack({ visibilityTimeoutSeconds: 2 });
});
afterAll(async () => {
  await Promise.all(pollers.map((p) => p.stop()));
});

/** The stack's deps with other settings, as another deployment of the same code would have. */
const configured = (env: Record<string, string>): Deps => ({
  ...stack.deps,
  config: parseConfig({ ...stack.resources.env, ...env }),
});

function runWorker(deps: Deps) {
  const poller = startWorker(stack, deps, 3);
  pollers.push(poller);
  return poller;
}

async function ended(jobId: string): Promise<JobRecord> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = await stack.deps.jobs.get(PROJECT, jobId);
    if (job?.status === 'success' || job?.status === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job did not end: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a backup that fans out', () => {
  it('runs one task per group of shards through the queue, and the last one writes the manifest', async () => {
    const deps = configured({ SHARDS_PER_TASK: '2' });
    const poller = runWorker(deps);
    const content = socialGraph(80);
    const { graphId } = await seedGraph(deps, content);

    const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
    const job = await ended(jobId);

    expect(job).toMatchObject({
      status: 'success',
      progress: 100,
      tasks: 4,
      detail: {
        vertices: { done: 80, expected: 80 },
        edges: { done: 79, expected: 79 },
        shards: { done: 8, expected: 8 },
      },
    });
    expect(backupTask.narrowed(job).tally).toMatchObject({ tasks: 4, parts: 8, shards: 8 });
    expect(await deps.jobs.entries(job, 'TASK')).toHaveLength(4);
    const stored = await readBackup(deps, { projectId: PROJECT, graphId, backupId });
    expect(stored?.manifest.files.map((f) => f.shard)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(sortRecords(stored?.records ?? [])).toEqual(sortRecords([...content.vertices, ...content.edges]));
    const graph = await deps.graphs.get(PROJECT, graphId);
    expect(graph?.status).toBe('200');
    expect(graph?.lockJobId).toBeUndefined();
    await poller.stop();
  });

  it('checkpoints a task out of time and continues it in new messages, giving the identical backup', async () => {
    const content = socialGraph(60);
    const { graphId } = await seedGraph(stack.deps, content);
    const whole = await startBackup(stack.deps, { projectId: PROJECT, graphId });
    expect(
      await runJob(stack.deps, jobTasks, { projectId: PROJECT, jobId: whole.jobId }, { attempt: 1 }),
    ).toBe('succeeded');
    // Segments of 4 items, pages of 3, and no time at all: every message writes one segment.
    const tiny = configured({
      SHARDS_PER_TASK: '4',
      SEGMENT_ITEMS: '4',
      QUERY_PAGE_SIZE: '3',
      TASK_BUDGET_SECONDS: '0',
    });
    const poller = runWorker(tiny);

    const pieced = await startBackup(tiny, { projectId: PROJECT, graphId });
    expect((await ended(pieced.jobId)).status).toBe('success');

    const a = await readBackup(stack.deps, { projectId: PROJECT, graphId, backupId: whole.backupId });
    const b = await readBackup(stack.deps, { projectId: PROJECT, graphId, backupId: pieced.backupId });
    expect(a?.manifest.files).toHaveLength(8);
    expect(b?.manifest.files.length).toBeGreaterThan(30);
    expect(b?.manifest.files.every((f) => f.records <= 4)).toBe(true);
    expect(b?.manifest.contentDigest).toEqual(a?.manifest.contentDigest);
    expect(b?.manifest.counts).toEqual(a?.manifest.counts);
    expect(sortRecords(b?.records ?? [])).toEqual(sortRecords(a?.records ?? []));
    await poller.stop();
  });

  it('reads the shards of a task at once, and writes the parts a task of one shard writes', async () => {
    const content = socialGraph(60);
    const { graphId } = await seedGraph(stack.deps, content);
    const poller = runWorker(configured({ SHARDS_PER_TASK: '1' }));
    const alone = await startBackup(stack.deps, { projectId: PROJECT, graphId });
    expect((await ended(alone.jobId)).status).toBe('success');
    await poller.stop();
    // One task of all 8 shards, whose reads wait until every shard has asked for its first page:
    // read one after the other, the first shard would wait for ever.
    const shards = stack.deps.config.graphShards;
    const asked = new Set<number>();
    let everyShardAsked = () => {};
    const allAsked = new Promise<void>((resolve) => {
      everyShardAsked = resolve;
    });
    const data = Object.create(stack.deps.data) as Deps['data'];
    data.readElements = async (...args) => {
      asked.add(args[2]);
      if (asked.size === shards) everyShardAsked();
      await allAsked;
      return stack.deps.data.readElements(...args);
    };
    const together = await startBackup(stack.deps, { projectId: PROJECT, graphId });
    expect(
      await runJob(
        { ...stack.deps, data },
        jobTasks,
        { projectId: PROJECT, jobId: together.jobId },
        { attempt: 1 },
      ),
    ).toBe('succeeded');

    const a = await readBackup(stack.deps, { projectId: PROJECT, graphId, backupId: alone.backupId });
    const b = await readBackup(stack.deps, { projectId: PROJECT, graphId, backupId: together.backupId });
    const essence = (files: PartInfo[] = []) => files.map(({ key: _key, ...part }) => part);
    expect(asked.size).toBe(shards);
    expect(essence(b?.manifest.files)).toEqual(essence(a?.manifest.files));
    expect(b?.manifest.contentDigest).toEqual(a?.manifest.contentDigest);
    expect(sortRecords(b?.records ?? [])).toEqual(sortRecords([...content.vertices, ...content.edges]));
  });
});
