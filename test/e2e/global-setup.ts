import type { TestProject } from 'vitest/node';
import { startTestStack } from '../support/stack.js';

/** The whole local stack, as `npm start` runs it, once for the end-to-end suite. */
export default async function setup(project: TestProject) {
  const stack = await startTestStack();
  project.provide('baseUrl', stack.baseUrl);
  project.provide('endpoints', stack.endpoints);
  project.provide('backupBucket', stack.env.BACKUP_BUCKET ?? '');
  project.provide('eventBus', stack.eventBus.endpoint);
  return () => stack.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    backupBucket: string;
    eventBus: string;
  }
}
