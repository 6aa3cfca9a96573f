import { apiAuthenticator } from '../lib/composition/access-keys.js';
import { queueDeps } from '../lib/composition/queue.js';
import { recordDeps } from '../lib/composition/records.js';
import { parseConfig } from '../lib/core/config.js';
import { GesError } from '../lib/core/errors.js';
import { bothTrees, httpApi, type Route } from '../lib/http/api.js';
import {
  createGraphBody,
  deleteGraphQuery,
  graphActionQuery,
  graphPath,
  pageQuery,
  projectPath,
  startBody,
  supportedGraph,
} from '../lib/http/params.js';
import { jsonBody, optionalJsonBody, pathParams, queryParams } from '../lib/http/request.js';
import type {
  CreateGraphAnswer,
  GraphAnswer,
  GraphListView,
  JobIdAnswer,
} from '../lib/http/response-schemas.js';
import { graphView } from '../lib/http/views.js';
import { deleteGraph } from '../lib/operations/delete-graph/delete-graph.js';
import { createGraph, getGraph, listGraphs } from '../lib/operations/graphs/graphs.js';
import { startGraph, stopGraph } from '../lib/operations/graphs/lifecycle.js';
import { restoreGraph } from '../lib/operations/restore/restore-graph.js';
import routes from './routes.json' with { type: 'json' };

const config = parseConfig();
const deps = { ...recordDeps(config), ...queueDeps(config) };

const stop: Route = async (event) =>
  (await stopGraph(deps, pathParams(event, graphPath))) satisfies JobIdAnswer;
/** Start, with the graph's own data or, given a backup, with the backup's (a restore). */
const start: Route = async (event) => {
  const ids = pathParams(event, graphPath);
  const backupId = optionalJsonBody(event, startBody)?.graph_backup_id;
  return (
    backupId
      ? await restoreGraph(deps, { ...ids, backupId, requestId: event.requestContext.requestId })
      : await startGraph(deps, ids)
  ) satisfies JobIdAnswer;
};

export const handler = httpApi(
  routes.graphs,
  {
    ...bothTrees('POST', '/{projectId}/graphs', async (event) => {
      const { projectId } = pathParams(event, projectPath);
      const { graph, jobId } = await createGraph(deps, {
        projectId,
        name: supportedGraph(jsonBody(event, createGraphBody)).name,
      });
      return { id: graph.graphId, name: graph.name, jobId } satisfies CreateGraphAnswer;
    }),
    ...bothTrees('GET', '/{projectId}/graphs', async (event) => {
      const { total, graphs } = await listGraphs(deps, {
        ...pathParams(event, projectPath),
        ...queryParams(event, pageQuery),
      });
      return { graphCount: total, graphs: graphs.map(graphView) } satisfies GraphListView;
    }),
    ...bothTrees(
      'GET',
      '/{projectId}/graphs/{graphId}',
      async (event) =>
        ({ graph: graphView(await getGraph(deps, pathParams(event, graphPath))) }) satisfies GraphAnswer,
    ),
    ...bothTrees(
      'DELETE',
      '/{projectId}/graphs/{graphId}',
      async (event) =>
        (await deleteGraph(deps, {
          ...pathParams(event, graphPath),
          ...queryParams(event, deleteGraphQuery),
          requestId: event.requestContext.requestId,
        })) satisfies JobIdAnswer,
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
  apiAuthenticator(deps),
);
