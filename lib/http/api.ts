import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { type Authenticator, authorize } from '../auth/authenticate.js';
import { logger } from '../logger.js';
import { type ApiVersion, apiVersionOf, errorResponse, json, RouteNotFound } from './responses.js';
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
 * (`"GET /v1.0/{projectId}/graphs"`). Every route needs an X-Auth-Token for the path's project,
 * checked before anything is read. The error mapping is the last middleware, so nothing escapes it.
 *
 * The token is verified here rather than in an API Gateway Lambda authorizer: an HTTP API authorizer
 * can only answer a bare 401 or 403, and GES clients expect the APIGW.0301 and GES.7041 bodies.
 */
export function httpApi(routes: Record<string, Route>, authenticate: Authenticator) {
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
      authorize(await authenticate(event), event);
      const version = apiVersionOf(event.rawPath);
      return json(200, onTheWire(await route(event, version, context), version));
    });
}

/** The same route on both trees: `/v1.0{path}` and `/v2{path}` (v2 may name its own path). */
export function bothTrees(method: string, path: string, route: Route, v2Path = path): Record<string, Route> {
  return { [`${method} /v1.0${path}`]: route, [`${method} /v2${v2Path}`]: route };
}
