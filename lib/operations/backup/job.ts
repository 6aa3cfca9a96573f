import { z } from 'zod';
import { type PartInfo, partSchema } from '../../records/backups/format.js';
import type { Job } from '../../records/jobs/model.js';

/** A part file as its entry in the job's ledger holds it (the part, `last` when it ends its shard). */
export function partOf(entry: Record<string, unknown>): PartInfo {
  const { entry: _name, last: _last, ...part } = entry;
  return partSchema.parse(part);
}

export const backupFields = z.object({
  backupId: z.string(),
  /**
   * The tasks its ledger's run fanned out into, and the segment size it cut shards into: a run that
   * takes the job over keeps that ledger only when it would split and cut them the same way. The
   * parts and the tasks done are entries of the ledger (`JobRepo.record`).
   */
  tasks: z.number().int().optional(),
  segmentItems: z.number().int().optional(),
});

/** A BackupGraph job: it writes one backup. */
export type BackupJob = Job<'backup', z.infer<typeof backupFields>>;

/** Where a shard of a task goes on from: its next segment, and the key that segment starts after. */
export const shardPositionSchema = z.object({
  shard: z.number().int().min(0),
  segment: z.number().int().min(0),
  startKey: z.record(z.string(), z.unknown()).optional(),
});
export type ShardPosition = z.infer<typeof shardPositionSchema>;

/**
 * One task of a backup: a group of shards, read at once, and where each goes on from after a
 * checkpoint.
 */
export const backupStepSchema = z.object({
  runId: z.string(),
  task: z.number().int().min(0),
  shards: z.array(z.number().int().min(0)).min(1),
  /** the segment size of the run (absent in steps sent before it was carried: the deployment's) */
  segmentItems: z.number().int().min(1).optional(),
  /**
   * After a checkpoint: the task's shards not yet done, each where it goes on from (a shard of
   * `shards` not listed is done). Absent: every shard from its start, unless `from` says otherwise.
   */
  at: z.array(shardPositionSchema).optional(),
  /**
   * A checkpoint of a step sent when a task read its shards one after the other: the shards before
   * `shard` are done, `shard` goes on from `segment`, the later ones from their start.
   */
  from: z
    .object({
      shard: z.number().int(),
      segment: z.number().int(),
      startKey: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});
export type BackupStep = z.infer<typeof backupStepSchema>;

/** Where each shard of a step still to do starts: its checkpoint's positions, or its shards' starts. */
export function positionsOf(step: BackupStep): ShardPosition[] {
  if (step.at) return step.at;
  const { from } = step;
  if (!from) return step.shards.map((shard) => ({ shard, segment: 0 }));
  return step.shards
    .filter((shard) => shard >= from.shard)
    .map((shard) => (shard === from.shard ? from : { shard, segment: 0 }));
}
