import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Usage, usageSoFar } from '../lib/composition/meter.js';
import { startBackup } from '../lib/operations/backup/start-backup.js';
import { createGraph } from '../lib/operations/graphs/graphs.js';
import { stopGraph } from '../lib/operations/graphs/lifecycle.js';
import { restoreGraph } from '../lib/operations/restore/restore-graph.js';
import type { DataItem } from '../lib/records/graphs/data-keys.js';
import { GraphStatus } from '../lib/records/graphs/model.js';
import type { JobRecord } from '../lib/records/jobs/model.js';
import type { Deps } from '../lib/runtime/deps.js';
import { PROJECT } from './api.js';
import { batchWriteAll, graphItems, itemBytes, queryShards } from './graph-data.js';
import type { RawShare } from './raw-child.js';
import { timed } from './report.js';
import type { BenchStack } from './stack.js';
import type { WorkerReport, WorkerSettings } from './worker-child.js';

/**
 * Snapshot and restore of one graph of `size` elements, each beside its raw baseline. The jobs run on
 * the worker's bundled handler in worker instances of their own (bench/worker-child.ts), fed from the
 * job queue as Lambda feeds them, so a job that fans out over several messages runs as it would on
 * AWS, and each instance's peak RSS is its own.
 */

/**
 * BatchWriteItem requests in flight, for seeding and for the restore's and the drop's baselines
 * (puts, deletes): DynamoDB Local on this machine writes no faster with more.
 */
const WRITE_CONCURRENCY = 32;
/** A job that has not ended by then is stuck (a failed delivery waits out the visibility timeout). */
const JOB_TIMEOUT_MS = 30 * 60_000;
/**
 * The worker instances' long poll. Stopping an instance aborts its ReceiveMessage, but fauxqs finishes
 * the long poll anyway and hands a message that arrives meanwhile to the closed connection, where it
 * stays invisible for the queue's visibility timeout (12 minutes): the next job is submitted only once
 * such polls have run out.
 */
const LONG_POLL_SECONDS = 1;

export type SizeResult = {
  size: number;
  vertices: number;
  edges: number;
  /** the items' size as DynamoDB counts it (names plus values) */
  dataBytes: number;
  seedMs: number;
  snapshot: {
    /** the first invocation's start to the job's end */
    ms: number;
    /** the raw read, run once before and once after the backup; their mean is the baseline */
    baselineRunsMs: [number, number];
    baselineMs: number;
    /** what the backup put in S3 (the parts, gzip) */
    backupBytes: number;
    /** until the job showed its expected counts: the counting pass before any part is written */
    countMs: number | undefined;
    invocations: number;
    rssBytes: number;
    usage: JobUsage;
  };
  restore: {
    /** the first invocation's start to the job's end, once the replaced generation is dropped */
    visibleMs: number;
    /** to the end of the last invocation: until every worker is idle */
    totalMs: number;
    /** until every part was loaded (progress 90%) */
    loadMs: number | undefined;
    /** until the switch (the job seen in its drop stage): the graph runs on the restored data */
    switchMs: number | undefined;
    /** from the switch to the job's end: the drop of the replaced generation */
    dropMs: number | undefined;
    /** raw BatchWriteItem of the same records into fresh partitions */
    baselineMs: number;
    /** raw BatchWriteItem DeleteRequests of as many items (those the baseline wrote) */
    dropBaselineMs: number;
    /**
     * The same writes and deletes laid out as the job lays out its tasks: one process per worker
     * instance, WRITE_CONCURRENCY requests in flight in all (`spreadWrites`).
     */
    spreadBaselineMs: number;
    dropSpreadBaselineMs: number;
    invocations: number;
    rssBytes: number;
    usage: JobUsage;
  };
};

export type DataOptions = { workers: number };

/**
 * What one job consumed on AWS's meters: the worker's calls and Lambda time, the event source's SQS
 * calls, and the API call that started it (one invocation of an API function).
 */
