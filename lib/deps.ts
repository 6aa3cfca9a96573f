import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAwsClients } from './aws.js';
import { BackupRepo } from './backups/backup-repo.js';
import { type BlobStore, S3BlobStore } from './backups/blob-store.js';
import { type Config, parseConfig } from './config.js';
import { EventBridgePublisher, type EventPublisher } from './events/event-bus.js';
import { GraphDataRepo } from './graphs/data-repo.js';
import { GraphRepo } from './graphs/graph-repo.js';
import { type Ids, randomIds } from './ids.js';
import { ClientTokenRepo } from './jobs/client-tokens.js';
import { type JobQueue, SqsJobQueue } from './jobs/job-queue.js';
import { JobRepo } from './jobs/job-repo.js';
import { logger } from './logger.js';
import { PolicyRepo } from './policies/policy-repo.js';
import { ProjectRepo } from './projects/project-repo.js';
import { type Clock, systemClock } from './time.js';

/** What every use case may depend on. Handlers build it once per cold start; tests swap parts. */
export type Deps = {
  config: Config;
  /** for transactions that span records of several kinds */
  ddb: DynamoDBDocumentClient;
  projects: ProjectRepo;
  graphs: GraphRepo;
  data: GraphDataRepo;
  jobs: JobRepo;
  clientTokens: ClientTokenRepo;
  backups: BackupRepo;
  queue: JobQueue;
  blobs: BlobStore;
  events: EventPublisher;
  policies: PolicyRepo;
  clock: Clock;
  ids: Ids;
  log: Logger;
};

export function createDeps(config: Config = parseConfig()): Deps {
  const aws = createAwsClients(config);
  return {
    config,
    ddb: aws.ddb,
    projects: new ProjectRepo(aws.ddb, config.controlTable),
    graphs: new GraphRepo(aws.ddb, config.controlTable),
    data: new GraphDataRepo(aws.ddb, config.graphTable, config.controlTable),
    jobs: new JobRepo(aws.ddb, config.controlTable, config.jobRetentionDays),
    clientTokens: new ClientTokenRepo(aws.ddb, config.controlTable),
    backups: new BackupRepo(aws.ddb, config.controlTable),
    queue: new SqsJobQueue(aws.sqs, config.jobQueueUrl),
    blobs: new S3BlobStore(aws.s3, config.backupBucket),
    events: new EventBridgePublisher(aws.events, config.eventBusName),
    policies: new PolicyRepo(aws.ddb, config.controlTable),
    clock: systemClock,
    ids: randomIds,
    log: logger,
  };
}
