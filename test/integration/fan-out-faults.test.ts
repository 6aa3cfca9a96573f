import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { parseConfig } from '../../lib/core/config.js';
import { type JobMessage, jobMessageSchema } from '../../lib/core/ports.js';
import { backupStepSchema, positionsOf } from '../../lib/operations/backup/job.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { MANIFEST_FILE, type Manifest } from '../../lib/records/backups/format.js';
import { backupPrefix } from '../../lib/records/backups/model.js';
import { JobRepo } from '../../lib/records/jobs/job-repo.js';
import type { JobRecord } from '../../lib/records/jobs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { PROJECT, readBackup, seedGraph, socialGraph, sortRecords } from './fixtures.js';
import { type IsolatedStack, isolatedStack } from './support.js';

/**
 * A fanned-out backup under faults: tasks that die (first, middle, last) and come back as
 * redeliveries, tasks that die for good or wake up late as zombies, step messages duplicated and
 * reordered. The messages are the real ones on the real queue; the test is the event source, so it
 * decides which message is delivered when, which delivery dies and where. Every job must end right,
 * with the backup a clean run makes of the same graph, and nothing else in its folder.
 */
let stack: IsolatedStack;
let graphId: string;
let content: unknown[];
let clean: Manifest;

const LEASE_SECONDS = 60;
const ENV = {
  SHARDS_PER_TASK: '2',
  SEGMENT_ITEMS: '4',
  QUERY_PAGE_SIZE: '3',
  TASK_BUDGET_SECONDS: '0',
  JOB_LEASE_SECONDS: String(LEASE_SECONDS),
  BACKUP_QUOTA: '100',
};

beforeAll(async () => {
  // 8 shards, 2 a task: 4 tasks. Segments of 4 items, pages of 3, no time at all: every message
  // writes one segment of ~4 records and checkpoints, so a task is a chain of messages.
  stack = await isolatedStack({ env: ENV });
  const graph = socialGraph(30);
  content = [...graph.vertices, ...graph.edges];
  ({ graphId } = await seedGraph(stack.deps, graph));
  const run = await backUp({ order: 'in order', faults: [] });
  expect(run.job.status).toBe('success');
  clean = (await readBackup(stack.deps, { projectId: PROJECT, graphId, backupId: run.backupId }))
    ?.manifest as Manifest;
  expect(clean.files.length).toBeGreaterThan(8);
});

/** Where a delivery can die. */
type Point =
  | 'before an upload'
  | 'after an upload'
  | 'after a part is recorded'
  | 'between a part’s entry and its count'
  | 'between a task’s entry and its count'
  | 'after a shard’s second segment is recorded'
  | 'after the manifest'
  | 'before the success';

/**
 * One fault, fired once, by the first delivery it matches that reaches its point: that delivery
 * `dies` there (its Lambda is gone: it never goes on unless woken as a zombie, and SQS delivers its
 * message again once the visibility timeout and the job's lease have run out) or `throws` an error
 * nothing can retry.
 */
type Fault = {
  on: 'the first delivery' | `task ${number}` | 'any delivery';
  at: Point;
  how: 'dies' | 'throws';
};

/** The order messages are delivered in: as sent, newest first, or every message twice (a copy last). */
type Order = 'in order' | 'newest first' | 'each twice';

/**
 * When a dead delivery's message comes back: once every other message has been delivered (a long
 * visibility timeout), or before any other (a short one).
 */
type Redelivery = 'last' | 'next';

type Plan = {
  order: Order;
  redelivery?: Redelivery;
  faults: Fault[];
  /** settings every delivery runs with, besides the file's */
  env?: Record<string, string>;
  /** settings of another deployment, that every delivery after the first death runs with */
  redeployed?: Record<string, string>;
};

type Zombie = { wake(): void; outcome: Promise<unknown> };

type Run = {
  jobId: string;
  backupId: string;
  job: JobRecord;
  /** the job's progress and counts done, read after every delivery */
  seen: { progress: number; vertices: number; edges: number; shards: number }[];
  /**
   * every progress report the job recorded, with the number of parts of the view it came from (the
   * shards of a task report at once, so the order their calls return in is not the order of the writes)
   */
  reported: { progress: number; seen: number }[];
  zombies: Zombie[];
  outcomes: unknown[];
  /** how far the deliveries' clock is ahead: a lease for every delivery that died */
  offset: number;
};

