import { createDeps } from '../lib/deps.js';
import { httpApi } from '../lib/http/api.js';
import { jobPath } from '../lib/http/params.js';
import { pathParams } from '../lib/http/request.js';
import { getJobStatus } from '../lib/jobs/job-status.js';

const deps = createDeps();

export const handler = httpApi({
  'GET /v1.0/{projectId}/graphs/{graphId}/jobs/{jobId}/status': async (event) =>
    getJobStatus(deps, pathParams(event, jobPath)),
});
