import { utcTime } from '../core/time.js';
import type { AccessKeyRecord } from '../records/access-keys/model.js';
import { FORMAT_VERSION } from '../records/backups/format.js';
import type { BackupRecord, DescribedBackup } from '../records/backups/model.js';
import type { JobRecord } from '../records/jobs/model.js';
import type { PolicyRecord } from '../records/policies/policy-repo.js';
import type {
  BackupListView,
  BackupView,
  GraphView,
  JobView,
  PolicyView,
  QuotasView,
} from './response-schemas.js';
import type { ApiVersion } from './responses.js';

/**
 * The GES views of the records, in v1 spelling (the v2 tree gets them snake-cased by `wire.ts`):
 * the domain returns records, and only this edge knows how GES names their fields. Each returns the
 * type of its schema in response-schemas.ts, the one openapi.json describes.
 */

/** A graph with its counts; `created` and `updated` as GES's SDK models name them. */
export function graphView(graph: {
  graphId: string;
  name: string;
  status: GraphView['status'];
  createdAt: number;
  updatedAt?: number;
  vertexNum: number;
  edgeNum: number;
}): GraphView {
  return {
    id: graph.graphId,
    name: graph.name,
    status: graph.status,
    created: utcTime(graph.createdAt),
    updated: utcTime(graph.updatedAt ?? graph.createdAt),
    vertexNum: graph.vertexNum,
    edgeNum: graph.edgeNum,
  };
}

/** GES rounds sizes to MB; ours is the ceiling, so only an empty graph's backup is 0 MB. */
export function sizeInMb(backup: Pick<BackupRecord, 'sizeBytes' | 'vertexNum' | 'edgeNum'>): number {
  if (!backup.vertexNum && !backup.edgeNum) return 0;
  return Math.ceil((backup.sizeBytes ?? 0) / 2 ** 20);
}

/** The Backup object of the spec. */
export function backupView(b: DescribedBackup): BackupView {
  return {
    id: b.backupId,
    name: b.name,
    backupMethod: b.backupMethod,
    graphId: b.graphId,
    graphName: b.graphName,
    graphStatus: b.graphStatus,
    graphSizeTypeIndex: '0',
    dataStoreVersion: FORMAT_VERSION,
    arch: b.arch,
    status: b.status,
    startTimestamp: b.startAt,
    startTime: utcTime(b.startAt),
    ...(b.endAt !== undefined && {
      endTimestamp: b.endAt,
      endTime: utcTime(b.endAt),
      duration: Math.round((b.endAt - b.startAt) / 1000),
    }),
    size: sizeInMb(b),
    encrypted: false,
  };
}

export const backupListView = (list: { total: number; page: DescribedBackup[] }): BackupListView => ({
  backupCount: list.total,
  backupList: list.page.map(backupView),
});

/**
 * The flat Job object of the job center; v2 has no errorCode/errorMessage (and is snake-cased later).
 * GES's `jobDetail` holds import paths, which no job of ours has: our counts of vertices, edges and
 * shards done and expected go under a key of our own, `progressDetail` (v2 `progress_detail`).
 */
export function jobView(job: JobRecord & { graphName: string }, version: ApiVersion = 'v1'): JobView {
  return {
    jobId: job.jobId,
    status: job.status,
    jobType: 'GraphManagement',
    jobName: job.jobName,
    relatedGraph: job.graphName,
    beginTime: utcTime(job.createdAt),
    ...(job.endAt !== undefined && { endTime: utcTime(job.endAt) }),
    jobProgress: job.progress,
    ...(job.detail && { progressDetail: job.detail }),
    ...(job.status === 'failed' && { failReason: job.failReason }),
    ...(job.status === 'failed' &&
      version === 'v1' && { errorCode: job.errorCode, errorMessage: job.failReason }),
  };
}

export function policyView(policy: PolicyRecord): PolicyView {
  return {
    enabled: policy.enabled,
    schedule: policy.schedule,
    keepAuto: policy.keepAuto,
    ...(policy.enabled && policy.nextRunAt !== undefined && { nextRunTime: utcTime(policy.nextRunAt) }),
    ...(policy.lastRun && {
      lastRun: {
        time: utcTime(policy.lastRun.at),
        result: policy.lastRun.result,
        ...(policy.lastRun.jobId && { jobId: policy.lastRun.jobId }),
        ...(policy.lastRun.reason && { reason: policy.lastRun.reason }),
      },
    }),
  };
}

export const quotasView = (available: { graph: number; backup: number }): QuotasView => ({
  quotas: {
    resources: [
      { type: 'graph', available: available.graph },
      { type: 'backup', available: available.backup },
    ],
  },
});

/**
 * An access key, never with its secret (shaped like Huawei Cloud IAM's `credential`); `secret` is
 * added once, in the answer that made it.
 */
export const accessKeyView = (key: AccessKeyRecord) => ({
  access: key.accessKeyId,
  status: key.status,
  role: key.role,
  description: key.description,
  createTime: utcTime(key.createdAt),
  ...(key.disabledAt !== undefined && { disableTime: utcTime(key.disabledAt) }),
});