export type JobUsage = {
  worker: Usage & { invocations: number; billedMs: number; memoryMB: number };
  eventSource: { receives: number; deletes: number };
  /** the use case that submitted the job, metered in this process; its wall time as the Lambda's */
  submit: Usage & { ms: number; memoryMB: number };
};

/**
 * DynamoDB Local is a JVM: its first hundred thousand requests run slower while it compiles them.
 * A throwaway graph written and read once keeps that warm-up out of the first size's figures.
 */
export async function warmUpStore(stack: BenchStack, size = 20_000): Promise<void> {
  const graph = { graphId: randomUUID(), generation: 1, shards: stack.deps.config.graphShards };
  const table = stack.deps.config.graphTable;
  await batchWriteAll(stack.raw.ddb, table, graphItems(size, graph), WRITE_CONCURRENCY);
  await queryShards(stack.raw.ddb, table, graph, graph.shards, stack.deps.config.queryPageSize);
}

export async function benchSize(
  stack: BenchStack,
  size: number,
  workerFile: string,
  options: DataOptions,
  log: (line: string) => void,
): Promise<SizeResult> {
  const { deps, raw } = stack;
  const table = deps.config.graphTable;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

  // The graph record through the service's own use case, its data written straight into the table.
  const {
    graph: { graphId },
  } = await createGraph(deps, { projectId: PROJECT, name: `size_${size}_${Date.now()}` });
  const graph = await deps.graphs.get(PROJECT, graphId);
  if (!graph) throw new Error('the graph was not created');
  let dataBytes = 0;
  let vertices = 0;
  const counted = function* (items: Iterable<DataItem>) {
    for (const item of items) {
      dataBytes += itemBytes(item);
      if (item.k === 'V') vertices++;
      yield item;
    }
  };
  const seed = await timed(() =>
    batchWriteAll(raw.ddb, table, counted(graphItems(size, graph)), WRITE_CONCURRENCY),
  );
  log(`  seeded ${size} elements in ${seconds(seed.ms)}`);

  // Snapshot. The raw read takes every shard at once (the most a reader can get from the store; how
  // the job spreads its work is part of what is measured), in pages of the size the service reads,
  // once before and once after the backup, so neither side always runs on a colder store.
  const readShards = () =>
    timed(() => queryShards(raw.ddb, table, graph, graph.shards, deps.config.queryPageSize)).then((r) => {
      if (r.value !== size) throw new Error(`the raw read found ${r.value} items, not ${size}`);
      return r.ms;
    });
  const readBefore = await readShards();
  // The jobs are timed without the usage meter, as a deployed function runs: its
  // ReturnConsumedCapacity makes DynamoDB Local itself slower. What they consume is metered on the
  // same two jobs run again afterwards (`priced`).
  const backUp = async (via: Deps, meter: boolean) => {
    let backupId = '';
    const run = await runOnWorkers(
      stack,
      workerFile,
      options.workers,
      async () => {
        const started = await startBackup(via, { projectId: PROJECT, graphId });
        backupId = started.backupId;
        return started.jobId;
      },
      meter,
      // The job shows the counts it expects once the first delivery has read the counters.
      { counted: (job) => job.detail !== undefined },
    );
    const backup = await deps.backups.get(PROJECT, backupId);
    if (backup?.status !== 'success' || (backup.vertexNum ?? 0) + (backup.edgeNum ?? 0) !== size) {
      throw new Error(`the backup did not hold ${size} records: ${JSON.stringify(backup)}`);
    }
    return { run, backup };
  };
  // A restore of the stopped graph; it reports 90% once every part is loaded, then switches, then
  // drops the replaced generation.
  const restore = async (via: Deps, backupId: string, meter: boolean) => {
    const before = await deps.graphs.get(PROJECT, graphId);
    await stopGraph(deps, { projectId: PROJECT, graphId });
    const run = await runOnWorkers(
      stack,
      workerFile,
      options.workers,
      async () => (await restoreGraph(via, { projectId: PROJECT, graphId, backupId })).jobId,
      meter,
      { loaded: (job) => job.progress >= 90, switched: (job) => job.stage === 'drop' },
    );
    const after = await deps.graphs.get(PROJECT, graphId);
    if (after?.status !== GraphStatus.running || after.generation !== (before?.generation ?? 0) + 1) {
      throw new Error(`the graph was not restored: ${JSON.stringify(after)}`);
    }
    return run;
  };

  const { run: backupRun, backup } = await backUp(deps, false);
  const readAfter = await readShards();
  const backupMs = backupRun.endAt - backupRun.firstStart;
  log(`  backup in ${seconds(backupMs)} (raw read ${seconds(readBefore)}, ${seconds(readAfter)})`);

  // Restore into the same graph, stopped first; its baseline afterwards, when the store again holds
  // one generation of this graph, as it did when the restore began.
  const restoreRun = await restore(deps, backup.backupId, false);
  const fresh = { graphId: randomUUID(), generation: 1, shards: graph.shards };
  const write = await timed(() => batchWriteAll(raw.ddb, table, graphItems(size, fresh), WRITE_CONCURRENCY));
  // The drop's baseline deletes what the write's baseline wrote: as many items, one generation's.
  const deletes = await timed(() =>
    batchWriteAll(raw.ddb, table, graphItems(size, fresh), WRITE_CONCURRENCY, 'delete'),
  );
  // Again, spread over as many processes as the job's worker instances, on another fresh graph.
  const spread = { ...fresh, graphId: randomUUID() };
  const spreadWrite = await spreadWrites(stack, { table, graph: spread, size, as: 'put' }, options.workers);
  const spreadDelete = await spreadWrites(
    stack,
    { table, graph: spread, size, as: 'delete' },
    options.workers,
  );
  const restoreMs = restoreRun.endAt - restoreRun.firstStart;
  const switchMs = since(restoreRun, 'switched');
  const dropMs = switchMs === undefined ? undefined : restoreMs - switchMs;
  log(
    `  restore in ${seconds(restoreMs)}: switched at ${switchMs === undefined ? '?' : seconds(switchMs)} ` +
      `(raw write ${seconds(write.ms)}), dropped in ${dropMs === undefined ? '?' : seconds(dropMs)} ` +
      `(raw delete ${seconds(deletes.ms)}); workers idle at ${seconds(restoreRun.lastEnd - restoreRun.firstStart)}; ` +
      `spread over ${options.workers} processes: raw write ${seconds(spreadWrite)}, delete ${seconds(spreadDelete)}`,
  );

  const metered = await backUp(stack.metered, true);
  const meteredRestore = await restore(stack.metered, metered.backup.backupId, true);
  log(`  metered: a backup and a restore again, with the usage meter on`);

  return {
    size,
    vertices,
    edges: size - vertices,
    dataBytes,
    seedMs: seed.ms,
    snapshot: {
      ms: backupMs,
      baselineRunsMs: [readBefore, readAfter],
      baselineMs: (readBefore + readAfter) / 2,
      backupBytes: backup.sizeBytes ?? 0,
      countMs: since(backupRun, 'counted'),
      invocations: backupRun.invocations,
      rssBytes: backupRun.maxRssBytes,
      usage: priced(backupRun, metered.run),
    },
    restore: {
      visibleMs: restoreMs,
      totalMs: restoreRun.lastEnd - restoreRun.firstStart,
      loadMs: since(restoreRun, 'loaded'),
      switchMs,
      dropMs,
      baselineMs: write.ms,
      dropBaselineMs: deletes.ms,
      spreadBaselineMs: spreadWrite,
      dropSpreadBaselineMs: spreadDelete,
      invocations: restoreRun.invocations,
      rssBytes: restoreRun.maxRssBytes,
      usage: priced(restoreRun, meteredRestore),
    },
  };
}

