import { apiAuthenticator } from '../lib/composition/access-keys.js';
import { recordDeps } from '../lib/composition/records.js';
import { parseConfig } from '../lib/core/config.js';
import { bothTrees, httpApi } from '../lib/http/api.js';
import { jobListQuery, jobPath, projectPath } from '../lib/http/params.js';
import { pathParams, queryParams } from '../lib/http/request.js';
import type { JobListView } from '../lib/http/response-schemas.js';
import { jobView } from '../lib/http/views.js';
import { getJob, listJobs } from '../lib/operations/catalog/jobs.js';
import routes from './routes.json' with { type: 'json' };

/** The status Lambda: reads job records only, never SQS or S3 (it builds no client for them). */
const deps = recordDeps(parseConfig());

export const handler = httpApi(
  routes.jobs,
  {
    ...bothTrees('GET', '/{projectId}/graphs/{graphId}/jobs/{jobId}/status', async (event, version) =>
      jobView(await getJob(deps, pathParams(event, jobPath)), version),
    ),
    ...bothTrees('GET', '/{projectId}/graphs/jobs', async (event, version) => {
      const { total, jobs } = await listJobs(deps, {
        ...pathParams(event, projectPath),
        ...queryParams(event, jobListQuery),
      });
      return { jobCount: total, jobList: jobs.map((job) => jobView(job, version)) } satisfies JobListView;
    }),
  },
  apiAuthenticator(deps),
);
