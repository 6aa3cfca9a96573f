/**
 * The key scheme of the control table: one table, one partition per project.
 *
 * | record      | pk              | sk                  | gsi1pk                 | gsi1sk          | gsi2pk               | gsi2sk          |
 * |-------------|-----------------|---------------------|------------------------|-----------------|----------------------|-----------------|
 * | graph       | PROJECT#{p}     | GRAPH#{graphId}     |                        |                 |                      |                 |
 * | graph name  | PROJECT#{p}     | GRAPHNAME#{name}    |                        |                 |                      |                 |
 * | job         | PROJECT#{p}     | JOB#{jobId}         | PROJECT#{p}#JOBS       | {ms}#{jobId}    | ACTIVE#JOBS (until it ends) | {deadline}#{p}#{jobId} |
 * | backup      | PROJECT#{p}     | BACKUP#{backupId}   | PROJECT#{p}#BACKUPS    | {ms}#{backupId} | GRAPH#{graphId}#BACKUPS | {ms}#{backupId} |
 * | policy      | PROJECT#{p}     | POLICY#{graphId}    |                        |                 | POLICY#DUE (if enabled) | {nextRun}#{p}#{g} |
 * | client token| PROJECT#{p}     | CLIENTTOKEN#{token} |                        |                 |                      |                 |
 * | project     | PROJECT#{p}     | PROJECT             |                        |                 |                      |                 |
 * | access key  | ACCESSKEY#{ak}  | ACCESSKEY           | PROJECT#{p}#ACCESSKEYS | {ms}#{ak}       |                      |                 |
 * | ledger entry| JOB#{p}#{jobId} | {ledger}#{PART\|TASK}#{name} |                |                 |                      |                 |
 * | garbage     | GARBAGE#{graphId} | GENERATIONS#{from}-{to} |                     |                 | GARBAGE              | {ms}#{graphId}#{from} |
 *
 * `{ms}` is an epoch-millisecond time padded to 15 digits, so that the index sorts by time; lists
 * read it backwards for "newest first". An access key is found by its id alone (a signed request names
 * no more), so it has a partition of its own; its project lists its keys through gsi1. Graph data lives in its own table: see `records/graphs/data-keys.ts`.
 */
export type Key = { pk: string; sk: string };

const project = (projectId: string) => `PROJECT#${projectId}`;
const sortableTime = (ms: number) => String(ms).padStart(15, '0');

export const graphKey = (projectId: string, graphId: string): Key => ({
  pk: project(projectId),
  sk: `GRAPH#${graphId}`,
});
export const graphPrefix = 'GRAPH#';

export const graphNameKey = (projectId: string, name: string): Key => ({
  pk: project(projectId),
  sk: `GRAPHNAME#${name}`,
});

export const jobKey = (projectId: string, jobId: string): Key => ({
  pk: project(projectId),
  sk: `JOB#${jobId}`,
});
export const jobIndexKeys = (projectId: string, createdAt: number, jobId: string) => ({
  gsi1pk: `${project(projectId)}#JOBS`,
  gsi1sk: `${sortableTime(createdAt)}#${jobId}`,
});

/**
 * A job that has not ended is also in a sparse index by deadline, across projects: the sweeper reads
 * the overdue ones from it. Ending a job removes these keys.
 */
export const ACTIVE_JOBS = 'ACTIVE#JOBS';
export const activeJobKeys = (projectId: string, deadlineAt: number, jobId: string) => ({
  gsi2pk: ACTIVE_JOBS,
  gsi2sk: `${sortableTime(deadlineAt)}#${projectId}#${jobId}`,
});
export const overdueBefore = (now: number) => `${sortableTime(now)}#`;

/**
 * A job that fans out records what its tasks did (the parts they wrote, the tasks done) in a ledger:
 * an item an entry, in a partition of the job's own, so that the job's record stays the same size
 * whatever the job's, and no project's partition holds a big job's entries. `ledger` names the
 * ledger (the run that started it): entries of an older one are not read.
 */
