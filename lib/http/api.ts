import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { logger } from '../logger.js';
import { apiVersionOf, errorResponse, json, RouteNotFound } from './responses.js';

/** A route answers 200 with the object it returns, or throws. */
export type Route = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/**
 * An HTTP API Lambda serving a few routes, keyed by API Gateway's `routeKey`
 * (`"GET /v1.0/{projectId}/graphs"`). The error mapping is the last middleware, so nothing escapes it.
 */
export function httpApi(routes: Record<string, Route>) {
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
      return json(200, await route(event, context));
    });
}
