import type { ApiVersion } from '../http/responses.js';
import { utcTime } from '../time.js';
import type { JobRecord } from './model.js';

/** The flat Job object of the job center; v2 has no errorCode/errorMessage (and is snake-cased later). */
export function jobView(job: JobRecord, version: ApiVersion = 'v1') {
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
    ...(job.status === 'failed' && { failReason: job.failReason }),
    ...(job.status === 'failed' &&
      version === 'v1' && { errorCode: job.errorCode, errorMessage: job.failReason }),
  };
}
