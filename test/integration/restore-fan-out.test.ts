import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { parseConfig } from '../../lib/core/config.js';
import { DependencyUnavailable } from '../../lib/core/errors.js';
import type { JobMessage, JobQueue } from '../../lib/core/ports.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { deleteBackup } from '../../lib/operations/catalog/catalog.js';
import { deleteGraph } from '../../lib/operations/delete-graph/delete-graph.js';
import { addElements } from '../../lib/operations/graphs/data-plane.js';
import { collectGarbage } from '../../lib/operations/graphs/garbage.js';
import { stopGraph } from '../../lib/operations/graphs/lifecycle.js';
import { restoreGraph } from '../../lib/operations/restore/restore-graph.js';
import { readManifest } from '../../lib/records/backups/manifest.js';
import { type BackupRecord, backupPrefix } from '../../lib/records/backups/model.js';
import { totals } from '../../lib/records/graphs/counters.js';
import { fromItem, toItem } from '../../lib/records/graphs/data-keys.js';
import { JobRepo } from '../../lib/records/jobs/job-repo.js';
import type { JobRecord } from '../../lib/records/jobs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { sweepOverdueJobs } from '../../lib/runtime/sweep.js';
import { LOCAL_AWS } from '../../local/emulators.js';
import type { Poller } from '../../local/sqs-poller.js';
import { PROJECT, readBackup, seedGraph, socialGraph, sortRecords } from './fixtures.js';
import { type IsolatedStack, isolatedStack, startWorker } from './support.js';

/**
 * A restore and a graph deletion fan out and checkpoint through the real queue, and survive a crash
 * at any step: whatever dies, the next delivery takes over, the graph ends exactly as the backup
 * holds it, and the data table holds nothing of the graph but its current generation.
 */
let stack: IsolatedStack;
const pollers: Poller[] = [];
beforeAll(async () => {
  // Long enough that a busy machine finishes a batch before its messages come back (a duplicate is
  // harmless, but each one starts a chain of continuations of its own); short enough that a crashed
  // delivery comes back soon.
  stack = await isolatedStack({ visibilityTimeoutSeconds: 4 });
});
afterAll(async () => {
  await Promise.all(pollers.map((p) => p.stop()));
});

const configured = (env: Record<string, string>): Deps => ({
  ...stack.deps,
  config: parseConfig({ ...stack.resources.env, ...env }),
});

/**
 * Every message the worker sends itself, counted: each carries a step (a task of a stage, or the
 * rest of one handed off at its checkpoint), so each is a continuation of the job in a new delivery.
 */
function counting(queue: JobQueue) {
  const counted = { messages: 0, queue: Object.create(queue) as JobQueue };
  counted.queue.send = async (message, requestId) => {
    if (message.step !== undefined) counted.messages++;
    return queue.send(message, requestId);
  };
  counted.queue.sendAll = async (messages, requestId) => {
    counted.messages += messages.filter((m) => m.step !== undefined).length;
    return queue.sendAll(messages, requestId);
  };
  return counted;
}

