import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DynamoStore } from '../lib/adapters/dynamo-store.js';
import { graphKey } from '../lib/core/keys.js';
import { startBackup } from '../lib/operations/backup/start-backup.js';
import { createGraph } from '../lib/operations/graphs/graphs.js';
import { newBackup } from '../lib/records/backups/model.js';
import { type GraphRecord, GraphStatus } from '../lib/records/graphs/model.js';
import { newJob } from '../lib/runtime/submit.js';
import { issueToken } from '../local/auth.js';
import { now, percentile } from './report.js';
import type { BenchStack } from './stack.js';

/**
 * add-backup (`POST /v1.0/{projectId}/graphs/{graphId}/backups`), called in this process through the
 * Lambda handler itself, beside a baseline that sends only the one TransactWriteItems and the one
 * SendMessage the handler must send.
 *
 * In process rather than through serverless-offline: offline adds its own HTTP server, routing and
 * event translation (milliseconds of work that API Gateway does elsewhere on AWS), and on two cores
 * its CPU would compete with the emulators; the handler's own cost is what the 1.3× target is about.
 *
 * A graph holds one backup at a time, so every request (handler or baseline) gets a graph of its own,
 * created beforehand. All graphs live in one project: every add-backup moves the project's backup
 * counter in its transaction, so this is also the contention a busy project sees.
 */

export const PROJECT = 'bench';
const ROUTE = 'POST /v1.0/{projectId}/graphs/{graphId}/backups';

export type ApiOptions = {
  requests: number;
  warmup: number;
  concurrency: number;
  throughputRequests: number;
};

export type ApiResult = {
  /** ms, one request at a time */
  latency: Record<Kind, { p50: number; p90: number; p99: number }> & { samples: number };
  throughput: { rps: number; baselineRps: number; concurrency: number; requests: number };
  errors: Record<Kind, number> & { firstError?: string };
};

/**
 * Four kinds of request, so that the handler's excess over its baseline can be told apart: the
 * handler; the `startBackup` use case alone (no token, no event parsing, no middleware); the baseline
 * preceded by a consistent read of the graph (what the use case did before its transaction until it
 * folded the read into the transaction's conditions: kept to show what the read cost); and the
 * baseline (the one transaction and the one message).
 */
