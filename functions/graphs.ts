import { z } from 'zod';
import { createDeps } from '../lib/deps.js';
import { createGraph, getGraph, listGraphs } from '../lib/graphs/graphs.js';
import { httpApi } from '../lib/http/api.js';
import { graphPath, pageQuery, projectPath } from '../lib/http/params.js';
import { jsonBody, pathParams, queryParams } from '../lib/http/request.js';
import { graphNameSchema } from '../lib/ids.js';

const deps = createDeps();
const createBody = z.object({ graph: z.object({ name: graphNameSchema }) });

export const handler = httpApi({
  'POST /v1.0/{projectId}/graphs': async (event) => {
    const { projectId } = pathParams(event, projectPath);
    const { graph } = jsonBody(event, createBody);
    return createGraph(deps, { projectId, name: graph.name });
  },
  'GET /v1.0/{projectId}/graphs': async (event) =>
    listGraphs(deps, { ...pathParams(event, projectPath), ...queryParams(event, pageQuery) }),
  'GET /v1.0/{projectId}/graphs/{graphId}': async (event) => getGraph(deps, pathParams(event, graphPath)),
});