async function ended(jobId: string, ms = 45_000): Promise<JobRecord | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const job = await stack.deps.jobs.get(PROJECT, jobId);
    if (job?.status === 'success' || job?.status === 'failed' || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every key of the data table that belongs to the graph, read by a scan of the whole table. */
async function keysOfGraph(graphId: string): Promise<string[]> {
  const client = new DynamoDBClient({ endpoint: inject('endpoints').dynamodb, ...LOCAL_AWS });
  const keys: string[] = [];
  for await (const page of paginateScan(
    { client },
    { TableName: stack.deps.config.graphTable, ProjectionExpression: 'pk, sk' },
  )) {
    for (const item of page.Items ?? []) {
      const pk = item.pk?.S ?? '';
      if (pk.startsWith(`${graphId}#`)) keys.push(`${pk} ${item.sk?.S}`);
    }
  }
  return keys;
}

async function contentOf(graphId: string) {
  const graph = await stack.deps.graphs.get(PROJECT, graphId);
  if (!graph) throw new Error('no graph');
  const records = [];
  for (let shard = 0; shard < graph.shards; shard++) {
    for await (const page of stack.deps.data.readShard(graphId, graph.generation, shard))
      records.push(...page.map(fromItem));
  }
  return sortRecords(records);
}

/** A graph backed up in parts of `segmentItems` records, then changed and stopped. */
async function backedUpThenChanged(n: number, segmentItems: number) {
  const content = socialGraph(n);
  const { graphId, name } = await seedGraph(stack.deps, content);
  const inParts = configured({ SHARDS_PER_TASK: '256', SEGMENT_ITEMS: String(segmentItems) });
  const { jobId, backupId } = await startBackup(inParts, { projectId: PROJECT, graphId });
  expect(await runJob(inParts, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 })).toBe('succeeded');
  await addElements(stack.deps, {
    projectId: PROJECT,
    graphName: name,
    elements: [{ vertex: 'after-backup', label: 'user', properties: { x: ['1'] } }],
  });
  await stopGraph(stack.deps, { projectId: PROJECT, graphId });
  return { graphId, name, backupId, records: sortRecords([...content.vertices, ...content.edges]) };
}

/**
 * Three workers behind the queue, as three Lambda instances: each its own handler, since one
 * handler's BatchProcessor holds the state of one batch at a time (one poller run at concurrency 3
 * would share it between batches, losing a failed record or failing a whole batch).
 */
function runWorker(deps: Deps) {
  const started = [1, 2, 3].map(() => startWorker(stack, deps, 1));
  pollers.push(...started);
  return { stop: () => Promise.all(started.map((p) => p.stop())) };
}

describe('a restore that fans out', () => {
  it('restores the graph exactly through thousands of continuations, with tiny budgets, parts and pages', async () => {
    const { graphId, backupId, records } = await backedUpThenChanged(1050, 50);
    // One unit a task, one item a page, no time at all: every message does one slice of work, and
    // each of the 2,100 items dropped from the replaced generation is a slice of its own.
    const tiny = configured({
      SHARDS_PER_TASK: '1',
      QUERY_PAGE_SIZE: '1',
      DROP_PAGES: '1',
      TASK_BUDGET_SECONDS: '0',
    });
    const sent = counting(tiny.queue);
    const poller = runWorker({ ...tiny, queue: sent.queue });
    const started = Date.now();

    const { jobId } = await restoreGraph(tiny, { projectId: PROJECT, graphId, backupId });
    const job = await ended(jobId, 120_000);
    const seconds = (Date.now() - started) / 1000;
    await poller.stop();

    expect(job).toMatchObject({
      status: 'success',
      progress: 100,
      detail: { vertices: { done: 1050, expected: 1050 }, edges: { done: 1049, expected: 1049 } },
    });
    expect(sent.messages).toBeGreaterThanOrEqual(2000);
    expect(await contentOf(graphId)).toEqual(records);
    expect(await stack.deps.graphs.get(PROJECT, graphId)).toMatchObject({ status: '200', generation: 2 });
    const keys = await keysOfGraph(graphId);
    expect(keys).toHaveLength(records.length);
    expect(keys.every((k) => k.startsWith(`${graphId}#2#`))).toBe(true);
    console.info(`restore: ${sent.messages} continuations in ${seconds.toFixed(1)} s`);
  }, 150_000);
});

