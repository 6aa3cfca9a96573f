import { z } from 'zod';
import { jobIdSchema, uuidSchema } from '../core/ids.js';
import { GraphStatus } from '../records/graphs/model.js';
import type { JobName } from '../records/jobs/model.js';

/**
 * The bodies the API answers with, in v1 spelling; `snakeCased` derives the v2 twin of each, as
 * `wire.ts` derives the v2 body. The views (views.ts) and the functions are typed against these, so
 * they cannot drift; scripts/openapi.ts describes the answers with them (openapi.json), and the
 * end-to-end tests check every answer they see against that document. Strict: a key that is not
 * declared here is a mismatch.
 */

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The v2 twin of a v1 schema: every key of every object renamed to snake_case, as `toSnakeCase` renames
 * the body on the wire (the keys of records, whose keys are data, are left as they are).
 */
export function snakeCased<S extends z.ZodType>(schema: S): z.ZodType {
  const s = schema as unknown as z.ZodType;
  // One twin per schema: the v2 document refers to a nested twin by the same name everywhere.
  const known = twins.get(s);
  if (known) return known;
  const twin = twinOf(s);
  twins.set(s, twin);
  return twin;
}
const twins = new WeakMap<z.ZodType, z.ZodType>();

function twinOf(s: z.ZodType): z.ZodType {
  const description = s.description;
  const described = (t: z.ZodType) => (description ? t.describe(description) : t);
  if (s instanceof z.ZodObject) {
    const shape = Object.fromEntries(
      Object.entries(s.shape as Record<string, z.ZodType>).map(([k, v]) => [snake(k), snakeCased(v)]),
    );
    const strict = s._zod.def.catchall instanceof z.ZodNever;
    return described(strict ? z.strictObject(shape) : z.object(shape));
  }
  if (s instanceof z.ZodArray) return described(z.array(snakeCased(s.element as z.ZodType)));
  if (s instanceof z.ZodOptional) return described(snakeCased(s.unwrap() as z.ZodType).optional());
  if (s instanceof z.ZodUnion) {
    return described(z.union((s.options as z.ZodType[]).map((o) => snakeCased(o)) as [z.ZodType, z.ZodType]));
  }
  return s;
}

/** GES `*Time`: UTC `yyyy-MM-ddTHH:mm:ss`, no zone suffix. */
const utcTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/)
  .describe('UTC, yyyy-MM-ddTHH:mm:ss');
const count = z.number().int().min(0);
const epochMs = z.number().int().min(0).describe('epoch milliseconds');

export const graphStatusSchema = z
  .enum(Object.values(GraphStatus))
  .describe(
    'GES status code: 200 running, 900 stopped, 901 stopping, 920 starting, 903 backing up, 300 faulty',
  );

export const graphSchema = z.strictObject({
  id: uuidSchema,
  name: z.string(),
  status: graphStatusSchema,
  created: utcTime,
  updated: utcTime,
  vertexNum: count,
  edgeNum: count,
});
export const graphAnswerSchema = z.strictObject({ graph: graphSchema });
export const graphListSchema = z.strictObject({ graphCount: count, graphs: z.array(graphSchema) });
export const createGraphAnswerSchema = z.strictObject({
  id: uuidSchema,
  name: z.string(),
  jobId: jobIdSchema,
});

/** An answer that names the job it started. */
export const jobIdAnswerSchema = z.strictObject({ jobId: jobIdSchema });
/** An answer that names the job it started and the backup it writes. */
export const jobAndBackupAnswerSchema = z.strictObject({ jobId: jobIdSchema, backupId: uuidSchema });
/** Delete backup: an empty object once the files are gone. */
export const emptyAnswerSchema = z.strictObject({});

export const backupSchema = z.strictObject({
  id: uuidSchema,
  name: z.string(),
  backupMethod: z.enum(['manual', 'auto', 'import']),
  graphId: uuidSchema,
  graphName: z.string(),
  graphStatus: z.string().describe("the graph's status code when the backup was taken"),
  graphSizeTypeIndex: z.literal('0'),
  dataStoreVersion: z.string().describe('the backup format version'),
  arch: z.string().describe('x86_64 or aarch64: the machine that wrote it'),
  status: z.enum(['backing_up', 'success', 'failed']),
  startTimestamp: epochMs,
  startTime: utcTime,
  endTimestamp: epochMs.optional(),
  endTime: utcTime.optional(),
  duration: count.describe('seconds').optional(),
  size: count.describe('MB, rounded up (0 only for an empty graph)'),
  encrypted: z.boolean(),
});
export const backupListSchema = z.strictObject({ backupCount: count, backupList: z.array(backupSchema) });

const doneOf = z.strictObject({ done: count, expected: count.optional() });
export const jobDetailSchema = z
  .strictObject({
    vertices: doneOf,
    edges: doneOf,
    shards: z.strictObject({ done: count, expected: count }),
  })
  .describe('vertices, edges and shards done and expected');

