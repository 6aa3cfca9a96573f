import { type Stack, startStack } from '../../local/stack.js';
import { freePorts } from './ports.js';

/**
 * The whole local stack on free ports, for end-to-end tests (it can run beside `npm start`).
 * It sets this process's environment for its in-process worker: one stack per process. The queue's
 * visibility timeout is short, so that a failed delivery comes back in seconds.
 */
export async function startTestStack(options: { visibilityTimeoutSeconds?: number } = {}): Promise<Stack> {
  return startStack({
    ...(await freePorts(['httpPort', 'lambdaPort', 'dynamoPort', 'fauxqsPort', 'eventsPort'])),
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 3,
    quiet: true,
  });
}
