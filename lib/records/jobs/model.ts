/**
 * Jobs: what every kind shares. Each kind of job that runs in the worker declares its own variant in
 * its operation folder (`operations/backup/job.ts`, ...), as `Job<'backup', { backupId: string }>`,
 * so the compiler, not a cast, says what a kind carries.
 */
export type JobStatus = 'pending' | 'running' | 'success' | 'failed';

/** GES's names of jobs, as the job center shows them. */
export type JobName =
  | 'CreateGraph'
  | 'BackupGraph'
  | 'StartGraph'
  | 'StopGraph'
  | 'DeleteGraph'
  | 'ExportBackup'
  | 'ImportBackup';

/** Our kinds: a restore and a plain start are both GES's StartGraph. */
export const JOB_NAMES = {
  'create-graph': 'CreateGraph',
  'stop-graph': 'StopGraph',
  'start-graph': 'StartGraph',
  backup: 'BackupGraph',
  restore: 'StartGraph',
  'delete-graph': 'DeleteGraph',
  export: 'ExportBackup',
  import: 'ImportBackup',
} as const satisfies Record<string, JobName>;
export type JobKind = keyof typeof JOB_NAMES;

export type JobDetail = {
  vertices: { done: number; expected?: number | undefined };
  edges: { done: number; expected?: number | undefined };
  shards: { done: number; expected: number };
};

export type JobBase = {
  projectId: string;
  jobId: string;
  kind: JobKind;
  jobName: JobName;
  graphId: string;
  /** Absent from a backup's job until its first delivery describes the graph (newBackup). */
  graphName?: string;
  status: JobStatus;
  createdAt: number;
  endAt?: number;
  /** 0–100, real progress */
  progress: number;
  detail?: JobDetail;
  /** Past this instant the job is failed by whoever sees it next (worker or sweeper). */
  deadlineAt: number;
  /** The worker run that owns the job: every write of a run is conditional on it (a fencing token). */
  runId?: string;
  /** Until then no other delivery may take the job over from `runId`. */
  leaseUntil?: number;
  attempts?: number;
  errorCode?: string;
  failReason?: string;
  requestId?: string;
  /** DynamoDB TTL, epoch seconds: set when the job ends. */
  expiresAt?: number;
  /** A job that fans out: the ledger its entries are recorded in (`JobRepo.record`), and their sums. */
  ledger?: string;
  tally?: Record<string, number>;
};

/** A job of one kind, with the fields only that kind carries. */
export type Job<K extends JobKind, Fields extends object = object> = JobBase & { kind: K } & Fields;

/** A job as read back, of whatever kind: narrowed by its kind's task. */
export type JobRecord = JobBase & Record<string, unknown>;

/** A running sum of the job's ledger: 0 until something adds to it. */
export const tallied = (job: Pick<JobBase, 'tally'>, name: string): number => job.tally?.[name] ?? 0;

export const isTerminal = (status: JobStatus) => status === 'success' || status === 'failed';
