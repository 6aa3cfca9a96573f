import { z } from 'zod';
import type { Job } from '../../records/jobs/model.js';

/** Export and import name the backup and the caller's bucket folder it goes to or comes from. */
export const transferFields = z.object({ backupId: z.string(), bucket: z.string(), folder: z.string() });
export type ExportJob = Job<'export', z.infer<typeof transferFields>>;
/** An import reads its graph when it is accepted: its job knows the graph's name from the start. */
export type ImportJob = Job<'import', z.infer<typeof transferFields>> & { graphName: string };