describe('a job of any number of parts', () => {
  it('backs up and restores a graph in more parts than a job record of their entries could hold', async () => {
    // One element a part: 1,447 parts, past the 400 KB a DynamoDB item holds had every part been an
    // entry of the job's record (some 300 bytes each); the job's ledger holds them instead.
    const { graphId, backupId, records } = await backedUpThenChanged(720, 1);
    const backup = await stack.deps.backups.get(PROJECT, backupId);
    const backupJob = await stack.deps.jobs.get(PROJECT, backup?.jobId ?? '');
    const { files } = await readManifest(stack.deps.blobs, backupPrefix(backup as BackupRecord));
    expect(files.length).toBeGreaterThanOrEqual(records.length);
    expect(backupJob).toMatchObject({ status: 'success', tally: { parts: files.length, tasks: 1 } });
    expect(JSON.stringify(backupJob).length).toBeLessThan(4096);

    const inParts = configured({ SHARDS_PER_TASK: '64' });
    const poller = runWorker(inParts);
    const { jobId } = await restoreGraph(inParts, { projectId: PROJECT, graphId, backupId });
    const job = await ended(jobId, 120_000);
    await poller.stop();

    expect(job).toMatchObject({ status: 'success', tally: { 'load.parts': files.length } });
    expect(JSON.stringify(job).length).toBeLessThan(4096);
    expect(await contentOf(graphId)).toEqual(records);
  }, 150_000);
});

type Step = 'a load' | 'a task’s entry, before its count' | 'the switch' | 'a drop page' | 'the end';

/**
 * Deps whose run dies once at `step`: after the work of that step is done and before anything after
 * it (the end dies before its transaction). The error is a retryable one, so the delivery is failed
 * and SQS delivers the message again, as after a Lambda that died.
 */
function dyingAt(deps: Deps, step: Step) {
  let died = false;
  const dieOnce = () => {
    if (died) return;
    died = true;
    throw new DependencyUnavailable(`a crash at ${step}`);
  };
  const data = Object.create(deps.data) as Deps['data'];
  const store = Object.create(deps.store) as Deps['store'];
  let dropPages = 0;
  if (step === 'a load') {
    data.load = async (items) => {
      await deps.data.load(items);
      dieOnce();
    };
  }
  if (step === 'a drop page') {
    data.dropPage = async (...args) => {
      const page = await deps.data.dropPage(...args);
      if (++dropPages === 3) dieOnce();
      return page;
    };
  }
  // A load task's entry put, and the job's count of it not yet made: the redelivered task finds its
  // entry there, so the sums never count it, and only the ledger's entries say the stage is done.
  store.apply = async (action) => {
    const outcome = await deps.store.apply(action);
    const entry = 'put' in action ? String(action.put.sk) : '';
    if (step === 'a task’s entry, before its count' && outcome.ok && entry.includes('#TASK#load.')) dieOnce();
    return outcome;
  };
  store.transact = async (actions) => {
    const names = actions.map((a) => a.name);
    const switches = names.includes('move the job to its next stage') && names.includes('release the graph');
    const ends = actions.some((a) => a.name === 'end the job');
    if (step === 'the end' && ends) dieOnce();
    const outcome = await deps.store.transact(actions);
    if (step === 'the switch' && switches && outcome.ok) dieOnce();
    return outcome;
  };
  const jobs = new JobRepo(store, deps.config.jobRetentionDays, deps.config.jobStallMs, deps.clock);
  return { deps: { ...deps, data, store, jobs }, died: () => died };
}

describe('a restore that crashes', () => {
  it.each<Step>(['a load', 'a task’s entry, before its count', 'the switch', 'a drop page', 'the end'])(
    'at %s is taken over, restores the graph exactly, and leaves nothing of the old data',
    async (step) => {
      const { graphId, backupId, records } = await backedUpThenChanged(20, 3);
      const small = configured({ SHARDS_PER_TASK: '2', QUERY_PAGE_SIZE: '2', TASK_BUDGET_SECONDS: '0' });
      const dying = dyingAt(small, step);
      const poller = runWorker(dying.deps);

      const { jobId } = await restoreGraph(small, { projectId: PROJECT, graphId, backupId });
      const job = await ended(jobId);
      await poller.stop();

      expect(dying.died()).toBe(true);
      expect(job).toMatchObject({ status: 'success', progress: 100 });
      expect(await contentOf(graphId)).toEqual(records);
      const graph = await stack.deps.graphs.get(PROJECT, graphId);
      expect(graph).toMatchObject({ status: '200', generation: 2 });
      expect(graph?.lockJobId).toBeUndefined();
      expect((await stack.deps.backups.get(PROJECT, backupId))?.usedByJobId).toBeUndefined();
      // The table holds the restored generation and nothing else of the graph.
      const keys = await keysOfGraph(graphId);
      expect(keys.filter((k) => !k.startsWith(`${graphId}#2#`))).toEqual([]);
      expect(keys).toHaveLength(records.length);
    },
    60_000,
  );
});

