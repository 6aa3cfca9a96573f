import type { TestProject } from 'vitest/node';
import { startTestStack } from '../support/stack.js';

/** The whole local stack, as `npm start` runs it, once for the CLI's tests (which run it as a subprocess). */
export default async function setup(project: TestProject) {
  const stack = await startTestStack();
  project.provide('cliBaseUrl', stack.baseUrl);
  project.provide('cliS3', stack.endpoints.s3);
  // A bucket export and import may name (TRANSFER_BUCKETS, its `*` filled in).
  project.provide('cliTransferBucket', (stack.env.TRANSFER_BUCKETS ?? '').replaceAll('*', 'cli'));
  return () => stack.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    cliBaseUrl: string;
    cliS3: string;
    cliTransferBucket: string;
  }
}
