import type { PartInfo } from '../backups/format.js';

export type JobStatus = 'pending' | 'running' | 'success' | 'failed';
export type JobName =
  | 'CreateGraph'
  | 'BackupGraph'
  | 'StartGraph'
  | 'StopGraph'
  | 'DeleteGraph'
  | 'ExportBackup'
  | 'ImportBackup';

export type JobDetail = {
  vertices: { done: number; expected?: number };
  edges: { done: number; expected?: number };
  shards: { done: number; expected: number };
};

/** A part file as a backup job records it: `last` when it ends its shard. */
export type RecordedPart = PartInfo & { last: boolean };

export type JobRecord = {
  projectId: string;
  jobId: string;
  jobName: JobName;
  graphId: string;
  graphName: string;
  status: JobStatus;
  createdAt: number;
  endAt?: number;
  /** 0–100, real progress */
  progress: number;
  detail?: JobDetail;
  /** Past this instant the job is failed by whoever sees it next (worker or sweeper). */
  deadlineAt: number;
  /** The backup a BackupGraph job writes, or a StartGraph job restores. */
  backupId?: string;
  /** BackupGraph: the tasks it fanned out into, those done, and the part files written so far. */
  tasks?: number;
  tasksDone?: Set<string>;
  parts?: Record<string, RecordedPart>;
  /** ExportBackup / ImportBackup: the bucket and folder of the caller's copy. */
  bucket?: string;
  folder?: string;
  /** DeleteGraph: keep the newest automatic and manual backups. */
  keepBackup?: boolean;
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
};

export const isTerminal = (status: JobStatus) => status === 'success' || status === 'failed';
