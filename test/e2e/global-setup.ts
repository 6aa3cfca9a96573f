import type { TestProject } from 'vitest/node';
import type { Endpoints } from '../../local/resources.js';
import { startTestStack } from '../support/stack.js';
import { deployedBaseUrl } from './deployed.js';

/**
 * Where the end-to-end suite runs. With BASE_URL unset: the whole local stack, as `npm start` runs
 * it, started here once. With BASE_URL set (`BASE_URL=… npm run test:e2e`): a deployed stage, which
 * this starts nothing for; the tests that read the stores around the API (DynamoDB, S3) reach them as
 * the AWS SDK does, through AWS_ENDPOINT_URL (LocalStack) or the default endpoints, with the names
 * below; those that need the local stack's own event bus recorder run only against it
 * (`*.local.test.ts`, left out by vitest.config.ts when BASE_URL is set).
 *
 *   E2E_STAGE        the deployed stage, which names the rest (default localstack)
 *   CONTROL_TABLE    default ges-backup-<stage>-control
 *   GRAPH_TABLE      default ges-backup-<stage>-graph
 *   BACKUP_BUCKET    default ges-backup-<stage>-backups (the aws stage's has the account and region)
 *   TRANSFER_BUCKETS default ges-backup-<stage>-transfer-* (the stage's transferBuckets parameter)
 *
 * The tokens are signed with the local key pair (.local/auth): deploy the stage with its public half
 * in AUTH_PUBLIC_KEY (README, "LocalStack").
 */
export default async function setup(project: TestProject) {
  const baseUrl = deployedBaseUrl();
  if (baseUrl) {
    const stage = process.env.E2E_STAGE ?? 'localstack';
    const name = (what: string) => `ges-backup-${stage}-${what}`;
    const env = process.env;
    project.provide('baseUrl', baseUrl);
    project.provide('localStack', false);
    // Empty: the SDK picks the endpoint itself (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, or AWS).
    project.provide('endpoints', { dynamodb: '', sqs: '', s3: '' });
    project.provide('tables', {
      control: env.CONTROL_TABLE ?? name('control'),
      graph: env.GRAPH_TABLE ?? name('graph'),
    });
    project.provide('backupBucket', env.BACKUP_BUCKET ?? name('backups'));
    project.provide('transferBuckets', env.TRANSFER_BUCKETS ?? name('transfer-*'));
    project.provide('eventBus', '');
    console.log(`[e2e] against ${baseUrl} (stage ${stage}); *.local.test.ts left out`);
    return;
  }
  const stack = await startTestStack();
  project.provide('baseUrl', stack.baseUrl);
  project.provide('localStack', true);
  project.provide('endpoints', stack.endpoints);
  project.provide('tables', { control: stack.env.CONTROL_TABLE ?? '', graph: stack.env.GRAPH_TABLE ?? '' });
  project.provide('backupBucket', stack.env.BACKUP_BUCKET ?? '');
  project.provide('transferBuckets', stack.env.TRANSFER_BUCKETS ?? '');
  project.provide('eventBus', stack.eventBus.endpoint);
  return () => stack.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    /** Whether the suite runs against the local stack it started (BASE_URL unset). */
    localStack: boolean;
    /** Empty strings against a deployed stage: the SDK finds the endpoints itself. */
    endpoints: Endpoints;
    tables: { control: string; graph: string };
    backupBucket: string;
    /** The transfer-bucket pattern (`*` matching anything) export and import may name. */
    transferBuckets: string;
    /** The local stack's event bus (with its recorder); empty against a deployed stage. */
    eventBus: string;
  }
}