/** The flat Job of the job center, v2's without errorCode/errorMessage (jobV2Schema). */
export const jobSchema = z.strictObject({
  jobId: jobIdSchema,
  status: z.enum(['pending', 'running', 'success', 'failed']),
  jobType: z.literal('GraphManagement'),
  jobName: z.enum([
    'CreateGraph',
    'BackupGraph',
    'StartGraph',
    'StopGraph',
    'DeleteGraph',
    'ExportBackup',
    'ImportBackup',
  ] as const satisfies readonly JobName[]),
  relatedGraph: z.string().describe("the graph's name"),
  beginTime: utcTime,
  endTime: utcTime.optional(),
  jobProgress: z.number().min(0).max(100).describe('percent'),
  progressDetail: jobDetailSchema.optional(),
  failReason: z.string().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
});
export const jobListSchema = z.strictObject({ jobCount: count, jobList: z.array(jobSchema) });
const jobV1Only = { errorCode: true, errorMessage: true } as const;
export const jobV2Schema = snakeCased(jobSchema.omit(jobV1Only));
export const jobListV2Schema = snakeCased(
  z.strictObject({ jobCount: count, jobList: z.array(jobSchema.omit(jobV1Only)) }),
);

export const quotasSchema = z.strictObject({
  quotas: z.strictObject({
    resources: z.array(z.strictObject({ type: z.enum(['graph', 'backup']), available: count })),
  }),
});

export const policySchema = z.strictObject({
  enabled: z.boolean(),
  schedule: z.string().describe('an EventBridge expression: rate(...) or a six-field UTC cron(...)'),
  keepAuto: count,
  nextRunTime: utcTime.optional(),
  lastRun: z
    .strictObject({
      time: utcTime,
      result: z.enum(['started', 'skipped', 'failed']),
      jobId: jobIdSchema.optional(),
      reason: z.string().optional(),
    })
    .optional(),
});

export const backupFilesSchema = z.strictObject({
  bucket: z.string(),
  files: z.array(
    z.strictObject({
      name: z.string(),
      size: count.describe('KB, rounded up'),
      downloadLink: z.string().describe('a presigned GET URL'),
      linkExpiredTime: utcTime,
    }),
  ),
});

/** The data plane (`/ges/v1.0`, always camelCase). */
export const batchAddAnswerSchema = z.strictObject({ result: z.literal('success') });
const labelCounts = z.record(z.string(), count);
export const summarySchema = z.strictObject({
  data: z.strictObject({
    vertexNum: count,
    edgeNum: count,
    labelDetails: z.strictObject({ labelInVertex: labelCounts, labelInEdge: labelCounts }),
  }),
});

/** The error bodies: v1's and v2's are spelled differently (`error_msg`, not `error_message`). */
/** An access key, never with its secret but in the answer that made it (Huawei Cloud IAM's `credential`). */
export const accessKeySchema = z.strictObject({
  access: z.string().regex(/^[A-Z0-9]{20}$/),
  status: z.enum(['active', 'disabled']),
  role: z.enum(['viewer', 'operator', 'admin']),
  description: z.string(),
  createTime: utcTime,
  disableTime: utcTime.optional(),
});
export const createdAccessKeySchema = z.strictObject({
  credential: accessKeySchema.extend({ secret: z.string().min(20) }),
});
export const accessKeyAnswerSchema = z.strictObject({ credential: accessKeySchema });
export const accessKeyListSchema = z.strictObject({ credentials: z.array(accessKeySchema) });

export const errorV1Schema = z.strictObject({ errorCode: z.string(), errorMessage: z.string() });
export const errorV2Schema = z.strictObject({ error_code: z.string(), error_msg: z.string() });
/** What API Gateway answers by itself for a route it does not know. */
export const gatewayNotFoundSchema = z.strictObject({ message: z.string() });

export type GraphView = z.input<typeof graphSchema>;
export type BackupView = z.input<typeof backupSchema>;
export type BackupListView = z.input<typeof backupListSchema>;
export type JobView = z.input<typeof jobSchema>;
export type PolicyView = z.input<typeof policySchema>;
export type QuotasView = z.input<typeof quotasSchema>;
export type JobIdAnswer = z.input<typeof jobIdAnswerSchema>;
export type JobAndBackupAnswer = z.input<typeof jobAndBackupAnswerSchema>;
export type BackupFilesView = z.input<typeof backupFilesSchema>;
export type GraphAnswer = z.input<typeof graphAnswerSchema>;
export type GraphListView = z.input<typeof graphListSchema>;
export type CreateGraphAnswer = z.input<typeof createGraphAnswerSchema>;
export type EmptyAnswer = z.input<typeof emptyAnswerSchema>;
export type JobListView = z.input<typeof jobListSchema>;
export type BatchAddAnswer = z.input<typeof batchAddAnswerSchema>;
export type SummaryView = z.input<typeof summarySchema>;
