import { z } from 'zod';
import type { Job } from '../../records/jobs/model.js';

export const deleteGraphFields = z.object({ keepBackup: z.boolean() });
/** A DeleteGraph job: removes the graph's data and its backups, keeping some if asked. */
export type DeleteGraphJob = Job<'delete-graph', z.infer<typeof deleteGraphFields>>;
