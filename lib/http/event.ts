import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyResultV2,
} from 'aws-lambda';

/**
 * The two events an API function receives: an HTTP API's (payload 2.0, the `aws` and `local` stages)
 * and a REST API's Lambda proxy event (payload 1.0, the `localstack` stage: LocalStack's free edition
 * has API Gateway V1 only, see localstack/coverage.json).
 */
export type ApiEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent;

/** A REST API event: it names the method and the matched resource, and has no `routeKey`. */
export function isRestEvent(event: ApiEvent): event is APIGatewayProxyEvent {
  return (
    (event as { version?: string }).version !== '2.0' &&
    typeof (event as APIGatewayProxyEvent).httpMethod === 'string' &&
    typeof (event as APIGatewayProxyEvent).resource === 'string'
  );
}

/**
 * The HTTP API shape of any API event: the one shape the routes read. A REST event's route is
 * `${httpMethod} ${resource}` (`"GET /v1.0/{projectId}/graphs"`, as functions/routes.json spells it),
 * its header names lower-cased, repeated headers and query parameters joined with commas, as an HTTP
 * API does; missing maps are absent rather than null. A v2 event passes through untouched.
 */
export function toHttpApiEvent(event: ApiEvent): APIGatewayProxyEventV2 {
  if (!isRestEvent(event)) return event;
  const routeKey = `${event.httpMethod} ${event.resource}`;
  const headers = joined(event.multiValueHeaders, event.headers, (name) => name.toLowerCase());
  const query = joined(event.multiValueQueryStringParameters, event.queryStringParameters, (name) => name);
  const context = event.requestContext;
  return {
    version: '2.0',
    routeKey,
    rawPath: event.path,
    rawQueryString: rawQuery(event.multiValueQueryStringParameters, event.queryStringParameters),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(event.pathParameters ? { pathParameters: definedOnly(event.pathParameters) } : {}),
    ...(event.stageVariables ? { stageVariables: definedOnly(event.stageVariables) } : {}),
    ...(event.body !== null && event.body !== undefined ? { body: event.body } : {}),
    isBase64Encoded: event.isBase64Encoded ?? false,
    requestContext: {
      accountId: context?.accountId ?? '',
      apiId: context?.apiId ?? '',
      domainName: context?.domainName ?? headers.host ?? '',
      domainPrefix: context?.domainPrefix ?? '',
      http: {
        method: event.httpMethod,
        path: event.path,
        protocol: context?.protocol ?? 'HTTP/1.1',
        sourceIp: context?.identity?.sourceIp ?? '',
        userAgent: context?.identity?.userAgent ?? headers['user-agent'] ?? '',
      },
      requestId: context?.requestId ?? '',
      routeKey,
      stage: context?.stage ?? '',
      time: context?.requestTime ?? '',
      timeEpoch: context?.requestTimeEpoch ?? 0,
    },
  };
}

/**
 * What a REST API's Lambda proxy integration accepts: `statusCode`, `headers` and a string `body`.
 * An HTTP API also takes a bare string or object as a 200, and `cookies`: those are made explicit.
 */
export function toRestResult(result: APIGatewayProxyResultV2): APIGatewayProxyResult {
  if (typeof result === 'string') return { statusCode: 200, body: result };
  if (!result || typeof result !== 'object' || !('statusCode' in result) || result.statusCode === undefined) {
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  }
  const { cookies, headers, statusCode, body, isBase64Encoded } = result;
  return {
    statusCode,
    body: body ?? '',
    ...(headers ? { headers } : {}),
    ...(cookies?.length ? { multiValueHeaders: { 'set-cookie': cookies } } : {}),
    ...(isBase64Encoded !== undefined ? { isBase64Encoded } : {}),
  };
}

type Single = Record<string, string | undefined> | null | undefined;
type Multi = Record<string, string[] | undefined> | null | undefined;

/** The multi-value map (all the values, joined with commas), or else the single-value one. */
function joined(multi: Multi, single: Single, name: (key: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, values] of Object.entries(multi ?? {})) {
    if (values?.length)
      out[name(key)] = out[name(key)] ? `${out[name(key)]},${values.join(',')}` : values.join(',');
  }
  for (const [key, value] of Object.entries(single ?? {})) {
    if (value !== undefined && !(name(key) in out)) out[name(key)] = value;
  }
  return out;
}

function rawQuery(multi: Multi, single: Single): string {
  const pairs: [string, string][] = multi
    ? Object.entries(multi).flatMap(([key, values]) => (values ?? []).map((v): [string, string] => [key, v]))
    : Object.entries(single ?? {}).flatMap(([key, v]) =>
        v === undefined ? [] : [[key, v] as [string, string]],
      );
  return new URLSearchParams(pairs).toString();
}

function definedOnly(map: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).filter((e): e is [string, string] => e[1] !== undefined));
}
