import { createAuthenticator } from '../lib/auth/authenticate.js';
import { createDeps } from '../lib/deps.js';
import { bothTrees, httpApi } from '../lib/http/api.js';
import { jobListQuery, jobPath, projectPath } from '../lib/http/params.js';
import { pathParams, queryParams } from '../lib/http/request.js';
import { listJobs } from '../lib/jobs/job-list.js';
import { getJobStatus } from '../lib/jobs/job-status.js';

const deps = createDeps();
const authenticate = createAuthenticator();

/** The status Lambda: reads job records only, never SQS or S3. */
export const handler = httpApi(
  {
    ...bothTrees('GET', '/{projectId}/graphs/{graphId}/jobs/{jobId}/status', async (event, version) =>
      getJobStatus(deps, { ...pathParams(event, jobPath), version }),
    ),
    ...bothTrees('GET', '/{projectId}/graphs/jobs', async (event, version) =>
      listJobs(deps, { ...pathParams(event, projectPath), ...queryParams(event, jobListQuery), version }),
    ),
  },
  authenticate,
);
