import { compactUtc } from '../../core/time.js';
import type { GraphRecord } from '../graphs/model.js';

export type BackupStatus = 'backing_up' | 'success' | 'failed';
export type BackupMethod = 'manual' | 'auto' | 'import';

export type BackupRecord = {
  projectId: string;
  backupId: string;
  name: string;
  backupMethod: BackupMethod;
  graphId: string;
  graphName: string;
  /** The graph's status code when the backup was taken. */
  graphStatus: string;
  /** The data generation the backup reads. */
  generation: number;
  shards: number;
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
};

/** GES's spelling of the machine architecture. */
export const currentArch = () => (process.arch === 'arm64' ? 'aarch64' : 'x86_64');

/** The S3 prefix that holds one backup's files: `{projectId}/{graphId}/{backupId}/`. */
export const backupPrefix = (b: Pick<BackupRecord, 'projectId' | 'graphId' | 'backupId'>) =>
  `${b.projectId}/${b.graphId}/${b.backupId}/`;

/** GES's names: manual `<graph>-yyyyMMddHHmmss`, automatic `<graph>_yyyyMMddHHmmss_auto` (UTC); ours `_import`. */
export const backupName = (graphName: string, at: number, method: BackupMethod) =>
  method === 'manual' ? `${graphName}-${compactUtc(at)}` : `${graphName}_${compactUtc(at)}_${method}`;

/** The record of the backup a job is about to write, of the graph as it is at that instant. */
export function newBackup(
  graph: GraphRecord,
  job: { jobId: string; createdAt: number; backupId: string },
  method: BackupMethod,
): BackupRecord {
  return {
    projectId: graph.projectId,
    backupId: job.backupId,
    name: backupName(graph.name, job.createdAt, method),
    backupMethod: method,
    graphId: graph.graphId,
    graphName: graph.name,
    graphStatus: graph.status,
    generation: graph.generation,
    shards: graph.shards,
    status: 'backing_up',
    jobId: job.jobId,
    startAt: job.createdAt,
    arch: currentArch(),
  };
}
