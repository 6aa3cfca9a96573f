import { z } from 'zod';
import { graphNameSchema, jobIdSchema, projectIdSchema, uuidSchema } from '../ids.js';

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
    .default(fallback);

export const pageQuery = z.object({ offset: integer(0, 1_000_000_000, 0), limit: integer(1, 100, 10) });
