import { z } from 'zod';
import { createAuthenticator } from '../lib/auth/authenticate.js';
import { createDeps } from '../lib/deps.js';
import { GesError } from '../lib/errors.js';
import { addElements, summarize } from '../lib/graphs/data-plane.js';
import { edgeBatchSchema, vertexBatchSchema } from '../lib/graphs/model.js';
import { httpApi } from '../lib/http/api.js';
import { graphNamePath } from '../lib/http/params.js';
import { jsonBody, pathParams, type queryParams } from '../lib/http/request.js';

const deps = createDeps();
const authenticate = createAuthenticator();
const batchAdd = z.object({ action_id: z.string() }).refine((q) => q.action_id === 'batch-add');
const onlyBatchAdd = (event: Parameters<typeof queryParams>[0]) => {
  if (!batchAdd.safeParse(event.queryStringParameters ?? {}).success) throw new GesError('GES.7048');
};

export const handler = httpApi(
  {
    'POST /ges/v1.0/{projectId}/graphs/{graphName}/vertices/action': async (event) => {
      const path = pathParams(event, graphNamePath);
      onlyBatchAdd(event);
      return addElements(deps, { ...path, elements: jsonBody(event, vertexBatchSchema).vertices });
    },
    'POST /ges/v1.0/{projectId}/graphs/{graphName}/edges/action': async (event) => {
      const path = pathParams(event, graphNamePath);
      onlyBatchAdd(event);
      return addElements(deps, { ...path, elements: jsonBody(event, edgeBatchSchema).edges });
    },
    'GET /ges/v1.0/{projectId}/graphs/{graphName}/summary': async (event) =>
      summarize(deps, pathParams(event, graphNamePath)),
  },
  authenticate,
);
