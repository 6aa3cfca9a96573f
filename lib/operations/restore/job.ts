import { z } from 'zod';
import type { Job } from '../../records/jobs/model.js';

export const restoreFields = z.object({ backupId: z.string() });
/** A StartGraph job with a backup: the graph starts with the backup's data instead of its own. */
export type RestoreJob = Job<'restore', z.infer<typeof restoreFields>>;
