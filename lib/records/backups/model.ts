import { compactUtc } from '../../core/time.js';
import { type GraphRecord, GraphStatus } from '../graphs/model.js';

export type BackupStatus = 'backing_up' | 'success' | 'failed';
export type BackupMethod = 'manual' | 'auto' | 'import';

/** What a backup knows of its graph once described: set when it is accepted, or by the worker. */
export type GraphDescription = {
  name: string;
  graphName: string;
  /** The data generation the backup reads. */
  generation: number;
  shards: number;
};

export type BackupRecord = {
  projectId: string;
  backupId: string;
  backupMethod: BackupMethod;
  graphId: string;
  /** The graph's status code when the backup was taken. */
  graphStatus: string;
  status: BackupStatus;
  jobId: string;
  startAt: number;
  endAt?: number;
  sizeBytes?: number;
  vertexNum?: number;
  edgeNum?: number;
  /** `x86_64` or `aarch64`: the machine that wrote it */
  arch: string;
  /** The job (restore, export) reading it now: it cannot be deleted meanwhile. */
  usedByJobId?: string;
  /** Set when a delete began: the backup is gone for every reader, and a retried delete finishes it. */
  deleting?: boolean;
} & Partial<GraphDescription>;

/** A backup whose graph is described (every backup past its first worker delivery). */
export type DescribedBackup = BackupRecord & GraphDescription;

export const isDescribed = (backup: BackupRecord): backup is DescribedBackup =>
  backup.generation !== undefined;

/** GES's spelling of the machine architecture. */
export const currentArch = () => (process.arch === 'arm64' ? 'aarch64' : 'x86_64');

/** The S3 prefix that holds one backup's files: `{projectId}/{graphId}/{backupId}/`. */
export const backupPrefix = (b: Pick<BackupRecord, 'projectId' | 'graphId' | 'backupId'>) =>
  `${b.projectId}/${b.graphId}/${b.backupId}/`;

/** GES's names: manual `<graph>-yyyyMMddHHmmss`, automatic `<graph>_yyyyMMddHHmmss_auto` (UTC); ours `_import`. */
export const backupName = (graphName: string, at: number, method: BackupMethod) =>
  method === 'manual' ? `${graphName}-${compactUtc(at)}` : `${graphName}_${compactUtc(at)}_${method}`;

/**
 * The record of the backup a job is about to write. Of a graph that was read (an import), it is
 * described at once; a backup is accepted without reading its graph (the transaction's conditions
 * hold it running and free), so the worker describes it when it takes the job, with the graph held.
 */
export function newBackup(
  graph: Pick<GraphRecord, 'projectId' | 'graphId'> | GraphRecord,
  job: { jobId: string; createdAt: number; backupId: string },
  method: BackupMethod,
): BackupRecord {
  return {
    projectId: graph.projectId,
    backupId: job.backupId,
    backupMethod: method,
    graphId: graph.graphId,
    // Only a running graph is backed up: the condition of the lock (GraphRepo.lockRunning).
    graphStatus: 'status' in graph ? graph.status : GraphStatus.running,
    ...('name' in graph && describe({ createdAt: job.createdAt, backupMethod: method }, graph)),
    status: 'backing_up',
    jobId: job.jobId,
    startAt: job.createdAt,
    arch: currentArch(),
  };
}

/** What a backup started at `createdAt` records of its graph. */
export function describe(
  backup: { createdAt: number; backupMethod: BackupMethod },
  graph: Pick<GraphRecord, 'name' | 'generation' | 'shards'>,
): GraphDescription {
  return {
    name: backupName(graph.name, backup.createdAt, backup.backupMethod),
    graphName: graph.name,
    generation: graph.generation,
    shards: graph.shards,
  };
}
