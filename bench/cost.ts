import type { Usage } from '../lib/composition/meter.js';
import type { JobUsage, SizeResult } from './data.js';

/**
 * What a backup and a restore cost on AWS, from what the benchmark metered (bench/data.ts: DynamoDB
 * capacity units as DynamoDB Local reports them, requests by command, the worker's billed
 * milliseconds at its configured memory), at on-demand list prices; and the same for a graph of any
 * size, projected from a measured one. Every figure here is derived from a measured one; the prices
 * are the only constants.
 */

/**
 * On-demand list prices, us-east-1, as the AWS pricing pages showed them as known on 2026-12-01 (USD).
 * DynamoDB: the prices since AWS halved on-demand throughput prices on 2024-11-01 ($1.25 and $0.25
 * per million before); they are the ones in force on the date. Lambda: x86 (serverless.yml sets no
 * architecture). Free tiers are left out.
 */
export const PRICES = {
  region: 'us-east-1',
  date: '2026-12-01',
  source:
    'AWS pricing pages as known on the date (DynamoDB, Lambda, S3, SQS, EventBridge, API Gateway, AWS Backup)',
  dynamodb: { perMillionWrite: 0.625, perMillionRead: 0.125, beforeNov2024: { write: 1.25, read: 0.25 } },
  lambda: { perGbSecond: 0.0000166667, perMillionRequests: 0.2 },
  s3: { perGbMonth: 0.023, perThousandPut: 0.005, perThousandGet: 0.0004 },
  sqs: { perMillionRequests: 0.4 },
  eventBridge: { perMillionEvents: 1.0 },
  httpApi: { perMillionRequests: 1.0 },
  /** DynamoDB's export to S3 (full export), per GB of table data; the files then cost S3 storage */
  dynamodbExport: { perGb: 0.1 },
  /** DynamoDB's import from S3 (what restores an export), per GB of uncompressed source data */
  dynamodbImport: { perGb: 0.15 },
  /** AWS Backup for DynamoDB: warm storage per GB-month of table data, restore per GB */
  awsBackup: { perGbMonth: 0.1, restorePerGb: 0.15 },
} as const;

/** AWS bills storage and data in GB of 2^30 bytes. */
export const GB = 2 ** 30;

/** S3 request classes as S3 bills them; DeleteObject(s) and AbortMultipartUpload cost nothing. */
const S3_PUT_CLASS =
  /^S3\.(PutObject|CopyObject|CreateMultipartUpload|UploadPart|UploadPartCopy|CompleteMultipartUpload|ListObjectsV2|ListObjects|ListParts)$/;
const S3_GET_CLASS = /^S3\.(GetObject|HeadObject|HeadBucket)$/;

export type Cost = {
  /** dollars by meter */
  dynamodbRead: number;
  dynamodbWrite: number;
  lambdaDuration: number;
  lambdaRequests: number;
  s3Requests: number;
  sqs: number;
  eventBridge: number;
  httpApi: number;
  total: number;
};

/** The meters' counts of one job: what the price is applied to. */
export type Meters = {
  readUnits: number;
  writeUnits: number;
  gbSeconds: number;
  lambdaRequests: number;
  s3Put: number;
  s3Get: number;
  sqsRequests: number;
  events: number;
  apiRequests: number;
};

const count = (u: Usage, test: RegExp) =>
  Object.entries(u.requests).reduce((n, [k, v]) => (test.test(k) ? n + v : n), 0);

/** One job's meters: the API call that submitted it, the worker's invocations and the event source. */
export function metersOf(u: JobUsage): Meters {
  const both = [u.worker, u.submit];
  const sum = (f: (x: Usage) => number) => both.reduce((n, x) => n + f(x), 0);
  return {
    readUnits: sum((x) => x.dynamodb.readUnits),
    writeUnits: sum((x) => x.dynamodb.writeUnits),
    gbSeconds:
      (u.worker.billedMs / 1000) * (u.worker.memoryMB / 1024) +
      (Math.ceil(u.submit.ms) / 1000) * (u.submit.memoryMB / 1024),
    lambdaRequests: u.worker.invocations + 1,
    s3Put: sum((x) => count(x, S3_PUT_CLASS)),
    s3Get: sum((x) => count(x, S3_GET_CLASS)),
    // What the service sends and deletes itself, plus the event source's receives and deletes.
    sqsRequests: sum((x) => count(x, /^SQS\./)) + u.eventSource.receives + u.eventSource.deletes,
    events: sum((x) => count(x, /^EventBridge\.PutEvents$/)),
    apiRequests: 1,
  };
}