const KINDS = ['handler', 'useCase', 'baselineWithRead', 'baseline'] as const;
type Kind = (typeof KINDS)[number];

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export async function benchAddBackup(stack: BenchStack, options: ApiOptions): Promise<ApiResult> {
  // Throughput compares the handler and the baseline only.
  const graphs = await createGraphs(
    stack,
    KINDS.length * (options.warmup + options.requests) + 2 * options.throughputRequests,
  );
  const take = () => {
    const g = graphs.pop();
    if (!g) throw new Error('ran out of pre-created graphs');
    return g;
  };

  // The handler module reads its configuration (and builds its clients) when imported: after the
  // stack has set the environment.
  const { handler } = (await import('../functions/backups.js')) as unknown as { handler: Handler };
  const token = await issueToken({ projectId: PROJECT, roles: ['admin'], expiresIn: '2h' });
  const errors: ApiResult['errors'] = { handler: 0, useCase: 0, baselineWithRead: 0, baseline: 0 };
  const attempt = async (kind: Kind, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      errors[kind]++;
      errors.firstError ??= `${kind}: ${e instanceof Error ? e.message : String(e)}`;
    }
  };
  const call: Record<Kind, (graph: GraphRecord) => Promise<void>> = {
    handler: (graph) =>
      attempt('handler', async () => {
        const res = await handler(addBackupEvent(graph, token), lambdaContext());
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode} ${res.body}`);
      }),
    useCase: (graph) =>
      attempt('useCase', () =>
        startBackup(stack.deps, {
          projectId: graph.projectId,
          graphId: graph.graphId,
          requestId: randomUUID(),
        }),
      ),
    baseline: (graph) => attempt('baseline', () => baselineAddBackup(stack, graph)),
    baselineWithRead: (graph) =>
      attempt('baselineWithRead', async () => {
        const read = await stack.raw.ddb.send(
          new GetCommand({
            TableName: stack.deps.config.controlTable,
            Key: graphKey(graph.projectId, graph.graphId),
            ConsistentRead: true,
          }),
        );
        if (!read.Item) throw new Error('the graph was not found');
        await baselineAddBackup(stack, graph);
      }),
  };

  // Warm-up (the key import, the clients' connections, the JIT): a failure here is a broken setup.
  for (let i = 0; i < options.warmup; i++) for (const kind of KINDS) await call[kind](take());
  if (errors.firstError) throw new Error(`add-backup failed while warming up: ${errors.firstError}`);

  // Latency: one request at a time, the kinds interleaved (the order rotating) so that the
  // machine's drift and noise fall on all alike.
  const samples: Record<Kind, number[]> = { handler: [], useCase: [], baselineWithRead: [], baseline: [] };
  for (let i = 0; i < options.requests; i++) {
    for (let k = 0; k < KINDS.length; k++) {
      const kind = KINDS[(i + k) % KINDS.length] as Kind;
      const graph = take();
      const start = now();
      await call[kind](graph);
      samples[kind].push(now() - start);
    }
  }
  const stats = (ms: number[]) => ({
    p50: percentile(ms, 50),
    p90: percentile(ms, 90),
    p99: percentile(ms, 99),
  });

  // Requests/s: `concurrency` callers at once, handler against baseline, each run twice in
  // alternation (B H B H), the wall times summed, so neither always runs on the warmer or the more
  // crowded machine.
  const burst = async (fn: (g: GraphRecord) => Promise<void>, n: number) => {
    const batch = Array.from({ length: n }, take);
    const start = now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        for (let g = batch.pop(); g; g = batch.pop()) await fn(g);
      }),
    );
    return now() - start;
  };
  const half = Math.floor(options.throughputRequests / 2);
  let baselineWall = 0;
  let handlerWall = 0;
  for (let round = 0; round < 2; round++) {
    baselineWall += await burst(call.baseline, half);
    handlerWall += await burst(call.handler, half);
  }
  return {
    latency: {
      handler: stats(samples.handler),
      useCase: stats(samples.useCase),
      baselineWithRead: stats(samples.baselineWithRead),
      baseline: stats(samples.baseline),
      samples: options.requests,
    },
    throughput: {
      rps: (2 * half) / (handlerWall / 1000),
      baselineRps: (2 * half) / (baselineWall / 1000),
      concurrency: options.concurrency,
      requests: 2 * half,
    },
    errors,
  };
}

/**
 * The least an add-backup must send: the job, the backup record, the graph's lock and the quota unit
 * in one TransactWriteItems (built with the service's own item builders, so the items, their sizes
 * and their conditions are the same), then the job's message. No read, no token, no validation.
 */
async function baselineAddBackup(stack: BenchStack, graph: GraphRecord): Promise<void> {
  const { deps, raw } = stack;
  const ids = { projectId: graph.projectId, graphId: graph.graphId };
  const job = newJob(deps, ids, 'backup', { backupId: randomUUID() });
  const store = new DynamoStore(raw.ddb, {
    control: deps.config.controlTable,
    graph: deps.config.graphTable,
  });
  await raw.ddb.send(
    new TransactWriteCommand({
      TransactItems: [
        deps.jobs.put(job),
        deps.graphs.lockRunning(ids, GraphStatus.backingUp, job.createdAt, job.jobId),
        deps.backups.put(newBackup(ids, job, 'manual')),
        deps.projects.reserve(graph.projectId, 'backupCount', deps.config.backupQuota),
      ].map((action) => store.transactItem(action)),
    }),
  );
  await raw.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.config.jobQueueUrl,
      MessageBody: JSON.stringify({ projectId: graph.projectId, jobId: job.jobId }),
      MessageAttributes: { requestId: { DataType: 'String', StringValue: randomUUID() } },
    }),
  );
}

/** Empty graphs, one per request: add-backup never reads a graph's data. */
async function createGraphs(stack: BenchStack, n: number): Promise<GraphRecord[]> {
  const graphs: GraphRecord[] = [];
  // One at a time: every creation moves the same project counter, and concurrent transactions on one
  // item conflict.
  for (let i = 0; i < n; i++) {
    const {
      graph: { graphId: id },
    } = await createGraph(stack.deps, { projectId: PROJECT, name: `api_${i}_${Date.now()}` });
    const graph = await stack.deps.graphs.get(PROJECT, id);
    if (!graph) throw new Error(`graph ${id} was not created`);
    graphs.push(graph);
  }
  return graphs;
}

function addBackupEvent(graph: GraphRecord, token: string): APIGatewayProxyEventV2 {
  const rawPath = `/v1.0/${graph.projectId}/graphs/${graph.graphId}/backups`;
  const time = new Date();
  return {
    version: '2.0',
    routeKey: ROUTE,
    rawPath,
    rawQueryString: '',
    headers: { 'x-auth-token': token, 'content-type': 'application/json', host: 'bench.local' },
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'bench.local',
      domainPrefix: 'bench',
      http: {
        method: 'POST',
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: randomUUID(),
      routeKey: ROUTE,
      stage: '$default',
      time: time.toISOString(),
      timeEpoch: time.getTime(),
    },
    pathParameters: { projectId: graph.projectId, graphId: graph.graphId },
    isBase64Encoded: false,
  };
}

function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ges-backup-local-backups',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ges-backup-local-backups',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/ges-backup-local-backups',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
