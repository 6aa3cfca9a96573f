import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';

/** Id generation is a dependency so that tests can name what they create. */
export type Ids = { uuid(): string; jobId(): string };
export const randomIds: Ids = {
  uuid: () => randomUUID(),
  /** GES job ids are 32 lowercase hex characters. */
  jobId: () => randomBytes(16).toString('hex'),
};

export const projectIdSchema = z.string().regex(/^[A-Za-z0-9]{1,64}$/);
export const uuidSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
export const jobIdSchema = z.string().regex(/^[0-9a-f]{32}$/);
/** Graph names: 4–50 characters, a letter first, then letters, digits and underscores. */
export const graphNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{3,49}$/);