/** The job's messages now on the queue, taken off it (the test is their event source). */
async function drain(jobId: string): Promise<JobMessage[]> {
  const queueUrl = stack.resources.jobQueue.url;
  const messages: JobMessage[] = [];
  for (;;) {
    const out = await stack.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 300,
      }),
    );
    // In one order whatever order the queue hands them out in: the take first, then by task and step.
    if (!out.Messages?.length) return messages.sort((a, b) => stepOrder(a) - stepOrder(b));
    for (const m of out.Messages) {
      const message = jobMessageSchema.parse(JSON.parse(m.Body ?? ''));
      if (message.jobId === jobId) messages.push(message);
      await stack.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

/** The take first, then a task's steps by task, then by how far the step's shards have come. */
function stepOrder({ step }: JobMessage): number {
  if (!step) return 0;
  const parsed = backupStepSchema.parse(step);
  const positions = positionsOf(parsed);
  const done = parsed.shards.length - positions.length;
  return 1 + parsed.task * 1e6 + done * 1e3 + positions.reduce((n, p) => n + p.segment, 0);
}

const matches = (fault: Fault, message: JobMessage) =>
  fault.on === 'any delivery' ||
  (fault.on === 'the first delivery' ? !message.step : fault.on === `task ${message.step?.task}`);

/**
 * The stack's deps for one delivery: the service's own adapters, with the armed faults at their
 * points, the clock `offset` ms ahead, and progress reports logged.
 */
function deliveryDeps(
  armed: Fault[],
  fired: Set<Fault>,
  offset: number,
  onDeath: (zombie: Zombie) => void,
  reported: Run['reported'],
): Deps {
  const base = stack.deps;
  // A delivery that died is frozen whole: the shards it was reading at once start nothing more (no
  // call, no other fault) until it is woken as a zombie.
  let frozen: Promise<void> | undefined;
  const alive = async () => {
    while (frozen) await frozen.then(() => (frozen = undefined));
  };
  const reach = async (point: Point) => {
    await alive();
    const fault = armed.find((f) => f.at === point && !fired.has(f));
    if (!fault) return;
    fired.add(fault);
    if (fault.how === 'throws') throw new Error('the function died');
    let wake = () => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    frozen = woken;
    onDeath({ wake, outcome: woken });
    await alive();
  };
  const clock = { now: () => Date.now() + offset };
  const blobs = Object.create(base.blobs) as Deps['blobs'];
  blobs.upload = async (key, body, type) => {
    await reach('before an upload');
    await base.blobs.upload(key, body, type);
    await reach('after an upload');
  };
  blobs.put = async (key, body, type) => {
    await alive();
    await base.blobs.put(key, body, type);
    if (key.endsWith(MANIFEST_FILE)) await reach('after the manifest');
  };
  const store = Object.create(base.store) as Deps['store'];
  // A ledger's entry is put, then counted on the job: a death in between leaves it uncounted.
  store.apply = async (action) => {
    await alive();
    const outcome = await base.store.apply(action);
    if (action.name === 'record the entry' && outcome.ok && 'put' in action) {
      const task = String(action.put.sk).includes('#TASK#');
      await reach(task ? 'between a task’s entry and its count' : 'between a part’s entry and its count');
    }
    return outcome;
  };
  store.transact = async (actions) => {
    await alive();
    if (actions.some((a) => 'change' in a && a.change.set?.status === 'success'))
      await reach('before the success');
    return base.store.transact(actions);
  };
  // The job records on that store (the repository writes through the store it is built on).
  const { jobRetentionDays, jobStallMs } = base.config;
  const jobs = new JobRepo(store, jobRetentionDays, jobStallMs, clock);
  const record = jobs.record.bind(jobs);
  const progress = jobs.progress.bind(jobs);
  jobs.record = async (...args) => {
    await alive();
    const recorded = await record(...args);
    const [, , kind, entry] = args;
    if (recorded && kind === 'PART') {
      await reach('after a part is recorded');
      if (entry.name.endsWith('.1')) await reach('after a shard’s second segment is recorded');
    }
    return recorded;
  };
  jobs.progress = async (...args) => {
    await alive();
    const outcome = await progress(...args);
    if (outcome === 'recorded') reported.push({ progress: args[3], seen: args[5] ?? 0 });
    return outcome;
  };
  return { ...base, blobs, jobs, store, clock };
}

/**
 * Backs the graph up, delivering the job's messages one at a time in `order` until none is left,
 * with `faults` injected. A delivery that dies is delivered again later, with the clock past its
 * lease (a dead Lambda's lease runs out before its message comes back to a plain take).
 */
async function backUp(plan: Plan): Promise<Run> {
  const { jobId, backupId } = await startBackup(stack.deps, { projectId: PROJECT, graphId });
  const run: Run = {
    jobId,
    backupId,
    job: undefined as never,
    seen: [],
    reported: [],
    zombies: [],
    outcomes: [],
    offset: 0,
  };
  await deliverAll(run, plan);
  run.job = (await stack.deps.jobs.get(PROJECT, jobId)) as JobRecord;
  return run;
}

async function deliverAll(run: Run, plan: Plan) {
  const inbox: { message: JobMessage; attempt: number }[] = [];
  const redeliveries: { message: JobMessage; attempt: number }[] = [];
  const delivered = new Set<string>();
  const fired = new Set<Fault>();
  for (let n = 0; n < 500; n++) {
    for (const message of await drain(run.jobId)) inbox.push({ message, attempt: 1 });
    if (!inbox.length) inbox.push(...redeliveries.splice(0));
    const next = plan.order === 'newest first' ? inbox.pop() : inbox.shift();
    if (!next) return;
    const body = JSON.stringify(next.message);
    if (plan.order === 'each twice' && !delivered.has(body)) inbox.push({ ...next });
    delivered.add(body);

    const armed = plan.faults.filter((f) => !fired.has(f) && matches(f, next.message));
    let died: (() => void) | undefined;
    const death = new Promise<'died'>((resolve) => {
      died = () => resolve('died');
    });
    const deps = deliveryDeps(
      armed,
      fired,
      run.offset,
      (zombie) => {
        run.zombies.push(zombie);
        died?.();
      },
      run.reported,
    );
    const redeployed = run.zombies.length ? plan.redeployed : undefined;
    if (plan.env || redeployed)
      deps.config = parseConfig({ ...stack.resources.env, ...ENV, ...plan.env, ...redeployed });
    const delivery = runJob(deps, jobTasks, next.message, { attempt: next.attempt });
    const outcome = await Promise.race([delivery.catch((e: Error) => `threw ${e.name}`), death]);
    run.outcomes.push(outcome);
    if (outcome === 'died') {
      // The dead delivery's promise is kept: woken, it is a zombie, and what it ends with is checked.
      const zombie = run.zombies.at(-1) as Zombie;
      zombie.outcome = zombie.outcome.then(() => delivery);
      run.offset += (LEASE_SECONDS + 1) * 1000;
    }
    if (outcome === 'died' || String(outcome).startsWith('threw')) {
      const again = { message: next.message, attempt: next.attempt + 1 };
      if (plan.redelivery !== 'next') redeliveries.push(again);
      else if (plan.order === 'newest first') inbox.push(again);
      else inbox.unshift(again);
    }

    const job = await stack.deps.jobs.get(PROJECT, run.jobId);
    run.seen.push({
      progress: job?.progress ?? 0,
      vertices: job?.detail?.vertices.done ?? 0,
      edges: job?.detail?.edges.done ?? 0,
      shards: job?.detail?.shards.done ?? 0,
    });
  }
  throw new Error('the job is still sending messages after 500 deliveries');
}

/** What makes two backups of one graph the same backup: all but ids, times and run ids in file names. */
function essence(manifest: Manifest) {
  const { backupId: _b, jobId: _j, createdTimestamp: _c, files, ...rest } = manifest;
  return {
    ...rest,
    files: files.map(({ key, ...file }) => ({ ...file, key: key.replace(/-[0-9a-f]{8}\.jsonl\.gz$/, '') })),
  };
}

async function folderKeys(backupId: string) {
  const folder = backupPrefix({ projectId: PROJECT, graphId, backupId });
  return (await stack.deps.blobs.list(folder)).map((o) => o.key.slice(folder.length)).sort();
}

const nonDecreasing = (values: number[]) => values.every((v, i) => i === 0 || v >= (values[i - 1] as number));

async function expectTheCleanBackup(run: Run) {
  expect(run.job).toMatchObject({ status: 'success', progress: 100 });
  const stored = await readBackup(stack.deps, { projectId: PROJECT, graphId, backupId: run.backupId });
  const manifest = stored?.manifest as Manifest;
  expect(essence(manifest)).toEqual(essence(clean));
  expect(sortRecords(stored?.records ?? [])).toEqual(sortRecords(content));
  for (const part of manifest.files) {
    expect(stored?.files.get(part.key)).toEqual({ sha256: part.sha256, bytes: part.bytes });
  }
  // The folder holds the manifest's files and nothing else.
  expect(await folderKeys(run.backupId)).toEqual([MANIFEST_FILE, ...manifest.files.map((f) => f.key)].sort());
  // The job center tells the truth: the counts the job ended with are the manifest's.
  expect(run.job.detail).toEqual({
    vertices: { done: manifest.counts.vertices, expected: manifest.counts.vertices },
    edges: { done: manifest.counts.edges, expected: manifest.counts.edges },
    shards: { done: manifest.shards, expected: manifest.shards },
  });
  expect(await stack.deps.backups.get(PROJECT, run.backupId)).toMatchObject({
    status: 'success',
    vertexNum: manifest.counts.vertices,
    edgeNum: manifest.counts.edges,
    sizeBytes: manifest.totalBytes,
  });
  const graph = await stack.deps.graphs.get(PROJECT, graphId);
  expect(graph?.status).toBe('200');
  expect(graph?.lockJobId).toBeUndefined();
}

function expectProgressNeverWentBack(run: Run) {
  // Each recorded report came from a view with more parts than the one before, and said no less.
  const reports = [...run.reported].sort((a, b) => a.seen - b.seen);
  expect(new Set(reports.map((r) => r.seen)).size).toBe(reports.length);
  expect(nonDecreasing(reports.map((r) => r.progress))).toBe(true);
  for (const counter of ['progress', 'vertices', 'edges', 'shards'] as const) {
    expect(nonDecreasing(run.seen.map((s) => s[counter]))).toBe(true);
  }
}

/** Wakes every dead delivery: none may change anything, and their messages change nothing either. */
async function wakeTheZombies(run: Run) {
  for (const zombie of run.zombies) {
    zombie.wake();
    expect(['lease-lost', 'already-ended']).toContain(await zombie.outcome);
  }
  await deliverAll(run, { order: 'in order', faults: [] });
  expect(await stack.deps.jobs.get(PROJECT, run.jobId)).toMatchObject({ status: run.job.status });
}

describe('a fanned-out backup whose tasks die and come back', () => {
  it.each<Plan & { name: string }>([
    {
      name: 'the first delivery dies after uploading a part it never records; the run that takes over keeps the tasks done',
      order: 'newest first',
      faults: [{ on: 'the first delivery', at: 'after an upload', how: 'dies' }],
    },
    {
      name: 'the first delivery dies after recording a part and is taken over at once, its other tasks mid-way',
      order: 'in order',
      redelivery: 'next',
      faults: [{ on: 'the first delivery', at: 'after a part is recorded', how: 'dies' }],
    },
    {
      name: 'a middle task dies after recording a part, every message delivered twice',
      order: 'each twice',
      faults: [{ on: 'task 1', at: 'after a part is recorded', how: 'dies' }],
    },
    {
      name: 'a middle task dies before an upload, newest messages first',
      order: 'newest first',
      redelivery: 'next',
      faults: [{ on: 'task 2', at: 'before an upload', how: 'dies' }],
    },
    {
      name: 'a middle task dies between a part’s entry and its count, newest messages first',
      order: 'newest first',
      faults: [{ on: 'task 2', at: 'between a part’s entry and its count', how: 'dies' }],
    },
    {
      name: 'the last task to finish dies between its entry and its count: its redelivery counts the entries and finishes',
      order: 'in order',
      faults: [{ on: 'task 3', at: 'between a task’s entry and its count', how: 'dies' }],
    },
    {
      name: 'the last task dies after the manifest',
      order: 'in order',
      faults: [{ on: 'any delivery', at: 'after the manifest', how: 'dies' }],
    },
    {
      name: 'the last task dies just before the success, every message delivered twice',
      order: 'each twice',
      faults: [{ on: 'any delivery', at: 'before the success', how: 'dies' }],
    },
    {
      name: 'every task dies once, the first twice, and the last after the manifest',
      order: 'newest first',
      faults: [
        { on: 'the first delivery', at: 'after an upload', how: 'dies' },
        { on: 'the first delivery', at: 'after a part is recorded', how: 'dies' },
        { on: 'task 1', at: 'before an upload', how: 'dies' },
        { on: 'task 2', at: 'after an upload', how: 'dies' },
        { on: 'task 3', at: 'after a part is recorded', how: 'dies' },
        { on: 'any delivery', at: 'after the manifest', how: 'dies' },
      ],
    },
  ])('$name: the job ends with the clean run’s backup and nothing else', async (plan) => {
    const run = await backUp(plan);

    expect(run.outcomes.filter((o) => o === 'died')).toHaveLength(plan.faults.length);
    await expectTheCleanBackup(run);
    expectProgressNeverWentBack(run);

    await wakeTheZombies(run);
    await expectTheCleanBackup(run);
  });

  it('removes a part that a run which lost the job uploads after the manifest was written', async () => {
    // The first run dies just before an upload; the run that takes over finishes the backup; then
    // the dead run wakes and uploads its part into the finished backup's folder.
    const run = await backUp({
      order: 'newest first',
      faults: [{ on: 'the first delivery', at: 'before an upload', how: 'dies' }],
    });
    await expectTheCleanBackup(run);

    await wakeTheZombies(run);
    await expectTheCleanBackup(run);
  });

  it('a run that takes over with other segment sizes starts afresh, and the backup holds each record once', async () => {
    // The first delivery has time for its whole task; it dies once it has recorded two segments of
    // a shard (4 items each). A deployment that cuts 100-item segments takes over: the dead run's
    // second segment is not one of its segments, and kept it would hold records twice.
    expect(clean.files.some((f) => f.shard < 2 && f.segment === 1 && f.records > 0)).toBe(true);
    const run = await backUp({
      order: 'in order',
      env: { TASK_BUDGET_SECONDS: '600' },
      faults: [{ on: 'the first delivery', at: 'after a shard’s second segment is recorded', how: 'dies' }],
      redeployed: { SEGMENT_ITEMS: '100' },
    });

    expect(run.job).toMatchObject({ status: 'success', progress: 100 });
    const stored = await readBackup(stack.deps, { projectId: PROJECT, graphId, backupId: run.backupId });
    const manifest = stored?.manifest as Manifest;
    expect(sortRecords(stored?.records ?? [])).toEqual(sortRecords(content));
    expect(run.outcomes.filter((o) => o === 'died')).toHaveLength(1);
    expect(manifest.files.every((f) => f.segment === 0)).toBe(true);
    expect(manifest.counts).toEqual(clean.counts);
    expect(manifest.contentDigest).toEqual(clean.contentDigest);
    expect(run.job.detail?.vertices.done).toBe(manifest.counts.vertices);
    expect(run.job.detail?.edges.done).toBe(manifest.counts.edges);
    expect(run.job.detail?.shards).toEqual({ done: manifest.shards, expected: manifest.shards });
    expect(await folderKeys(run.backupId)).toEqual(
      [MANIFEST_FILE, ...manifest.files.map((f) => f.key)].sort(),
    );
    await wakeTheZombies(run);
  });

  it('a task delivered again by a deployment with other segment sizes cuts its run’s segments', async () => {
    // A task past the first, with a shard of more than one segment, dies after recording that
    // shard's second segment; a deployment that cuts 100-item segments delivers its message again.
    const shard = clean.files.find((f) => f.shard >= 2 && f.segment === 1 && f.records > 0)?.shard;
    expect(shard).toBeDefined();
    const run = await backUp({
      order: 'in order',
      env: { TASK_BUDGET_SECONDS: '600' },
      faults: [
        {
          on: `task ${Math.floor(Number(shard) / 2)}`,
          at: 'after a shard’s second segment is recorded',
          how: 'dies',
        },
      ],
      redeployed: { SEGMENT_ITEMS: '100' },
    });

    expect(run.outcomes.filter((o) => o === 'died')).toHaveLength(1);
    await expectTheCleanBackup(run);
    expectProgressNeverWentBack(run);
    await wakeTheZombies(run);
    await expectTheCleanBackup(run);
  });

  it('a task that throws what nothing can retry fails the job with a reason, and leaves no file', async () => {
    const run = await backUp({
      order: 'newest first',
      faults: [
        // A task of the same run is mid-upload when the job fails; it wakes after the clean-up.
        { on: 'task 3', at: 'before an upload', how: 'dies' },
        { on: 'task 1', at: 'after an upload', how: 'throws' },
      ],
    });

    expect(run.job).toMatchObject({
      status: 'failed',
      errorCode: 'GES.7040',
      failReason: 'Failed to back up a graph: an internal error occurred.',
    });
    expect((await stack.deps.backups.get(PROJECT, run.backupId))?.status).toBe('failed');
    expect((await stack.deps.graphs.get(PROJECT, graphId))?.lockJobId).toBeUndefined();
    expectProgressNeverWentBack(run);
    await wakeTheZombies(run);
    expect(await folderKeys(run.backupId)).toEqual([]);
  });
});
