import { z } from 'zod';
import { createAuthenticator } from '../lib/auth/authenticate.js';
import { createDeps } from '../lib/deps.js';
import { bothTrees, httpApi } from '../lib/http/api.js';
import { graphPath } from '../lib/http/params.js';
import { jsonBody, pathParams } from '../lib/http/request.js';
import { getPolicy, putPolicy } from '../lib/policies/policies.js';

const deps = createDeps();
const authenticate = createAuthenticator();
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
  {
    ...bothTrees('PUT', '/{projectId}/graphs/{graphId}/backup-policy', async (event) =>
      putPolicy(deps, { ...pathParams(event, graphPath), ...jsonBody(event, policyBody) }),
    ),
    ...bothTrees('GET', '/{projectId}/graphs/{graphId}/backup-policy', async (event) =>
      getPolicy(deps, pathParams(event, graphPath)),
    ),
  },
  authenticate,
);
