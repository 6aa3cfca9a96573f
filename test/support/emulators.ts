import { type Services, startServices } from '../../local/stack.js';
import { freePorts } from './ports.js';

/** Short enough that a test sees a failed message come back (and reach the DLQ) in seconds. */
export const TEST_VISIBILITY_TIMEOUT_SECONDS = 3;

/**
 * DynamoDB Local and fauxqs on free ports, with the tables, queues and bucket serverless.yml
 * defines. For a vitest globalSetup: `env` is what the functions need (names, URLs, AWS_*);
 * call `stop()` in the teardown.
 */
export async function startTestEmulators(
  options: { visibilityTimeoutSeconds?: number } = {},
): Promise<Services> {
  return startServices({
    ...(await freePorts(['dynamoPort', 'fauxqsPort'])),
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? TEST_VISIBILITY_TIMEOUT_SECONDS,
  });
}
