import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalSealer } from '../../lib/adapters/local-sealer.js';
import { blobDeps } from '../../lib/composition/blobs.js';
import { queueDeps } from '../../lib/composition/queue.js';
import type { RecordedCall } from '../../lib/composition/recorder.js';
import { recordDeps } from '../../lib/composition/records.js';
import { jobTasks } from '../../lib/composition/tasks.js';
import { workerDeps } from '../../lib/composition/worker.js';
import { type Config, parseConfig } from '../../lib/core/config.js';
import {
  createAccessKey,
  deleteAccessKey,
  disableAccessKey,
  listAccessKeys,
} from '../../lib/operations/access-keys/access-keys.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { backupFiles } from '../../lib/operations/catalog/backup-files.js';
import { deleteBackup, listBackups, quotas } from '../../lib/operations/catalog/catalog.js';
import { getJob, listJobs } from '../../lib/operations/catalog/jobs.js';
import { deleteGraph } from '../../lib/operations/delete-graph/delete-graph.js';
import { exportBackup } from '../../lib/operations/export/export-backup.js';
import { addElements, summarize } from '../../lib/operations/graphs/data-plane.js';
import { collectGarbage } from '../../lib/operations/graphs/garbage.js';
import { createGraph, getGraph, listGraphs } from '../../lib/operations/graphs/graphs.js';
import { startGraph, stopGraph } from '../../lib/operations/graphs/lifecycle.js';
import { importBackup } from '../../lib/operations/import/import-backup.js';
import { requestBackup } from '../../lib/operations/policies/backup-requests.js';
import { getPolicy, putPolicy, runDuePolicies } from '../../lib/operations/policies/policies.js';
import { restoreGraph } from '../../lib/operations/restore/restore-graph.js';
import { sweepOverdueJobs } from '../../lib/runtime/sweep.js';
import { LOCAL_AWS } from '../../local/emulators.js';
import { type LocalEventBus, startEventBus } from '../../local/event-bus.js';
import { freePorts } from '../support/ports.js';
import { PROJECT, socialGraph } from './fixtures.js';
import { type IsolatedStack, isolatedStack, startWorker } from './support.js';

/**
 * Every function's AWS calls, recorded (lib/composition/recorder.ts) while the flows below run
 * through the same compositions the handlers in functions/ build, each under its serverless.yml
 * key. The calls are written, without this run's suffixes, ids and keys, to
 * test/fixtures/aws-calls.jsonl, which test/unit/cloudformation.test.ts holds against each
 * function's role in the packaged CloudFormation. Run this file again after a change to what a
 * function touches: `npx vitest run --project integration test/integration/aws-calls.test.ts`.
 */

const FIXTURE = new URL('../fixtures/aws-calls.jsonl', import.meta.url);
const log = join(tmpdir(), `ges-aws-calls-${process.pid}.jsonl`);
const transfer = `ges-backup-local-transfer-${Date.now()}`;

let stack: IsolatedStack;
let bus: LocalEventBus;
let env: Record<string, string>;
const config = (functionName: string, extra: Record<string, string> = {}): Config =>
  parseConfig({ ...env, AWS_LAMBDA_FUNCTION_NAME: functionName, AWS_CALL_LOG: log, ...extra });

const sealKey = join(tmpdir(), `ges-aws-calls-seal-${process.pid}`);

beforeAll(async () => {
  await rm(log, { force: true });
  await writeFile(sealKey, randomBytes(32), { mode: 0o600 });
  stack = await isolatedStack();
  const { eventsPort } = await freePorts(['eventsPort']);
  bus = await startEventBus({
    port: eventsPort,
    definition: inject('serviceDefinition'),
    importHandler: async () => async () => undefined,
    log: () => undefined,
  });
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.endpoint;
  env = { ...stack.resources.env, GRAPH_SHARDS: '4', SHARDS_PER_TASK: '2' };
  const s3 = new S3Client({ endpoint: inject('endpoints').s3, forcePathStyle: true, ...LOCAL_AWS });
  await s3.send(new CreateBucketCommand({ Bucket: transfer }));
});

afterAll(async () => {
  await bus?.stop();
  await rm(log, { force: true });
  await rm(sealKey, { force: true });
});