describe('a graph deletion that fans out', () => {
  it('drops every generation through continuations, taken over after a crash, and leaves nothing', async () => {
    const { graphId } = await backedUpThenChanged(20, 3);
    const small = configured({ SHARDS_PER_TASK: '3', QUERY_PAGE_SIZE: '2', TASK_BUDGET_SECONDS: '0' });
    const dying = dyingAt(small, 'a drop page');
    const sent = counting(dying.deps.queue);
    const poller = runWorker({ ...dying.deps, queue: sent.queue });
    expect((await keysOfGraph(graphId)).length).toBeGreaterThan(0);

    const { jobId } = await deleteGraph(small, { projectId: PROJECT, graphId, keepBackup: false });
    const job = await ended(jobId);
    await poller.stop();

    expect(dying.died()).toBe(true);
    expect(job).toMatchObject({ status: 'success', progress: 100 });
    expect(sent.messages).toBeGreaterThan(10);
    expect(await stack.deps.graphs.get(PROJECT, graphId)).toBeUndefined();
    expect(await keysOfGraph(graphId)).toEqual([]);
  }, 60_000);
});

describe('a restore task delivered again', () => {
  it('loads nothing once the graph has switched: a write made since stays as it was written', async () => {
    const { graphId, backupId } = await backedUpThenChanged(12, 2);
    const oneSlice = configured({ SHARDS_PER_TASK: '1', TASK_BUDGET_SECONDS: '0' });
    // The messages the run sends itself go to the queue as ever, and are kept to be delivered by hand.
    const sent: JobMessage[] = [];
    const queue = Object.create(oneSlice.queue) as JobQueue;
    queue.sendAll = async (messages, requestId) => {
      sent.push(...messages);
      return oneSlice.queue.sendAll(messages, requestId);
    };
    const deps = { ...oneSlice, queue };
    const deliver = (message: JobMessage) => runJob(deps, jobTasks, message, { attempt: 1 });
    const { jobId } = await restoreGraph(deps, { projectId: PROJECT, graphId, backupId });
    const stageOf = async () => (await stack.deps.jobs.get(PROJECT, jobId))?.stage;

    await deliver({ projectId: PROJECT, jobId });
    const loads = sent.filter((m) => m.step?.stage === 'load');
    while ((await stageOf()) !== 'drop') await deliver(sent.shift() as JobMessage);
    // Switched: the graph runs on the restored data, and a client writes to it.
    const graph = await stack.deps.graphs.get(PROJECT, graphId);
    expect(graph).toMatchObject({ status: '200', generation: 2 });
    const edited = Array.from({ length: 12 }, (_, i) => ({
      vertex: `u${i}`,
      label: 'user',
      properties: { name: ['edited after the switch'] },
    }));
    await addElements(stack.deps, { projectId: PROJECT, graphName: graph?.name ?? '', elements: edited });

    for (const load of loads) await deliver(load);
    while (sent.length) await deliver(sent.shift() as JobMessage);

    expect(await stack.deps.jobs.get(PROJECT, jobId)).toMatchObject({ status: 'success' });
    const vertices = (await contentOf(graphId)).filter((r) => 'vertex' in r);
    expect(sortRecords(vertices)).toEqual(sortRecords(edited));
    expect(loads.length).toBeGreaterThan(3);
  }, 60_000);
});

