import { z } from 'zod';
import { badParameter } from '../core/errors.js';
import { graphNameSchema, jobIdSchema, projectIdSchema, uuidSchema } from '../core/ids.js';
import { ROLES } from '../core/roles.js';
import { accessKeyIdSchema } from '../records/access-keys/model.js';

/**
 * The request schemas of every route (path, query, body), the ones the handlers validate with and
 * scripts/openapi.ts describes the API from (openapi.json).
 */

/** The path parameters of every route, validated the same way everywhere. */
export const projectPath = z.object({ projectId: projectIdSchema });
export const graphPath = projectPath.extend({ graphId: uuidSchema });
export const jobPath = graphPath.extend({ jobId: jobIdSchema });
export const graphNamePath = projectPath.extend({ graphName: graphNameSchema });

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    // The fallback is the query string's, parsed like a given value (and so described as a string).
    .prefault(String(fallback));

export const pageQuery = z.object({ offset: integer(0, 1_000_000_000, 0), limit: integer(1, 100, 10) });

export const backupPath = graphPath.extend({ backupId: uuidSchema });

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');
/** DELETE graph: `keepBackup` (v1) or `keep_backup` (v2), default false. */
export const deleteGraphQuery = z
  .object({ keepBackup: flag.optional(), keep_backup: flag.optional() })
  .transform((q) => ({ keepBackup: q.keepBackup ?? q.keep_backup ?? false }));

/**
 * `yyyy-MM-dd`, a UTC day from 1970-01-01 on; the start or the end of it in epoch ms. A day that does
 * not exist (`2024-02-30`, which Date.parse rolls over into March) is refused, and so is a day before
 * the epoch, which the job index's time keys cannot express.
 */
const day = (edge: 'start' | 'end') =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .refine((s) => {
      const ms = Date.parse(`${s}T00:00:00Z`);
      return Number.isFinite(ms) && ms >= 0 && new Date(ms).toISOString().startsWith(s);
    }, 'not a date')
    .transform((s) => Date.parse(`${s}T00:00:00Z`) + (edge === 'end' ? 86_400_000 - 1 : 0));

/** The job list's filters; v1 spells the dates startTime/endTime, v2 start_time/end_time. */
export const jobListQuery = pageQuery
  .extend({
    status: z.enum(['running', 'waiting', 'success', 'failed']).optional(),
    graph_name: z.string().min(1).max(64).optional(),
    startTime: day('start').optional(),
    endTime: day('end').optional(),
    start_time: day('start').optional(),
    end_time: day('end').optional(),
  })
  .transform((q) => ({
    offset: q.offset,
    limit: q.limit,
    ...(q.status && { status: q.status === 'waiting' ? ('pending' as const) : q.status }),
    ...(q.graph_name && { graphName: q.graph_name }),
    from: q.startTime ?? q.start_time,
    to: q.endTime ?? q.end_time,
  }))
  .refine(
    (q) => q.from === undefined || q.to === undefined || q.from <= q.to,
    'the start time is after the end time',
  );

/**
 * Create graph: GES's body names the infrastructure of a graph engine too. A backup service keeps the
 * name, ignores the sizing and networking fields (`graph_size_type_index`, `arch`, `vpc_id`,
 * `subnet_id`, `security_group_id`, `public_ip`, `tags`, `sys_tags`, `crypt_algorithm`,
 * `enable_https`, `product_type`, `lts_operation_trace`, ...), and refuses with GES.0001 the features
 * it would silently not provide: customer-key encryption and the engine's own options.
 */
const UNSUPPORTED_FLAGS = [
  'enable_rbac',
  'enable_full_text_index',
  'enable_hyg',
  'enable_multi_label',
] as const;
export const createGraphBody = z.object({
  graph: z
    .object({
      name: graphNameSchema,
      encryption: z.object({ enable: z.boolean().optional() }).loose().optional(),
      ...Object.fromEntries(UNSUPPORTED_FLAGS.map((flag) => [flag, z.boolean().optional()])),
    })
    .loose(),
});
/** The body, unless it asks for what this service does not do: then GES.0001, naming the fields. */
export function supportedGraph(body: z.infer<typeof createGraphBody>): { name: string } {
  const graph = body.graph as Record<string, unknown> & { name: string; encryption?: { enable?: boolean } };
  const unsupported = [
    ...(graph.encryption?.enable ? ['encryption.enable'] : []),
    ...UNSUPPORTED_FLAGS.filter((flag) => graph[flag] === true),
  ];
  if (unsupported.length) {
    throw badParameter(`${unsupported.join(', ')}: not supported by this service (leave false or out).`);
  }
  return { name: graph.name };
}

/** `action_id` of the v1 graph action route. */
export const graphActionQuery = z.object({ action_id: z.string() });
/** The body of start: the backup to start from, snake_case even in v1. */
export const startBody = z.object({ graph_backup_id: uuidSchema.optional() });

/** The body of a backup policy: v1 spells it keepAuto, v2 keep_auto. */
export const policyBody = z
  .object({
    enabled: z.boolean(),
    schedule: z.string().min(1).max(256),
    keepAuto: z.number().int().min(1).max(100).optional(),
    keep_auto: z.number().int().min(1).max(100).optional(),
  })
  .transform(({ keep_auto, keepAuto, ...rest }) => ({ ...rest, keepAuto: keepAuto ?? keep_auto ?? 7 }));

/** v2 export, import and backup-files. */
export const exportBody = z.object({ backup_id: uuidSchema, export_path: z.string().min(3).max(1024) });
export const importBody = z.object({ import_path: z.string().min(3).max(1024) });
export const backupFilesQuery = z.object({ backup_id: uuidSchema });

/** The data plane's `action_id`: batch-add only (anything else is GES.7048). */
export const batchAddQuery = z.object({ action_id: z.literal('batch-add') });

/** An access key of the project, by its id (the AK). */
export const accessKeyPath = projectPath.extend({ accessKeyId: accessKeyIdSchema });
/** The body that creates an access key: its role, and what it is for. */
export const createAccessKeyBody = z.object({
  role: z.enum(ROLES),
  description: z.string().max(255).optional(),
});
