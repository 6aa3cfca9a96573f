import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { RouteNotFound } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { type Authenticator, authorize } from './authenticate.js';
import { type ApiEvent, isRestEvent, toHttpApiEvent, toRestResult } from './event.js';
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
 * It takes a REST API's proxy event too (the `localstack` stage): `toHttpApiEvent` turns it into the
 * HTTP API shape the routes read, and the answer goes back in the REST shape.
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
  return eitherApi(
    gesEdge().handler(async (event, context) => {
      const route = routes[event.routeKey];
      if (!route) throw new RouteNotFound(requestLine(event));
      // `/graphs/jobs` is never graph "jobs" (a method GES has there and we do not serve, say).
      if (RESERVED_UNDER_GRAPHS.has(event.pathParameters?.graphId ?? '')) {
        throw new RouteNotFound(requestLine(event));
      }
      const principal = await authenticate(event);
      if (principal.accessKeyId) logger.appendKeys({ accessKeyId: principal.accessKeyId });
      authorize(principal, event, options.requires);
      const version = apiVersionOf(event.rawPath);
      return json(200, onTheWire(await route(event, version, context), version));
    }),
  );
}

/** A handler of HTTP API events that also takes a REST API's, answering each in its own shape. */
function eitherApi(
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>,
) {
  return async (event: ApiEvent, context: Context): Promise<APIGatewayProxyResultV2> => {
    const result = await handler(toHttpApiEvent(event), context);
    return isRestEvent(event) ? toRestResult(result) : result;
  };
}

/**
 * The words GES's management API puts right under `/graphs/` (`/graphs/backups`, `/graphs/jobs`,
 * `/graphs/metadatas`, ...): whatever method comes with them, they are never read as a graph id.
 */
export const RESERVED_UNDER_GRAPHS = new Set([
  'backups',
  'jobs',
  'quotas',
  'metadatas',
  'metadata',
  'scenes',
  'specs',
  'tags',
  'import',
  'export',
  'action',
  'access-keys',
]);

const requestLine = (event: APIGatewayProxyEventV2) =>
  `${event.requestContext?.http?.method ?? '?'} ${event.rawPath ?? ''}`;

/**
 * serverless-offline (the local stack) gives every request this same API Gateway request id; there
 * Lambda's own request id, unique, stands in, so that X-Request-Id, the logs and the jobs still name
 * one request each.
 */
const OFFLINE_PLACEHOLDER_ID = 'offlineContext_resourceId';

/**
 * What every HTTP function shares: the logger with the request id, every answer carrying it as
 * X-Request-Id (the id the logs carry), and the error mapping as the last middleware, so nothing
 * escapes it.
 */
function gesEdge() {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: async ({ event, context }) => {
        if (event.requestContext && event.requestContext.requestId === OFFLINE_PLACEHOLDER_ID) {
          event.requestContext.requestId = context.awsRequestId;
        }
        logger.appendKeys({ requestId: event.requestContext?.requestId, route: event.routeKey });
      },
      after: async (request) => {
        request.response = withRequestId(request.response, request.event);
      },
      onError: async (request) => {
        const { response, internal } = errorResponse(
          request.error,
          apiVersionOf(request.event.rawPath ?? ''),
        );
        if (internal) logger.error('request failed', { error: request.error as Error });
        request.response = withRequestId(response, request.event);
      },
    });
}

function withRequestId(
  response: APIGatewayProxyResultV2 | undefined,
  event: APIGatewayProxyEventV2,
): APIGatewayProxyStructuredResultV2 {
  const structured = (response ?? {}) as APIGatewayProxyStructuredResultV2;
  const requestId = event.requestContext?.requestId;
  return {
    ...structured,
    headers: { ...structured.headers, ...(requestId && { 'x-request-id': requestId }) },
  };
}

/**
 * The catch-all (API Gateway's `$default` route): every path and method no function serves gets the
 * GES 404 body for its tree. It authenticates nothing and reads nothing.
 */
export function notServed() {
  return eitherApi(
    gesEdge().handler(async (event) => {
      throw new RouteNotFound(requestLine(event));
    }),
  );
}

/** The same route on both trees: `/v1.0{path}` and `/v2{path}` (v2 may name its own path). */
export function bothTrees(method: string, path: string, route: Route, v2Path = path): Record<string, Route> {
  return { [`${method} /v1.0${path}`]: route, [`${method} /v2${v2Path}`]: route };
}
