import { z } from 'zod';

/**
 * The service's configuration, parsed once from the environment at cold start. A missing resource
 * name fails here, at init, never in the middle of a request: there are no defaults for names.
 */
const schema = z.object({
  CONTROL_TABLE: z.string().min(3),
  GRAPH_TABLE: z.string().min(3),
  BACKUP_BUCKET: z.string().min(3),
  JOB_QUEUE_URL: z.url(),
  /** The custom EventBridge bus: backup requests come in on it, job outcomes go out on it. */
  EVENT_BUS_NAME: z.string().min(1),
  /** Must equal the queue's redrive maxReceiveCount: the worker fails a job on its last delivery. */
  MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).default(5),
  /** Shards of a new graph: each is one unit of parallel work for snapshot and restore. */
  GRAPH_SHARDS: z.coerce.number().int().min(1).max(256).default(8),
  /**
   * A job that has made no progress for this long is failed by the sweeper and what it held is
   * released. Every progress write pushes the deadline on, so a long job that keeps moving lives on.
   */
  JOB_STALL_SECONDS: z.coerce.number().positive().default(1200),
  /**
   * How long a delivery owns its job, and keeps its message invisible, past its last heartbeat: a
   * delivery that dies is taken over this long after its last beat.
   */
  JOB_LEASE_SECONDS: z.coerce.number().positive().default(60),
  /** A working delivery renews its lease and its message's invisibility this often. */
  HEARTBEAT_SECONDS: z.coerce.number().positive().default(20),
  /** After a retryable fault the message comes back after `attempt ×` this, not the queue's timeout. */
  RETRY_DELAY_SECONDS: z.coerce.number().positive().default(10),
  /** A backup fans out one task (one SQS message) per group of this many shards. */
  SHARDS_PER_TASK: z.coerce.number().int().min(1).max(256).default(2),
  /**
   * A task that has run this long starts no new segment: it checkpoints and goes on in a new message
   * (Lambda stops at 15 minutes; a segment must fit in what is left).
   */
  TASK_BUDGET_SECONDS: z.coerce.number().min(0).default(600),
  /** Items in one part file at most: a shard larger than this spans several segments. */
  SEGMENT_ITEMS: z.coerce.number().int().min(1).default(250_000),
  /**
   * Items per page when a job reads or drops a shard. On DynamoDB a page of 5,000 small items costs
   * what the same items cost in 1 MB pages (read units count bytes, not requests); DynamoDB Local
   * reads a page given no Limit in time that grows with what is left of the partition, so pages
   * bounded by count keep a shard's read linear there too (research in BENCHMARKS.md).
   */
  QUERY_PAGE_SIZE: z.coerce.number().int().min(1).default(5000),
  /** Pages one slice of a drop deletes (the next page queried while one is deleted). */
  DROP_PAGES: z.coerce.number().int().min(1).default(4),
  /** Shards snapshotted at once inside one worker invocation. */
  SNAPSHOT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /**
   * How long a data-plane batch larger than one transaction may take before a job that holds the
   * graph settles it from its intent: longer than the API function's timeout (29 s on AWS).
   */
  BATCH_LEASE_SECONDS: z.coerce.number().int().min(1).default(30),
  /** Ended jobs expire (DynamoDB TTL) this long after they end. */
  JOB_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  /** The buckets that v2 export and import may use (`*` matches any run of name characters). */
  TRANSFER_BUCKETS: z.string().min(3),
  /**
   * Who may ask for backups by event, and for which projects: `source=project|project;source=*`.
   * An event from another source, or for a project its source may not name, is refused.
   */
  BACKUP_REQUEST_SOURCES: z
    .string()
    .default('ges.backup.requests=*')
    .transform((text, ctx) => {
      const sources = new Map<string, '*' | Set<string>>();
      for (const entry of text.split(';').filter(Boolean)) {
        const [source = '', projects = ''] = entry.split('=');
        if (!/^[A-Za-z0-9._-]{1,256}$/.test(source) || source.startsWith('aws.') || !projects) {
          ctx.addIssue({ code: 'custom', message: `not a source=projects entry: ${entry}` });
          return z.NEVER;
        }
        sources.set(source, projects === '*' ? '*' : new Set(projects.split('|')));
      }
      return sources;
    }),
  /** Backups a project may hold (GES.7019 beyond). */
  BACKUP_QUOTA: z.coerce.number().int().min(1).default(20),
  /** Graphs a project may hold. */
  GRAPH_QUOTA: z.coerce.number().int().min(1).default(50),
  /** Emulators and LocalStack serve buckets by path, not by virtual host. */
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Lambda sets it (`ges-backup-aws-graphs`); the tests name the serverless.yml function key. */
  AWS_LAMBDA_FUNCTION_NAME: z.string().default(''),
  /**
   * Tests only: a file to which every AWS call is appended as a JSON line (function, command,
   * resources), for test/unit/iam.test.ts to hold against the function's role. Unset, nothing is added.
   */
  AWS_CALL_LOG: z.string().optional(),
  /**
   * Benchmark only: `true` meters what the function's AWS calls consume (DynamoDB capacity units,
   * requests by command) in lib/composition/meter.ts. Unset, nothing is added to the clients.
   */
  AWS_USAGE_METER: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});