/**
 * What a timed job consumed: its capacity units and requests as the metered run of the same job
 * counted them (the same work), its Lambda time and invocations as the timed run spent them (the
 * meter slows the emulator, not Lambda's bill).
 */
function priced(timed: JobRun, metered: JobRun): JobUsage {
  return {
    worker: {
      ...metered.usage.worker,
      invocations: timed.usage.worker.invocations,
      billedMs: timed.usage.worker.billedMs,
    },
    eventSource: metered.usage.eventSource,
    submit: { ...metered.usage.submit, ms: timed.usage.submit.ms },
  };
}

/** ms from the first invocation to a mark; a mark first seen with the job's end is no later than it. */
const since = (run: JobRun, mark: string) => {
  const at = run.marks[mark];
  return at === undefined ? undefined : Math.min(at, run.endAt) - run.firstStart;
};

/** What the worker instances did for one job. */
type JobRun = {
  jobId: string;
  /** epoch ms: the first invocation's start, the job's end (its record), the last invocation's end */
  firstStart: number;
  endAt: number;
  lastEnd: number;
  invocations: number;
  /** the largest peak RSS of any instance */
  maxRssBytes: number;
  /** epoch ms when each mark was first seen on the job record */
  marks: Record<string, number>;
  usage: JobUsage;
};