/** What each handler in functions/ builds, by its serverless.yml key. */
const deps = {
  graphs: () => ({ ...recordDeps(config('graphs')), ...queueDeps(config('graphs')) }),
  graphData: () => recordDeps(config('graphData')),
  backups: () => {
    const c = config('backups');
    return { ...recordDeps(c), ...queueDeps(c), ...blobDeps(c) };
  },
  jobs: () => recordDeps(config('jobs')),
  backupPolicies: () => recordDeps(config('backupPolicies')),
  runBackupPolicies: () => ({
    ...recordDeps(config('runBackupPolicies')),
    ...queueDeps(config('runBackupPolicies')),
  }),
  requestBackup: () => ({ ...recordDeps(config('requestBackup')), ...queueDeps(config('requestBackup')) }),
  jobWorker: () => workerDeps(config('jobWorker')),
  sweepJobs: (clock: { now: () => number }) => ({ ...workerDeps(config('sweepJobs')), clock }),
  // The local sealer (a key file): KMS has no emulator here, so its calls are not recorded.
  accessKeys: () => ({
    ...recordDeps(config('accessKeys')),
    sealer: new LocalSealer(sealKey),
  }),
};

/** The worker behind the real queue until `flow` is done and the queue is drained. */
async function withWorker(flow: () => Promise<void>) {
  const poller = startWorker(stack, deps.jobWorker());
  try {
    await flow();
    await poller.idle();
  } finally {
    await poller.stop();
  }
}

