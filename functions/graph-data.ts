import { apiAuthenticator } from '../lib/composition/access-keys.js';
import { recordDeps } from '../lib/composition/records.js';
import { parseConfig } from '../lib/core/config.js';
import { GesError } from '../lib/core/errors.js';
import { httpApi } from '../lib/http/api.js';
import { batchAddQuery, graphNamePath } from '../lib/http/params.js';
import { jsonBody, pathParams, type queryParams } from '../lib/http/request.js';
import type { BatchAddAnswer, SummaryView } from '../lib/http/response-schemas.js';
import { addElements, summarize } from '../lib/operations/graphs/data-plane.js';
import { edgeBatchSchema, vertexBatchSchema } from '../lib/records/graphs/model.js';
import routes from './routes.json' with { type: 'json' };

const deps = recordDeps(parseConfig());
const onlyBatchAdd = (event: Parameters<typeof queryParams>[0]) => {
  if (!batchAddQuery.safeParse(event.queryStringParameters ?? {}).success) throw new GesError('GES.7048');
};

export const handler = httpApi(
  routes.graphData,
  {
    'POST /ges/v1.0/{projectId}/graphs/{graphName}/vertices/action': async (event) => {
      const path = pathParams(event, graphNamePath);
      onlyBatchAdd(event);
      return (await addElements(deps, {
        ...path,
        elements: jsonBody(event, vertexBatchSchema).vertices,
      })) satisfies BatchAddAnswer;
    },
    'POST /ges/v1.0/{projectId}/graphs/{graphName}/edges/action': async (event) => {
      const path = pathParams(event, graphNamePath);
      onlyBatchAdd(event);
      return (await addElements(deps, {
        ...path,
        elements: jsonBody(event, edgeBatchSchema).edges,
      })) satisfies BatchAddAnswer;
    },
    'GET /ges/v1.0/{projectId}/graphs/{graphName}/summary': async (event) =>
      (await summarize(deps, pathParams(event, graphNamePath))) satisfies SummaryView,
  },
  apiAuthenticator(deps),
);
