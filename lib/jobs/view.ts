import { utcTime } from '../time.js';
import type { JobRecord } from './model.js';

/** The flat Job object of the v1 job center (spec: "Jobs"). */
export function jobViewV1(job: JobRecord) {
  return {
    jobId: job.jobId,
    status: job.status,
    jobType: 'GraphManagement',
    jobName: job.jobName,
    relatedGraph: job.graphName,
    beginTime: utcTime(job.createdAt),
    ...(job.endAt !== undefined && { endTime: utcTime(job.endAt) }),
    jobProgress: job.progress,
    ...(job.detail && { jobDetail: job.detail }),
    ...(job.status === 'failed' && {
      failReason: job.failReason,
      errorCode: job.errorCode,
      errorMessage: job.failReason,
    }),
  };
}
