import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { osls, scratchService } from './osls.js';

/**
 * The timings of job delivery as the AWS stage deploys them, read from its packaged CloudFormation:
 * what the relations test holds together (test/unit/cloudformation.test.ts) and what the recovery
 * tests run on, scaled down (test/integration/recovery-as-deployed.test.ts). Seconds throughout.
 */
export type DeliverySettings = {
  workerTimeout: number;
  taskBudget: number;
  jobLease: number;
  heartbeat: number;
  retryDelay: number;
  jobStall: number;
  maxReceiveCount: number;
  queueVisibility: number;
  batchSize: number;
  /** How often the sweeper runs. */
  sweepEvery: number;
  /** The longest an API function may run (a data-plane batch's writer). */
  apiTimeout: number;
  /** the sweeper's timeout, s: its pass over overdue jobs, then the garbage collector */
  sweeperTimeout: number;
  batchLease: number;
};

type Resource = { Type: string; Properties: Record<string, unknown> };
export type PackagedTemplate = { Resources: Record<string, Resource> };

/** `osls package --stage aws`, on a copy of the service: the template it writes. */
export async function packageAwsStage(): Promise<PackagedTemplate> {
  const { service, dir, env, remove } = await scratchService('ges-aws-stage-');
  try {
    const output = join(dir, 'package');
    const run = await osls(service, ['package', '--stage', 'aws', '--package', output], env);
    if (run.code !== 0) throw new Error(`osls package failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
    return JSON.parse(await readFile(join(output, 'cloudformation-template-update-stack.json'), 'utf8'));
  } finally {
    await remove();
  }
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours)\)$/;

export function deliverySettings(template: PackagedTemplate): DeliverySettings {
  const resources = Object.values(template.Resources);
  const lambda = (name: string) => {
    const found = resources.find(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.FunctionName).endsWith(`-${name}`),
    );
    if (!found) throw new Error(`no function ${name} in the template`);
    return found.Properties as { Timeout: number; Environment: { Variables: Record<string, string> } };
  };
  const worker = lambda('jobWorker');
  const env = (name: string, fallback?: number) => {
    const value = worker.Environment.Variables[name];
    if (value === undefined && fallback === undefined) throw new Error(`the worker has no ${name}`);
    return Number(value ?? fallback);
  };
  const queue = template.Resources.JobQueue?.Properties as {
    VisibilityTimeout: number;
    RedrivePolicy: { maxReceiveCount: number };
  };
  const mapping = resources.find((r) => r.Type === 'AWS::Lambda::EventSourceMapping')?.Properties as {
    BatchSize: number;
  };
  const sweepRule = resources.find(
    (r) =>
      r.Type === 'AWS::Events::Rule' &&
      JSON.stringify(r.Properties.Targets ?? '').includes('SweepJobsLambdaFunction'),
  )?.Properties as { ScheduleExpression: string } | undefined;
  const [, every = '', unit = ''] = RATE.exec(sweepRule?.ScheduleExpression ?? '') ?? [];
  if (!every) throw new Error(`the sweeper's schedule is not a rate: ${sweepRule?.ScheduleExpression}`);
  return {
    workerTimeout: worker.Timeout,
    taskBudget: env('TASK_BUDGET_SECONDS'),
    jobLease: env('JOB_LEASE_SECONDS'),
    heartbeat: env('HEARTBEAT_SECONDS'),
    retryDelay: env('RETRY_DELAY_SECONDS'),
    jobStall: env('JOB_STALL_SECONDS'),
    maxReceiveCount: Number(queue.RedrivePolicy.maxReceiveCount),
    queueVisibility: Number(queue.VisibilityTimeout),
    batchSize: Number(mapping.BatchSize),
    sweepEvery: Number(every) * (unit.startsWith('hour') ? 3600 : 60),
    apiTimeout: lambda('graphData').Timeout,
    sweeperTimeout: lambda('sweepJobs').Timeout,
    // The service's default, unless the stage sets it (config.ts).
    batchLease: env('BATCH_LEASE_SECONDS', 30),
  };
}

/**
 * The same settings `factor` times shorter, as the worker's environment and the poller's timeout:
 * the ratios of the AWS stage, in seconds instead of minutes.
 */
export function scaledDown(settings: DeliverySettings, factor: number) {
  const s = (seconds: number) => String(seconds / factor);
  return {
    env: {
      TASK_BUDGET_SECONDS: s(settings.taskBudget),
      JOB_LEASE_SECONDS: s(settings.jobLease),
      HEARTBEAT_SECONDS: s(settings.heartbeat),
      RETRY_DELAY_SECONDS: s(settings.retryDelay),
      JOB_STALL_SECONDS: s(settings.jobStall),
      MAX_RECEIVE_COUNT: String(settings.maxReceiveCount),
    },
    workerTimeoutSeconds: settings.workerTimeout / factor,
    queueVisibilitySeconds: Math.ceil(settings.queueVisibility / factor),
    batchSize: settings.batchSize,
  };
}