export function priceOf(
  m: Meters,
  prices: { perMillionRead: number; perMillionWrite: number } = PRICES.dynamodb,
): Cost {
  const c = {
    dynamodbRead: (m.readUnits / 1e6) * prices.perMillionRead,
    dynamodbWrite: (m.writeUnits / 1e6) * prices.perMillionWrite,
    lambdaDuration: m.gbSeconds * PRICES.lambda.perGbSecond,
    lambdaRequests: (m.lambdaRequests / 1e6) * PRICES.lambda.perMillionRequests,
    s3Requests: (m.s3Put / 1000) * PRICES.s3.perThousandPut + (m.s3Get / 1000) * PRICES.s3.perThousandGet,
    sqs: (m.sqsRequests / 1e6) * PRICES.sqs.perMillionRequests,
    eventBridge: (m.events / 1e6) * PRICES.eventBridge.perMillionEvents,
    httpApi: (m.apiRequests / 1e6) * PRICES.httpApi.perMillionRequests,
  };
  return { ...c, total: Object.values(c).reduce((a, b) => a + b, 0) };
}

/** Per GB of graph data (the items as DynamoDB sizes them), ours beside AWS's own two ways. */
export type CostPerGb = {
  size: number;
  dataGb: number;
  /** backup bytes in S3 over data bytes (the parts are gzip) */
  stored: number;
  backup: { meters: Meters; cost: Cost; perGb: number; perGbBeforeNov2024: number };
  restore: { meters: Meters; cost: Cost; perGb: number; perGbBeforeNov2024: number };
  storagePerGbMonth: number;
  /** one backup kept a month, then restored once */
  monthAndRestore: { ours: number; export: number; awsBackup: number };
  /** one backup kept a month, not restored */
  month: { ours: number; export: number; awsBackup: number };
};

export function costPerGb(s: SizeResult): CostPerGb {
  const dataGb = s.dataBytes / GB;
  const stored = s.snapshot.backupBytes / s.dataBytes;
  const job = (u: JobUsage) => {
    const meters = metersOf(u);
    const cost = priceOf(meters);
    const before = priceOf(meters, {
      perMillionRead: PRICES.dynamodb.beforeNov2024.read,
      perMillionWrite: PRICES.dynamodb.beforeNov2024.write,
    });
    return { meters, cost, perGb: cost.total / dataGb, perGbBeforeNov2024: before.total / dataGb };
  };
  const backup = job(s.snapshot.usage);
  const restore = job(s.restore.usage);
  const storagePerGbMonth = stored * PRICES.s3.perGbMonth;
  // The export's files are gzip too; they are counted here at our own backup's size (its own is not
  // measured), which favours the export if anything.
  const exportMonth = PRICES.dynamodbExport.perGb + storagePerGbMonth;
  return {
    size: s.size,
    dataGb,
    stored,
    backup,
    restore,
    storagePerGbMonth,
    month: {
      ours: backup.perGb + storagePerGbMonth,
      export: exportMonth,
      awsBackup: PRICES.awsBackup.perGbMonth,
    },
    monthAndRestore: {
      ours: backup.perGb + storagePerGbMonth + restore.perGb,
      export: exportMonth + PRICES.dynamodbImport.perGb,
      awsBackup: PRICES.awsBackup.perGbMonth + PRICES.awsBackup.restorePerGb,
    },
  };
}

/** DynamoDB's limits per partition: a shard is one partition key (lib/records/graphs/data-keys.ts). */
export const PARTITION = { readUnitsPerSecond: 3000, writeUnitsPerSecond: 1000 };

export type Deployed = {
  shards: number;
  shardsPerTask: number;
  workerMemoryMB: number;
  workerTimeoutSeconds: number;
  /** a backup task goes on in a new message past this (TASK_BUDGET_SECONDS) */
  taskBudgetSeconds: number;
  /** A job that makes no progress for this long is failed (JOB_STALL_SECONDS); a moving one has no limit. */
  jobStallSeconds: number;
  /** The wall time the projection asks of a job, for the shard count it needs: an hour. */
  targetWallSeconds: number;
};

