import { z } from 'zod';
import { apiAuthenticator } from '../lib/composition/access-keys.js';
import { recordDeps } from '../lib/composition/records.js';
import { parseConfig } from '../lib/core/config.js';
import { bothTrees, httpApi } from '../lib/http/api.js';
import { graphPath } from '../lib/http/params.js';
import { jsonBody, pathParams } from '../lib/http/request.js';
import { policyView } from '../lib/http/views.js';
import { getPolicy, putPolicy } from '../lib/operations/policies/policies.js';
import routes from './routes.json' with { type: 'json' };

const deps = recordDeps(parseConfig());
/** v1 spells it keepAuto, v2 keep_auto. */
const policyBody = z
  .object({
    enabled: z.boolean(),
    schedule: z.string().min(1).max(256),
    keepAuto: z.number().int().min(1).max(100).optional(),
    keep_auto: z.number().int().min(1).max(100).optional(),
  })
  .transform(({ keep_auto, keepAuto, ...rest }) => ({ ...rest, keepAuto: keepAuto ?? keep_auto ?? 7 }));

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
