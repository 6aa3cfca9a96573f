import type { TestProject } from 'vitest/node';
import { startTestStack } from '../support/stack.js';

/** The whole local stack, as `npm start` runs it, once for the CLI's tests (which run it as a subprocess). */
export default async function setup(project: TestProject) {
  const stack = await startTestStack();
  project.provide('cliBaseUrl', stack.baseUrl);
  return () => stack.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    cliBaseUrl: string;
  }
}