describe('a restore taken over after its switch', () => {
  it('drops the replaced generation without its backup, which may be gone, while the graph takes writes', async () => {
    const { graphId, name, backupId, records } = await backedUpThenChanged(15, 4);
    const inline = configured({ SHARDS_PER_TASK: '256' });
    const dying = dyingAt(inline, 'a drop page');
    const message = { projectId: PROJECT, jobId: '' };
    ({ jobId: message.jobId } = await restoreGraph(inline, { projectId: PROJECT, graphId, backupId }));

    // The whole job runs in its first delivery, which dies in the drop, after the switch.
    await expect(runJob(dying.deps, jobTasks, message, { attempt: 1 })).rejects.toThrow(/a crash/);
    expect(await stack.deps.jobs.get(PROJECT, message.jobId)).toMatchObject({
      status: 'running',
      stage: 'drop',
    });
    await deleteBackup(stack.deps, { projectId: PROJECT, graphId, backupId });
    const late = { vertex: 'late', label: 'user', properties: { x: ['2'] } };
    await addElements(stack.deps, { projectId: PROJECT, graphName: name, elements: [late] });

    expect(await runJob(inline, jobTasks, message, { attempt: 2 })).toBe('succeeded');

    expect(await stack.deps.jobs.get(PROJECT, message.jobId)).toMatchObject({
      status: 'success',
      detail: { vertices: { done: 15 }, edges: { done: 14 } },
    });
    expect(await contentOf(graphId)).toEqual(sortRecords([...records, late]));
    const keys = await keysOfGraph(graphId);
    expect(keys.filter((k) => !k.startsWith(`${graphId}#2#`))).toEqual([]);
  }, 60_000);
});