export type Config = {
  controlTable: string;
  graphTable: string;
  backupBucket: string;
  jobQueueUrl: string;
  eventBusName: string;
  maxReceiveCount: number;
  graphShards: number;
  jobStallMs: number;
  jobLeaseMs: number;
  heartbeatMs: number;
  retryDelayMs: number;
  snapshotConcurrency: number;
  shardsPerTask: number;
  taskBudgetMs: number;
  segmentItems: number;
  queryPageSize: number;
  dropPages: number;
  jobRetentionDays: number;
  batchLeaseSeconds: number;
  transferBuckets: string;
  backupQuota: number;
  backupRequestSources: Map<string, '*' | Set<string>>;
  graphQuota: number;
  s3ForcePathStyle: boolean;
  functionName: string;
  callLog: string | undefined;
  usageMeter?: boolean;
};

export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    controlTable: e.CONTROL_TABLE,
    graphTable: e.GRAPH_TABLE,
    backupBucket: e.BACKUP_BUCKET,
    jobQueueUrl: e.JOB_QUEUE_URL,
    eventBusName: e.EVENT_BUS_NAME,
    maxReceiveCount: e.MAX_RECEIVE_COUNT,
    graphShards: e.GRAPH_SHARDS,
    jobStallMs: e.JOB_STALL_SECONDS * 1000,
    jobLeaseMs: e.JOB_LEASE_SECONDS * 1000,
    heartbeatMs: e.HEARTBEAT_SECONDS * 1000,
    retryDelayMs: e.RETRY_DELAY_SECONDS * 1000,
    snapshotConcurrency: e.SNAPSHOT_CONCURRENCY,
    shardsPerTask: e.SHARDS_PER_TASK,
    taskBudgetMs: e.TASK_BUDGET_SECONDS * 1000,
    segmentItems: e.SEGMENT_ITEMS,
    queryPageSize: e.QUERY_PAGE_SIZE,
    dropPages: e.DROP_PAGES,
    jobRetentionDays: e.JOB_RETENTION_DAYS,
    batchLeaseSeconds: e.BATCH_LEASE_SECONDS,
    transferBuckets: e.TRANSFER_BUCKETS,
    backupQuota: e.BACKUP_QUOTA,
    backupRequestSources: e.BACKUP_REQUEST_SOURCES,
    graphQuota: e.GRAPH_QUOTA,
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE,
    functionName: e.AWS_LAMBDA_FUNCTION_NAME,
    callLog: e.AWS_CALL_LOG,
    usageMeter: e.AWS_USAGE_METER,
  };
}

/**
 * Which sealer keeps the access keys' secrets (`ACCESS_KEY_SEALER`): `kms` with `KMS_KEY_ID` (the
 * key's id or ARN) on AWS, `local` with `LOCAL_SEAL_KEY_FILE` (32 random bytes, made by the local
 * stack under .local/) on the local stage. Parsed at cold start by the functions that verify or issue
 * access keys; a missing key fails there.
 */
export type SealerConfig = { kind: 'kms'; keyId: string } | { kind: 'local'; keyFile: string };

const nonEmpty = z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1));
const sealerSchema = z.discriminatedUnion('ACCESS_KEY_SEALER', [
  z.object({ ACCESS_KEY_SEALER: z.literal('kms'), KMS_KEY_ID: nonEmpty }),
  z.object({ ACCESS_KEY_SEALER: z.literal('local'), LOCAL_SEAL_KEY_FILE: nonEmpty }),
]);

export function parseSealerConfig(env: NodeJS.ProcessEnv = process.env): SealerConfig {
  const parsed = sealerSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid access key sealer configuration: ${problems}`);
  }
  return parsed.data.ACCESS_KEY_SEALER === 'kms'
    ? { kind: 'kms', keyId: parsed.data.KMS_KEY_ID }
    : { kind: 'local', keyFile: parsed.data.LOCAL_SEAL_KEY_FILE };
}
