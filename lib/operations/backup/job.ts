import { z } from 'zod';
import { partFields } from '../../records/backups/format.js';
import type { Job } from '../../records/jobs/model.js';

/** A part file as a backup job records it: `last` when it ends its shard. */
export const recordedPartSchema = partFields.extend({ last: z.boolean() });
export type RecordedPart = z.infer<typeof recordedPartSchema>;

export const backupFields = z.object({
  backupId: z.string(),
  /** the tasks the run fanned out into, those done, and the part files written so far */
  tasks: z.number().int().optional(),
  tasksDone: z.set(z.string()).optional(),
  parts: z.record(z.string(), recordedPartSchema).optional(),
});

/** A BackupGraph job: it writes one backup. */
export type BackupJob = Job<'backup', z.infer<typeof backupFields>>;

/** One task of a backup: a group of shards, and where to go on from after a checkpoint. */
export const backupStepSchema = z.object({
  runId: z.string(),
  task: z.number().int().min(0),
  shards: z.array(z.number().int().min(0)).min(1),
  /** the segment size of the run (absent in steps sent before it was carried: the deployment's) */
  segmentItems: z.number().int().min(1).optional(),
  from: z
    .object({
      shard: z.number().int(),
      segment: z.number().int(),
      startKey: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});
export type BackupStep = z.infer<typeof backupStepSchema>;
