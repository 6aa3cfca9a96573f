import { SQSClient } from '@aws-sdk/client-sqs';
import { handler } from '../functions/run-jobs.js';
import { type Usage, usageSoFar } from '../lib/composition/meter.js';
import { type SqsHandler, startSqsPoller } from '../local/sqs-poller.js';

/**
 * One worker Lambda instance, alone in a process so that the peak RSS it reports is its own: the
 * worker's handler fed from the job queue by the local stack's poller, with Lambda's rules (a batch of
 * up to `batchSize` messages per invocation) and one invocation at a time, as a Lambda sandbox runs.
 * bench/data.ts bundles this file as the worker is bundled for Lambda and forks a few of these (the
 * instances a job's fan-out can spread over); BENCH_WORKER in the environment says where to poll.
 *
 * Protocol (IPC): the child sends `{ ready: true }` once polling; on `'stop'` it stops polling,
 * finishes the invocation in flight and answers with a WorkerReport.
 */
export type WorkerSettings = {
  queueUrl: string;
  queueArn: string;
  functionName: string;
  timeoutSeconds: number;
  memorySize: number;
  batchSize: number;
  /** long-poll wait of each ReceiveMessage */
  waitTimeSeconds: number;
};

export type WorkerReport = {
  /** epoch ms of the first invocation's start and the last one's end, if any */
  firstStart?: number;
  lastEnd?: number;
  invocations: number;
  /** the invocations' durations summed, as Lambda bills them (each rounded up to 1 ms) */
  billedMs: number;
  maxRssBytes: number;
  /**
   * What the handler's calls consumed (the service's clients, metered with AWS_USAGE_METER=true),
   * and the event source's own SQS calls: the receives that returned messages (idle long polls are
   * Lambda's fixed cost, not a job's) and the deletes.
   */
  usage: Usage;
  eventSource: { receives: number; deletes: number };
};

const send = (message: unknown) =>
  new Promise<void>((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));

async function main() {
  const settings = JSON.parse(process.env.BENCH_WORKER ?? 'null') as WorkerSettings | null;
  if (!settings || !process.send) throw new Error('fork this with BENCH_WORKER set and an IPC channel');
  const report: WorkerReport = {
    invocations: 0,
    billedMs: 0,
    maxRssBytes: 0,
    usage: usageSoFar(),
    eventSource: { receives: 0, deletes: 0 },
  };
  const timed: SqsHandler = async (event, context) => {
    const start = Date.now();
    const t0 = performance.now();
    report.firstStart ??= start;
    report.invocations++;
    report.eventSource.receives++;
    try {
      return await (handler as unknown as SqsHandler)(event, context);
    } finally {
      report.lastEnd = Date.now();
      report.billedMs += Math.ceil(performance.now() - t0);
    }
  };
  const sqs = new SQSClient({});
  // The poller deletes what the handler did not report failed: one DeleteMessageBatch an invocation.
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (/^DeleteMessage/.test(context.commandName ?? '')) report.eventSource.deletes++;
      return next(args);
    },
    { step: 'initialize', name: 'countDeletes' },
  );
  const poller = startSqsPoller({
    sqs,
    queueUrl: settings.queueUrl,
    queueArn: settings.queueArn,
    region: process.env.AWS_REGION ?? 'us-east-1',
    handler: timed,
    functionName: settings.functionName,
    timeoutSeconds: settings.timeoutSeconds,
    memorySize: settings.memorySize,
    batchSize: settings.batchSize,
    concurrency: 1,
    waitTimeSeconds: settings.waitTimeSeconds,
  });
  process.on('message', async (message) => {
    if (message !== 'stop') return;
    await poller.stop();
    sqs.destroy();
    // resourceUsage reports kilobytes: the peak over the whole life of the process.
    report.maxRssBytes = process.resourceUsage().maxRSS * 1024;
    report.usage = usageSoFar();
    await send(report);
    process.exit(0);
  });
  await send({ ready: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
