import type { TestProject } from 'vitest/node';
import { childStack } from '../support/child-stack.js';

/** The whole local stack, as `npm start` runs it, in a child process of its own. */
export default async function setup(project: TestProject) {
  const { stack, stop } = await childStack();
  project.provide('baseUrl', stack.baseUrl);
  return stop;
}