describe('what a failed job leaves', () => {
  /**
   * The collector, past the stall window of every mark (some made by a sweeper whose clock was ahead),
   * called until no mark of the graph is left.
   */
  async function collectAll(deps: Deps, graphId: string, slicesACall = Number.POSITIVE_INFINITY) {
    const later = { ...deps, clock: { now: () => Date.now() + 10 * deps.config.jobStallMs } };
    for (let calls = 1; ; calls++) {
      let slices = 0;
      await collectGarbage(later, () => slices++ >= slicesACall);
      const marks = await stack.deps.data.garbage(100);
      if (!marks.some((mark) => mark.graphId === graphId)) return calls;
    }
  }

  it('is dropped by the collector in slices while the next restore loads a generation never given before', async () => {
    const content = socialGraph(40);
    const records = sortRecords([...content.vertices, ...content.edges]);
    const { graphId } = await seedGraph(stack.deps, content);
    const inParts = configured({ SHARDS_PER_TASK: '256', SEGMENT_ITEMS: '5' });
    const backUp = async () => {
      const { jobId, backupId } = await startBackup(inParts, { projectId: PROJECT, graphId });
      expect(await runJob(inParts, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 })).toBe(
        'succeeded',
      );
      return backupId;
    };
    const good = await backUp();
    const bad = await backUp();
    // The bad backup's last part is damaged: a restore of it loads every other part, then fails.
    const stored = await readBackup(stack.deps, { projectId: PROJECT, graphId, backupId: bad });
    const last = stored?.manifest.files.filter((f) => f.records > 0).at(-1);
    const folder = backupPrefix({ projectId: PROJECT, graphId, backupId: bad });
    await stack.deps.blobs.put(`${folder}${last?.key}`, 'not gzip at all', 'application/gzip');
    await stopGraph(stack.deps, { projectId: PROJECT, graphId });

    const failed = await restoreGraph(inParts, { projectId: PROJECT, graphId, backupId: bad });
    expect(await runJob(inParts, jobTasks, { projectId: PROJECT, jobId: failed.jobId }, { attempt: 1 })).toBe(
      'failed',
    );
    expect(await stack.deps.graphs.get(PROJECT, graphId)).toMatchObject({
      status: '900',
      generation: 1,
      lastGeneration: 2,
    });
    expect((await keysOfGraph(graphId)).filter((k) => k.startsWith(`${graphId}#2#`)).length).toBeGreaterThan(
      10,
    );
    expect(await stack.deps.data.garbage(100)).toContainEqual(
      expect.objectContaining({ graphId, from: 2, to: 2, shards: 8 }),
    );

    // The collector drops one item a call while the next restore loads the good backup.
    const tiny = configured({ QUERY_PAGE_SIZE: '1', DROP_PAGES: '1' });
    const { jobId } = await restoreGraph(inParts, { projectId: PROJECT, graphId, backupId: good });
    const [restored, calls] = await Promise.all([
      runJob(inParts, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 }),
      collectAll(tiny, graphId, 1),
    ]);

    expect(restored).toBe('succeeded');
    expect(calls).toBeGreaterThan(10);
    expect(await stack.deps.graphs.get(PROJECT, graphId)).toMatchObject({
      status: '200',
      generation: 3,
      lastGeneration: 3,
    });
    expect(await contentOf(graphId)).toEqual(records);
    const keys = await keysOfGraph(graphId);
    expect(keys.filter((k) => !k.startsWith(`${graphId}#3#`))).toEqual([]);
    expect(keys).toHaveLength(records.length);
    // The discarded generation's counters went with its data.
    expect(totals(await stack.deps.data.counts(graphId, 2))).toEqual({ vertices: 0, edges: 0 });
  }, 60_000);

  it('keeps a mark for the stall window: what a task of the failed run writes late is dropped too', async () => {
    const { graphId } = await backedUpThenChanged(10, 5);
    const at = Date.now();
    await stack.deps.store.transact([
      stack.deps.data.discard({ projectId: PROJECT, graphId }, 8, { from: 5, to: 5 }, at),
    ]);
    const now = { ...stack.deps, clock: { now: () => at } };
    await collectGarbage(now, () => false);
    // A task of the failed run, still loading, writes after the collector's first pass.
    await stack.deps.data.load([toItem(graphId, 5, 8, { vertex: 'late', label: 'user', properties: {} })]);
    expect(await stack.deps.data.garbage(100)).toContainEqual(expect.objectContaining({ graphId, from: 5 }));
    expect(await collectAll(stack.deps, graphId)).toBe(1);
    expect((await keysOfGraph(graphId)).filter((k) => k.startsWith(`${graphId}#5#`))).toEqual([]);
  });

  it('of a graph deletion that never ran is dropped by the collector, every generation of it', async () => {
    const { graphId, backupId } = await backedUpThenChanged(20, 5);
    // Restored once, so that two generations were given.
    const { jobId: restore } = await restoreGraph(stack.deps, { projectId: PROJECT, graphId, backupId });
    expect(await runJob(stack.deps, jobTasks, { projectId: PROJECT, jobId: restore }, { attempt: 1 })).toBe(
      'succeeded',
    );
    await addElements(stack.deps, {
      projectId: PROJECT,
      graphName: (await stack.deps.graphs.get(PROJECT, graphId))?.name ?? '',
      elements: [{ vertex: 'since', label: 'user', properties: {} }],
    });
    const { jobId } = await deleteGraph(stack.deps, { projectId: PROJECT, graphId, keepBackup: false });

    // Its message is never delivered: the sweeper fails it once it is past its deadline.
    const later = { ...stack.deps, clock: { now: () => Date.now() + stack.deps.config.jobStallMs + 60_000 } };
    expect((await sweepOverdueJobs(later, jobTasks)).failed).toContain(jobId);
    expect(await stack.deps.data.garbage(100)).toContainEqual(
      expect.objectContaining({ graphId, from: 1, to: 3 }),
    );
    expect((await keysOfGraph(graphId)).length).toBeGreaterThan(0);

    await collectAll(stack.deps, graphId);
    expect(await keysOfGraph(graphId)).toEqual([]);
  });
});
