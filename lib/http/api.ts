import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { RouteNotFound } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { type Authenticator, authorize } from './authenticate.js';
import { type ApiVersion, apiVersionOf, errorResponse, json } from './responses.js';
import { onTheWire } from './wire.js';

/**
 * A route answers 200 with the object it returns (in v1 spelling: the v2 tree gets it in snake_case),
 * or throws.
 */
export type Route = (
  event: APIGatewayProxyEventV2,
  version: ApiVersion,
  context: Context,
) => Promise<unknown>;

/**
 * An HTTP API Lambda serving a few routes, keyed by API Gateway's `routeKey`
 * (`"GET /v1.0/{projectId}/graphs"`): exactly those `declared` for it in `functions/routes.json`,
 * from which serverless.yml's events are made, or it fails at init. Every route needs an X-Auth-Token
 * or an AK/SK signature for the path's project (an admin's, with `requires: 'admin'`), checked before
 * anything is read. The error mapping is the last middleware, so nothing escapes it.
 *
 * Ours rather than Powertools' event-handler `Router`: API Gateway has already matched the route and
 * names it in `routeKey`, so a table keyed by it needs no second path matcher, and the table can be
 * checked against `functions/routes.json`; the Router matches the raw path again, and its HTTP API
 * (payload 2.0) support was still an open request (powertools-lambda-typescript#4713) when we looked.
 *
 * The token is verified here rather than in an API Gateway Lambda authorizer: an HTTP API authorizer
 * can only answer a bare 401 or 403, and GES clients expect the APIGW.0301 and GES.7041 bodies.
 */
export function httpApi(
  declared: readonly string[],
  routes: Record<string, Route>,
  authenticate: Authenticator,
  options: { requires?: 'admin' } = {},
) {
  const served = Object.keys(routes).sort().join('\n');
  if (served !== [...declared].sort().join('\n')) {
    throw new Error(`the routes served are not those declared in functions/routes.json:\n${served}`);
  }
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: async ({ event }) => {
        logger.appendKeys({ requestId: event.requestContext?.requestId, route: event.routeKey });
      },
      onError: async (request) => {
        const { response, internal } = errorResponse(
          request.error,
          apiVersionOf(request.event.rawPath ?? ''),
        );
        if (internal) logger.error('request failed', { error: request.error as Error });
        request.response = response;
      },
    })
    .handler(async (event, context) => {
      const route = routes[event.routeKey];
      if (!route) throw new RouteNotFound();
      const principal = await authenticate(event);
      if (principal.accessKeyId) logger.appendKeys({ accessKeyId: principal.accessKeyId });
      authorize(principal, event, options.requires);
      const version = apiVersionOf(event.rawPath);
      return json(200, onTheWire(await route(event, version, context), version));
    });
}

/** The same route on both trees: `/v1.0{path}` and `/v2{path}` (v2 may name its own path). */
export function bothTrees(method: string, path: string, route: Route, v2Path = path): Record<string, Route> {
  return { [`${method} /v1.0${path}`]: route, [`${method} /v2${v2Path}`]: route };
}
