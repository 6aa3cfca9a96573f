import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoStore } from '../adapters/dynamo-store.js';
import type { Config } from '../core/config.js';
import { randomIds } from '../core/ids.js';
import { logger } from '../core/logger.js';
import type { Store } from '../core/store.js';
import { type Clock, systemClock } from '../core/time.js';
import { AccessKeyRepo } from '../records/access-keys/access-key-repo.js';
import { BackupRepo } from '../records/backups/backup-repo.js';
import { GraphDataRepo } from '../records/graphs/data-repo.js';
import { GraphRepo } from '../records/graphs/graph-repo.js';
import { ClientTokenRepo } from '../records/jobs/client-tokens.js';
import { JobRepo } from '../records/jobs/job-repo.js';
import { PolicyRepo } from '../records/policies/policy-repo.js';
import { ProjectRepo } from '../records/projects/project-repo.js';
import type { Base, RecordDeps, Records } from '../runtime/deps.js';
import { withRecorder } from './recorder.js';

/**
 * What every Lambda builds: configuration, clock, ids, logger and the records on DynamoDB. Endpoints
 * are not configured in code: the SDK reads `AWS_ENDPOINT_URL` and its per-service twins
 * (`AWS_ENDPOINT_URL_DYNAMODB`, ...) itself, so one bundle talks to AWS, LocalStack or the emulators.
 * Each other client is built in a module of its own (`queue.ts`, `blobs.ts`, `events.ts`), so a
 * Lambda's bundle holds only the clients it imports.
 */
export function recordDeps(config: Config, clock: Clock = systemClock): RecordDeps {
  const ddb = DynamoDBDocumentClient.from(withRecorder(new DynamoDBClient({}), config), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const store = new DynamoStore(ddb, { control: config.controlTable, graph: config.graphTable });
  return { ...base(config, clock), ...records(store, config, clock) };
}

export const base = (config: Config, clock: Clock = systemClock): Base => ({
  config,
  clock,
  ids: randomIds,
  log: logger,
});

/** The repositories on one store (DynamoDB here, memory in unit tests). */
export function records(store: Store, config: Config, clock: Clock = systemClock): Records {
  return {
    store,
    projects: new ProjectRepo(store),
    graphs: new GraphRepo(store),
    data: new GraphDataRepo(store),
    jobs: new JobRepo(store, config.jobRetentionDays, config.jobStallMs, clock),
    clientTokens: new ClientTokenRepo(store),
    backups: new BackupRepo(store),
    policies: new PolicyRepo(store),
    accessKeys: new AccessKeyRepo(store),
  };
}