export const jobLedgerPartition = (projectId: string, jobId: string) => `JOB#${projectId}#${jobId}`;
export const ledgerEntryKey = (projectId: string, jobId: string, ledger: string, entry: string): Key => ({
  pk: jobLedgerPartition(projectId, jobId),
  sk: `${ledger}#${entry}`,
});

/** The index range of a project's jobs created within [from, to] (epoch ms). */
export const jobListKey = (projectId: string, from: number, to: number) => ({
  pk: `${project(projectId)}#JOBS`,
  from: `${sortableTime(from)}#`,
  to: `${sortableTime(to)}#~`,
});

export const backupKey = (projectId: string, backupId: string): Key => ({
  pk: project(projectId),
  sk: `BACKUP#${backupId}`,
});
/** The index partitions that list backups: a project's (gsi1) and a graph's (gsi2). */
export const backupListKey = {
  project: (projectId: string) => ({ index: 'gsi1' as const, pk: `${project(projectId)}#BACKUPS` }),
  graph: (graphId: string) => ({ index: 'gsi2' as const, pk: `GRAPH#${graphId}#BACKUPS` }),
};

/** A graph's backup policy; while enabled it also sits in a sparse index by its next run. */
export const policyKey = (projectId: string, graphId: string): Key => ({
  pk: project(projectId),
  sk: `POLICY#${graphId}`,
});
export const DUE_POLICIES = 'POLICY#DUE';
export const duePolicyKeys = (projectId: string, graphId: string, nextRunAt: number) => ({
  gsi2pk: DUE_POLICIES,
  gsi2sk: `${sortableTime(nextRunAt)}#${projectId}#${graphId}`,
});
export const dueBefore = (now: number) => `${sortableTime(now)}#~`;

/**
 * Generations of a graph's data that no reader sees and no job drops any more (what a failed restore
 * loaded or replaced, what a failed deletion left): the garbage collector's list, in a sparse index
 * (gsi2) by when they were discarded, oldest first.
 */
export const GARBAGE = 'GARBAGE';
export const garbageKey = (graphId: string, from: number, to: number): Key => ({
  pk: `GARBAGE#${graphId}`,
  sk: `GENERATIONS#${from}-${to}`,
});
export const garbageIndexKeys = (since: number, graphId: string, from: number) => ({
  gsi2pk: GARBAGE,
  gsi2sk: `${sortableTime(since)}#${graphId}#${from}`,
});

/** An `X-Client-Token` of the project, for 8 hours (TTL). */
export const clientTokenKey = (projectId: string, token: string): Key => ({
  pk: project(projectId),
  sk: `CLIENTTOKEN#${token}`,
});

/** The project's own record: counters that transactions keep exact (the backup quota). */
export const projectKey = (projectId: string): Key => ({ pk: project(projectId), sk: 'PROJECT' });

export const backupIndexKeys = (projectId: string, graphId: string, startedAt: number, backupId: string) => ({
  gsi1pk: `${project(projectId)}#BACKUPS`,
  gsi1sk: `${sortableTime(startedAt)}#${backupId}`,
  gsi2pk: `GRAPH#${graphId}#BACKUPS`,
  gsi2sk: `${sortableTime(startedAt)}#${backupId}`,
});

/** An access key, by its id (`Access=` of a signed request); its project's keys through gsi1. */
export const accessKeyKey = (accessKeyId: string): Key => ({
  pk: `ACCESSKEY#${accessKeyId}`,
  sk: 'ACCESSKEY',
});
export const accessKeyIndexKeys = (projectId: string, createdAt: number, accessKeyId: string) => ({
  gsi1pk: `${project(projectId)}#ACCESSKEYS`,
  gsi1sk: `${sortableTime(createdAt)}#${accessKeyId}`,
});
export const accessKeyListKey = (projectId: string) => ({
  index: 'gsi1' as const,
  pk: `${project(projectId)}#ACCESSKEYS`,
});