const noUsage = (): Usage => ({ dynamodb: { readUnits: 0, writeUnits: 0 }, requests: {} });

function addUsage(into: Usage, more: Usage): Usage {
  into.dynamodb.readUnits += more.dynamodb.readUnits;
  into.dynamodb.writeUnits += more.dynamodb.writeUnits;
  for (const [k, n] of Object.entries(more.requests)) into.requests[k] = (into.requests[k] ?? 0) + n;
  return into;
}

/** What the API call consumed: this process's meter (stack.metered's clients) before and after. */
function usageSince(before: Usage): Usage {
  const after = usageSoFar();
  const delta = noUsage();
  delta.dynamodb.readUnits = after.dynamodb.readUnits - before.dynamodb.readUnits;
  delta.dynamodb.writeUnits = after.dynamodb.writeUnits - before.dynamodb.writeUnits;
  for (const [k, n] of Object.entries(after.requests)) {
    const d = n - (before.requests[k] ?? 0);
    if (d) delta.requests[k] = d;
  }
  return delta;
}

/**
 * Forks `instances` worker instances (bench/worker-child.ts, bundled), submits a job, waits for its
 * end, then stops the instances once their invocations in flight are over (a restore drops the
 * replaced generation after the job has ended) and collects what they report.
 */
async function runOnWorkers(
  stack: BenchStack,
  workerFile: string,
  instances: number,
  submit: () => Promise<string>,
  meter: boolean,
  marks: Marks = {},
): Promise<JobRun> {
  const { resources } = stack;
  const settings: WorkerSettings = {
    queueUrl: resources.jobQueue.url,
    queueArn: resources.jobQueue.arn,
    functionName: resources.worker.name,
    timeoutSeconds: resources.worker.timeoutSeconds,
    memorySize: resources.worker.memorySize,
    batchSize: resources.worker.batchSize,
    waitTimeSeconds: LONG_POLL_SECONDS,
  };
  const children = Array.from({ length: instances }, () =>
    fork(workerFile, [], {
      // Plain node (not this process's tsx loader), with exactly the function's environment.
      execArgv: [],
      env: {
        PATH: process.env.PATH ?? '',
        ...stack.env,
        AWS_USAGE_METER: String(meter),
        BENCH_WORKER: JSON.stringify(settings),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const exited = (code: number | null) => new Error(`a worker instance exited early (code ${code})`);
  const ready = children.map(
    (child) =>
      new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(exited(code)));
      }),
  );
  const reports = children.map(
    (child) =>
      new Promise<WorkerReport>((resolve, reject) => {
        child.on('message', (m) => {
          if (m && typeof m === 'object' && 'maxRssBytes' in m) resolve(m as WorkerReport);
        });
        child.once('exit', (code) => reject(exited(code)));
      }),
  );
  // Whichever promise is not awaited when a child dies must not crash the run.
  for (const p of [...ready, ...reports]) p.catch(() => undefined);
  try {
    await Promise.all(ready);
    const before = usageSoFar();
    const submitStart = performance.now();
    const jobId = await submit();
    const submitMs = performance.now() - submitStart;
    const submitted = usageSince(before);
    const { endAt, marks: seen } = await waitForJobEnd(stack, jobId, marks);
    for (const child of children) child.send('stop');
    const done = await Promise.all(reports);
    await sleep(LONG_POLL_SECONDS * 1000 + 500);
    const starts = done.flatMap((r) => (r.firstStart === undefined ? [] : [r.firstStart]));
    const ends = done.flatMap((r) => (r.lastEnd === undefined ? [] : [r.lastEnd]));
    return {
      jobId,
      firstStart: Math.min(...starts),
      endAt,
      lastEnd: Math.max(...ends),
      invocations: done.reduce((n, r) => n + r.invocations, 0),
      maxRssBytes: Math.max(...done.map((r) => r.maxRssBytes)),
      marks: seen,
      usage: {
        worker: {
          ...done.reduce((u, r) => addUsage(u, r.usage), noUsage()),
          invocations: done.reduce((n, r) => n + r.invocations, 0),
          billedMs: done.reduce((n, r) => n + r.billedMs, 0),
          memoryMB: resources.worker.memorySize,
        },
        eventSource: {
          receives: done.reduce((n, r) => n + r.eventSource.receives, 0),
          deletes: done.reduce((n, r) => n + r.eventSource.deletes, 0),
        },
        submit: { ...submitted, ms: submitMs, memoryMB: stack.apiMemoryMB },
      },
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/**
 * Raw BatchWriteItem puts or deletes of a graph's items from `processes` fresh processes
 * (bench/raw-child.ts), each with its share of the items and of WRITE_CONCURRENCY requests in flight:
 * the baseline laid out as a restore's tasks are, one a worker instance, each its own Node process
 * (on a machine of two cores, four processes get less done than one with all 32 requests). Timed from
 * the moment every process is ready to the last one's end, ms.
 */
async function spreadWrites(
  stack: BenchStack,
  work: Pick<RawShare, 'table' | 'graph' | 'size' | 'as'>,
  processes: number,
): Promise<number> {
  const children = Array.from({ length: processes }, (_, part) => {
    const share: RawShare = {
      ...work,
      part,
      parts: processes,
      concurrency: Math.max(1, Math.round(WRITE_CONCURRENCY / processes)),
    };
    return fork(new URL('./raw-child.ts', import.meta.url).pathname, [], {
      env: { ...process.env, ...stack.env, BENCH_RAW_SHARE: JSON.stringify(share) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  });
  const next = (child: (typeof children)[number]) =>
    new Promise<unknown>((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`a raw baseline process exited early (code ${code})`)));
    });
  try {
    await Promise.all(children.map(next));
    const done = children.map(next);
    const start = performance.now();
    for (const child of children) child.send('go');
    const written = (await Promise.all(done)) as { written: number }[];
    const ms = performance.now() - start;
    const total = written.reduce((n, w) => n + w.written, 0);
    if (total !== work.size) throw new Error(`the spread baseline wrote ${total} items, not ${work.size}`);
    return ms;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** A moment in a job's life, recognised on its record: when it is first seen, its time is kept. */
type Marks = Record<string, (job: JobRecord) => boolean>;

/**
 * Polls the job record until the job ends: its end time and when each mark was first seen (to
 * 100 ms), or an error with its reason.
 */
async function waitForJobEnd(stack: BenchStack, jobId: string, marks: Marks) {
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  const seen: Record<string, number> = {};
  for (;;) {
    const job = await stack.deps.jobs.get(PROJECT, jobId);
    const at = Date.now();
    for (const [name, test] of Object.entries(marks))
      if (job && !(name in seen) && test(job)) seen[name] = at;
    if (job?.status === 'success' && job.endAt !== undefined) return { endAt: job.endAt, marks: seen };
    if (job?.status === 'failed') throw new Error(`job ${jobId} failed: ${JSON.stringify(job)}`);
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not end in time: ${JSON.stringify(job)}`);
    await sleep(100);
  }
}
