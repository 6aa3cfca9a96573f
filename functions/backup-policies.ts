import { apiAuthenticator } from '../lib/composition/access-keys.js';
import { recordDeps } from '../lib/composition/records.js';
import { parseConfig } from '../lib/core/config.js';
import { bothTrees, httpApi } from '../lib/http/api.js';
import { graphPath, policyBody } from '../lib/http/params.js';
import { jsonBody, pathParams } from '../lib/http/request.js';
import { policyView } from '../lib/http/views.js';
import { getPolicy, putPolicy } from '../lib/operations/policies/policies.js';
import routes from './routes.json' with { type: 'json' };

const deps = recordDeps(parseConfig());

export const handler = httpApi(
  routes.backupPolicies,
  {
    ...bothTrees('PUT', '/{projectId}/graphs/{graphId}/backup-policy', async (event) =>
      policyView(await putPolicy(deps, { ...pathParams(event, graphPath), ...jsonBody(event, policyBody) })),
    ),
    ...bothTrees('GET', '/{projectId}/graphs/{graphId}/backup-policy', async (event) =>
      policyView(await getPolicy(deps, pathParams(event, graphPath))),
    ),
  },
  apiAuthenticator(deps),
);