export type Projection = {
  elements: number;
  /** the measured sizes it is fitted on */
  from: number;
  fromSmall: number | undefined;
  deployed: Deployed;
  backup: ProjectedJob;
  restore: ProjectedJob;
  /** the fewest shards whose partitions allow the job's units within the target wall time */
  shardsForTarget: { backup: number; restore: number };
};

export type ProjectedJob = {
  meters: Meters;
  cost: Cost;
  /** worker invocations: those measured, fitted; a job with steps, at least one per task budget of busy time */
  invocations: number;
  /** the measured job's wall time scaled by elements (its parallelism as deployed) */
  wallSeconds: number;
  /** the least wall time the shards' partitions allow: units / (shards × per-partition limit) */
  partitionFloorSeconds: number;
  /** Lambdas at once: the backup's tasks (shards / shards per task), the restore's one task */
  concurrency: number;
  /** whether max(wall, floor) fits the target wall time */
  fitsTarget: boolean;
};

/**
 * A graph of `elements`, from two measured sizes of one run: each meter, the Lambda time and the wall
 * time fitted as a fixed part plus a part per element (the line through the two sizes), then taken at
 * `elements`. With one size only, everything is taken as proportional to the elements.
 */
export function project(
  big: SizeResult,
  small: SizeResult | undefined,
  elements: number,
  deployed: Deployed,
): Projection {
  const at = (f: (s: SizeResult) => number) => {
    const yBig = f(big);
    if (!small || small.size === big.size) return (yBig * elements) / big.size;
    const perElement = (yBig - f(small)) / (big.size - small.size);
    const fixed = yBig - perElement * big.size;
    // A noisy pair can make the per-element part negative; the proportional figure (an upper bound of
    // it) is then the honest one. A part that does not grow with the elements stays as it is.
    return perElement >= 0 ? fixed + perElement * elements : (yBig * elements) / big.size;
  };
  const meter = (job: (s: SizeResult) => JobUsage, k: keyof Meters) => at((s) => metersOf(job(s))[k]);
  const job = (
    usage: (s: SizeResult) => JobUsage,
    wallMs: (s: SizeResult) => number,
    concurrency: number,
    read: boolean,
    /** whether the job goes on in new messages past its task budget (backups and restores do) */
    steps: boolean,
  ): ProjectedJob => {
    const keys = Object.keys(metersOf(usage(big))) as (keyof Meters)[];
    const meters = Object.fromEntries(keys.map((k) => [k, meter(usage, k)])) as Meters;
    const busySeconds = at((s) => usage(s).worker.billedMs / 1000);
    const fitted = at((s) => usage(s).worker.invocations);
    const invocations = steps ? Math.max(fitted, busySeconds / deployed.taskBudgetSeconds) : fitted;
    const withInvocations = {
      ...meters,
      events: metersOf(usage(big)).events,
      apiRequests: 1,
      lambdaRequests: invocations + 1,
    };
    const units = read ? meters.readUnits : meters.writeUnits;
    const perPartition = read ? PARTITION.readUnitsPerSecond : PARTITION.writeUnitsPerSecond;
    const partitionFloorSeconds = units / (deployed.shards * perPartition);
    const wallSeconds = at((s) => wallMs(s) / 1000);
    return {
      meters: withInvocations,
      cost: priceOf(withInvocations),
      invocations,
      wallSeconds,
      partitionFloorSeconds,
      concurrency,
      fitsTarget: Math.max(wallSeconds, partitionFloorSeconds) <= deployed.targetWallSeconds,
    };
  };
  const backup = job(
    (s) => s.snapshot.usage,
    (s) => s.snapshot.ms,
    Math.ceil(deployed.shards / deployed.shardsPerTask),
    true,
    true,
  );
  // A restore fans out as a backup does (lib/operations/stages): a task per group, in new messages.
  const restore = job(
    (s) => s.restore.usage,
    (s) => s.restore.visibleMs,
    Math.ceil(deployed.shards / deployed.shardsPerTask),
    false,
    true,
  );
  const shardsFor = (perPartition: number, units: number) =>
    Math.max(1, Math.ceil(units / (perPartition * deployed.targetWallSeconds)));
  return {
    elements,
    from: big.size,
    fromSmall: small?.size,
    deployed,
    backup,
    restore,
    shardsForTarget: {
      backup: shardsFor(PARTITION.readUnitsPerSecond, backup.meters.readUnits),
      restore: shardsFor(PARTITION.writeUnitsPerSecond, restore.meters.writeUnits),
    },
  };
}
