import { type Stack, startStack } from '../../local/stack.js';
import { TEST_VISIBILITY_TIMEOUT_SECONDS } from './emulators.js';
import { freePorts } from './ports.js';

/**
 * The whole local stack on free ports, for end-to-end tests (it can run beside `npm start`).
 * It sets this process's environment for its in-process worker: one stack per process.
 */
export async function startTestStack(options: { visibilityTimeoutSeconds?: number } = {}): Promise<Stack> {
  return startStack({
    ...(await freePorts(['httpPort', 'lambdaPort', 'dynamoPort', 'fauxqsPort'])),
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? TEST_VISIBILITY_TIMEOUT_SECONDS,
    quiet: true,
  });
}
