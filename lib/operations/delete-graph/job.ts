import { z } from 'zod';
import type { Job } from '../../records/jobs/model.js';
import { stagedFields } from '../stages/stages.js';

export const deleteGraphFields = stagedFields.extend({
  keepBackup: z.boolean(),
  /** the generations that may hold data (1 to this; `dataGenerations`) and the graph's shards */
  generations: z.number().int().optional(),
  shardCount: z.number().int().optional(),
});
/** A DeleteGraph job: removes the graph's data and its backups, keeping some if asked. */
export type DeleteGraphJob = Job<'delete-graph', z.infer<typeof deleteGraphFields>>;
