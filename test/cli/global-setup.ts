import type { TestProject } from 'vitest/node';
import { childStack } from '../support/child-stack.js';

/**
 * The whole local stack, as `npm start` runs it, once for the CLI's tests (which run it as a
 * subprocess), in a child process: `npm test` runs the e2e project's stack in vitest's own.
 */
export default async function setup(project: TestProject) {
  const { stack, stop } = await childStack();
  project.provide('cliBaseUrl', stack.baseUrl);
  project.provide('cliS3', stack.s3);
  // A bucket export and import may name (TRANSFER_BUCKETS, its `*` filled in).
  project.provide('cliTransferBucket', stack.transferBuckets.replaceAll('*', 'cli'));
  return stop;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cliBaseUrl: string;
    cliS3: string;
    cliTransferBucket: string;
  }
}