async function ended(jobId: string) {
  const d = deps.jobs();
  for (let i = 0; i < 300; i++) {
    const job = await d.jobs.get(PROJECT, jobId);
    if (job && (job.status === 'success' || job.status === 'failed')) return job.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${jobId} did not end`);
}

/** This run's names without their suffix, queue URLs as names; ids, keys and prefixes left out. */
function normalized(call: RecordedCall): RecordedCall {
  const suffix = env.CONTROL_TABLE?.split('-').pop() ?? '';
  const name = (value: unknown) =>
    typeof value === 'string'
      ? value
          .replace(/^https?:\/\/[^/]+\/(?:[^/]+\/)*/, '')
          .replace(`-${suffix}`, '')
          .replace(transfer, 'ges-backup-local-transfer-test')
      : value;
  const resources = Object.fromEntries(
    Object.entries(call.resources).flatMap(([key, value]): [string, unknown][] => {
      if (key === 'Key' || key === 'Prefix') return [[key, '<key>']];
      if (key === 'CopySource') return [[key, `${name(String(value).split('/')[0])}/<key>`]];
      if (key === 'RequestItems')
        return [[key, Object.fromEntries(Object.entries(value as object).map(([t, v]) => [name(t), v]))]];
      if (key === 'TransactItems') {
        const items = (value as Record<string, string>[]).flatMap((item) =>
          Object.entries(item).map(([action, table]) => `${action} ${name(table)}`),
        );
        return [[key, [...new Set(items)].sort()]];
      }
      if (Array.isArray(value)) return [[key, value.map(name)]];
      return [[key, name(value)]];
    }),
  );
  return { ...call, resources };
}

describe('the AWS calls each function makes', () => {
  it('records backup, restore, export, import, policies, requests, the sweeper and deletion', async () => {
    const keys = deps.accessKeys();
    const { key } = await createAccessKey(keys, {
      projectId: PROJECT,
      role: 'operator',
      description: 'recorded',
    });
    await listAccessKeys(keys, { projectId: PROJECT });
    await disableAccessKey(keys, { projectId: PROJECT, accessKeyId: key.accessKeyId });
    await deleteAccessKey(keys, { projectId: PROJECT, accessKeyId: key.accessKeyId });

    const graphs = deps.graphs();
    const backups = deps.backups();
    const { graph } = await createGraph(graphs, { projectId: PROJECT, name: 'recorded' });
    const ids = { projectId: PROJECT, graphId: graph.graphId };
    await listGraphs(graphs, { projectId: PROJECT, offset: 0, limit: 10 });
    await getGraph(graphs, ids);

    const data = deps.graphData();
    // 150 vertices: larger than one transaction, so the batch's intent, registration and release.
    const { vertices, edges } = socialGraph(150);
    await addElements(data, { projectId: PROJECT, graphName: 'recorded', elements: vertices });
    await addElements(data, { projectId: PROJECT, graphName: 'recorded', elements: edges });
    await summarize(data, { projectId: PROJECT, graphName: 'recorded' });

    let backupId = '';
    await withWorker(async () => {
      const backup = await startBackup(backups, { ...ids, requestId: 'r1', clientToken: 'token-1' });
      backupId = backup.backupId;
      expect(await ended(backup.jobId)).toBe('success');
      await listBackups(backups, { projectId: PROJECT, offset: 0, limit: 10 });
      await listBackups(backups, { ...ids, offset: 0, limit: 10 });
      await quotas(backups, PROJECT);
      await backupFiles(backups, { ...ids, backupId });

      const exported = await exportBackup(backups, {
        ...ids,
        backupId,
        exportPath: `${transfer}/${PROJECT}/copy`,
      });
      expect(await ended(exported.jobId)).toBe('success');
      const imported = await importBackup(backups, { ...ids, importPath: `${transfer}/${PROJECT}/copy` });
      expect(await ended(imported.jobId)).toBe('success');

      await stopGraph(graphs, ids);
      const restored = await restoreGraph(graphs, { ...ids, backupId, requestId: 'r2' });
      expect(await ended(restored.jobId)).toBe('success');
      await stopGraph(graphs, ids);
      await startGraph(graphs, ids);

      const jobs = deps.jobs();
      await getJob(jobs, { ...ids, jobId: restored.jobId });
      await listJobs(jobs, { projectId: PROJECT, offset: 0, limit: 10 });

      // A policy due now starts an automatic backup; keepAuto 1 retires the older one after the next.
      const policies = deps.backupPolicies();
      await putPolicy(policies, { ...ids, enabled: true, schedule: 'rate(1 hour)', keepAuto: 1 });
      await getPolicy(policies, ids);
      const later = { now: () => Date.now() + 2 * 3600_000 };
      for (const run of await runDuePolicies({ ...deps.runBackupPolicies(), clock: later })) {
        if ('jobId' in run && typeof run.jobId === 'string') await ended(run.jobId);
      }
      const requested = await requestBackup(deps.requestBackup(), {
        id: 'event-1',
        source: 'ges.backup.requests',
        detail: { projectId: PROJECT, graphId: graph.graphId },
      });
      if (requested && 'jobId' in requested && typeof requested.jobId === 'string')
        await ended(requested.jobId);

      await deleteBackup(backups, { ...ids, backupId: imported.backupId });
    });

    // A backup nobody runs, failed by the sweeper past its deadline.
    const abandoned = await startBackup(deps.backups(), { ...ids, requestId: 'r3' });
    const { failed } = await sweepOverdueJobs(
      deps.sweepJobs({ now: () => Date.now() + 86_400_000 }),
      jobTasks,
    );
    expect(failed).toContain(abandoned.jobId);

    // A graph deletion nobody runs, failed by the sweeper, and the collector dropping what it left.
    const { graph: doomed } = await createGraph(graphs, { projectId: PROJECT, name: 'abandoned' });
    await addElements(data, { projectId: PROJECT, graphName: 'abandoned', elements: vertices.slice(0, 5) });
    const abandonedDeletion = await deleteGraph(graphs, {
      projectId: PROJECT,
      graphId: doomed.graphId,
      keepBackup: false,
    });
    const sweeper = deps.sweepJobs({ now: () => Date.now() + 86_400_000 });
    expect((await sweepOverdueJobs(sweeper, jobTasks)).failed).toContain(abandonedDeletion.jobId);
    // A later sweep, past the failure's stall window, drops it all and forgets the mark.
    const laterSweeper = deps.sweepJobs({ now: () => Date.now() + 2 * 86_400_000 });
    expect((await collectGarbage(laterSweeper, () => false)).ranges).toBeGreaterThan(0);

    await withWorker(async () => {
      const deletion = await deleteGraph(graphs, { ...ids, keepBackup: false, requestId: 'r4' });
      expect(await ended(deletion.jobId)).toBe('success');
    });

    const calls = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => normalized(JSON.parse(line) as RecordedCall));
    const lines = [...new Set(calls.map((call) => JSON.stringify(call)))].sort();
    await writeFile(FIXTURE, `${lines.join('\n')}\n`);

    // Every function with a role of its own was heard from, under its own name.
    const heard = new Set(calls.map((call) => call.function));
    expect([...heard].sort()).toEqual(Object.keys(deps).sort());
    expect(calls.map((c) => c.service)).toEqual(
      expect.arrayContaining(['DynamoDB', 'SQS', 'S3', 'EventBridge']),
    );
  });
});
