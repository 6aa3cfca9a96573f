import { z } from 'zod';
import { createAuthenticator } from '../lib/auth/authenticate.js';
import { createDeps } from '../lib/deps.js';
import { GesError } from '../lib/errors.js';
import { createGraph, getGraph, listGraphs } from '../lib/graphs/graphs.js';
import { deleteGraph, startGraph, stopGraph } from '../lib/graphs/lifecycle.js';
import { bothTrees, httpApi, type Route } from '../lib/http/api.js';
import {
  deleteGraphQuery,
  graphActionQuery,
  graphPath,
  pageQuery,
  projectPath,
  startBody,
} from '../lib/http/params.js';
import { jsonBody, optionalJsonBody, pathParams, queryParams } from '../lib/http/request.js';
import { graphNameSchema } from '../lib/ids.js';

const deps = createDeps();
const authenticate = createAuthenticator();
const createBody = z.object({ graph: z.object({ name: graphNameSchema }) });

const stop: Route = async (event) => stopGraph(deps, pathParams(event, graphPath));
const start: Route = async (event) =>
  startGraph(deps, {
    ...pathParams(event, graphPath),
    backupId: optionalJsonBody(event, startBody)?.graph_backup_id,
    requestId: event.requestContext.requestId,
  });

export const handler = httpApi(
  {
    ...bothTrees('POST', '/{projectId}/graphs', async (event) => {
      const { projectId } = pathParams(event, projectPath);
      return createGraph(deps, { projectId, name: jsonBody(event, createBody).graph.name });
    }),
    ...bothTrees('GET', '/{projectId}/graphs', async (event) =>
      listGraphs(deps, { ...pathParams(event, projectPath), ...queryParams(event, pageQuery) }),
    ),
    ...bothTrees('GET', '/{projectId}/graphs/{graphId}', async (event) =>
      getGraph(deps, pathParams(event, graphPath)),
    ),
    ...bothTrees('DELETE', '/{projectId}/graphs/{graphId}', async (event) =>
      deleteGraph(deps, {
        ...pathParams(event, graphPath),
        ...queryParams(event, deleteGraphQuery),
        requestId: event.requestContext.requestId,
      }),
    ),
    'POST /v1.0/{projectId}/graphs/{graphId}/action': async (event, version, context) => {
      pathParams(event, graphPath);
      const { action_id } = queryParams(event, graphActionQuery);
      if (action_id === 'stop') return stop(event, version, context);
      if (action_id === 'start') return start(event, version, context);
      throw new GesError('GES.7048');
    },
    'POST /v2/{projectId}/graphs/{graphId}/stop': stop,
    'POST /v2/{projectId}/graphs/{graphId}/start': start,
  },
  authenticate,
);
