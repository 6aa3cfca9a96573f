import type { Logger } from '@aws-lambda-powertools/logger';
import type { Config } from '../core/config.js';
import type { Ids } from '../core/ids.js';
import type { BlobStore, EventPublisher, JobQueue } from '../core/ports.js';
import type { Store } from '../core/store.js';
import type { Clock } from '../core/time.js';
import type { AccessKeyRepo } from '../records/access-keys/access-key-repo.js';
import type { BackupRepo } from '../records/backups/backup-repo.js';
import type { GraphDataRepo } from '../records/graphs/data-repo.js';
import type { GraphRepo } from '../records/graphs/graph-repo.js';
import type { ClientTokenRepo } from '../records/jobs/client-tokens.js';
import type { JobRepo } from '../records/jobs/job-repo.js';
import type { PolicyRepo } from '../records/policies/policy-repo.js';
import type { ProjectRepo } from '../records/projects/project-repo.js';

/** What every Lambda has: configuration, the clock, ids and the logger. */
export type Base = { config: Config; clock: Clock; ids: Ids; log: Logger };

/** The records, all on one store (DynamoDB, or memory in unit tests). */
export type Records = {
  store: Store;
  projects: ProjectRepo;
  graphs: GraphRepo;
  data: GraphDataRepo;
  jobs: JobRepo;
  clientTokens: ClientTokenRepo;
  backups: BackupRepo;
  policies: PolicyRepo;
  accessKeys: AccessKeyRepo;
};

/**
 * Everything a use case may depend on. A use case names the part it uses (`Pick<Deps, ...>`), and
 * each Lambda builds only that part (`lib/composition/`), so a Lambda that never touches S3 carries
 * no S3 client.
 */
export type Deps = Base & Records & { queue: JobQueue; blobs: BlobStore; events: EventPublisher };

/** The part most use cases of the API need: the records. */
export type RecordDeps = Base & Records;
/** ... and the queue, for use cases that start a job. */
export type JobDeps = RecordDeps & { queue: JobQueue };
