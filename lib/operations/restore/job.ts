import { z } from 'zod';
import type { Job } from '../../records/jobs/model.js';
import { stagedFields } from '../stages/stages.js';

export const restoreFields = stagedFields.extend({
  backupId: z.string(),
  /** the generation the restore loads into and switches the graph to (one never given before) */
  target: z.number().int().optional(),
  /** the graph's generation when the restore began: the one the switch replaces, dropped after it */
  replaced: z.number().int().optional(),
  /** the graph's shards: units of the clear and drop stages */
  shardCount: z.number().int().optional(),
  /** what the switch found loaded and verified: the counts the job ends with */
  loaded: z.object({ vertices: z.number().int(), edges: z.number().int() }).optional(),
});
/** A StartGraph job with a backup: the graph starts with the backup's data instead of its own. */
export type RestoreJob = Job<'restore', z.infer<typeof restoreFields>>;
