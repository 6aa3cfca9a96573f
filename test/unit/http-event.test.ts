import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { bothTrees, httpApi } from '../../lib/http/api.js';
import { isRestEvent, toHttpApiEvent, toRestResult } from '../../lib/http/event.js';

/**
 * The two events an API function gets, shaped as API Gateway sends them (the AWS documentation's
 * samples, with our paths): a REST API's Lambda proxy event (payload 1.0, the localstack stage) and
 * an HTTP API's (payload 2.0, aws and local).
 */
const restEvent = (over: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent => ({
  resource: '/v1.0/{projectId}/graphs/{graphId}/backups',
  path: '/v1.0/p1/graphs/0b4c3c4e-8f1a-4b55-9d1e-2c1d6a7e9f00/backups',
  httpMethod: 'GET',
  headers: {
    Accept: '*/*',
    'Content-Type': 'application/json',
    Host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'curl/8.5.0',
    'X-Amzn-Trace-Id': 'Root=1-5e66d96f-7491f09xmpl79d18acf3d050',
    'X-Auth-Token': 'token-1',
    'X-Forwarded-For': '52.255.255.12',
  },
  multiValueHeaders: {
    Accept: ['*/*'],
    'Content-Type': ['application/json'],
    Host: ['abc123.execute-api.us-east-1.amazonaws.com'],
    'User-Agent': ['curl/8.5.0'],
    'X-Amzn-Trace-Id': ['Root=1-5e66d96f-7491f09xmpl79d18acf3d050'],
    'X-Auth-Token': ['token-1'],
    'X-Forwarded-For': ['52.255.255.12'],
    'X-Tag': ['a', 'b'],
  },
  queryStringParameters: { limit: '5', tag: 'y' },
  multiValueQueryStringParameters: { limit: ['5'], tag: ['x', 'y'] },
  pathParameters: { projectId: 'p1', graphId: '0b4c3c4e-8f1a-4b55-9d1e-2c1d6a7e9f00' },
  stageVariables: null,
  requestContext: {
    resourceId: '2gxmpl',
    resourcePath: '/v1.0/{projectId}/graphs/{graphId}/backups',
    httpMethod: 'GET',
    extendedRequestId: 'JJbxmplHYosFVYQ=',
    requestTime: '10/Mar/2020:00:03:59 +0000',
    path: '/localstack/v1.0/p1/graphs/0b4c3c4e-8f1a-4b55-9d1e-2c1d6a7e9f00/backups',
    accountId: '123456789012',
    protocol: 'HTTP/1.1',
    stage: 'localstack',
    domainPrefix: 'abc123',
    requestTimeEpoch: 1583798639428,
    requestId: '77375676-xmpl-4b79-853a-f982474efe18',
    identity: {
      cognitoIdentityPoolId: null,
      accountId: null,
      cognitoIdentityId: null,
      caller: null,
      sourceIp: '52.255.255.12',
      principalOrgId: null,
      accessKey: null,
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      userArn: null,
      userAgent: 'curl/8.5.0',
      user: null,
      apiKey: null,
      apiKeyId: null,
      clientCert: null,
    },
    domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
    apiId: 'abc123',
    authorizer: undefined,
  },
  body: null,
  isBase64Encoded: false,
  ...over,
});

const httpApiEvent = (): APIGatewayProxyEventV2 => ({
  version: '2.0',
  routeKey: 'GET /v1.0/{projectId}/graphs/{graphId}/backups',
  rawPath: '/v1.0/p1/graphs/0b4c3c4e-8f1a-4b55-9d1e-2c1d6a7e9f00/backups',
  rawQueryString: 'limit=5&tag=x&tag=y',
  headers: {
    accept: '*/*',
    'content-type': 'application/json',
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'user-agent': 'curl/8.5.0',
    'x-auth-token': 'token-1',
  },
  queryStringParameters: { limit: '5', tag: 'x,y' },
  pathParameters: { projectId: 'p1', graphId: '0b4c3c4e-8f1a-4b55-9d1e-2c1d6a7e9f00' },
  requestContext: {
    accountId: '123456789012',
    apiId: 'abc123',
    domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
    domainPrefix: 'abc123',
    http: {
      method: 'GET',
      path: '/v1.0/p1/graphs/0b4c3c4e-8f1a-4b55-9d1e-2c1d6a7e9f00/backups',
      protocol: 'HTTP/1.1',
      sourceIp: '52.255.255.12',
      userAgent: 'curl/8.5.0',
    },
    requestId: 'JKJaXmPLvHcESHA=',
    routeKey: 'GET /v1.0/{projectId}/graphs/{graphId}/backups',
    stage: '$default',
    time: '10/Mar/2020:05:16:23 +0000',
    timeEpoch: 1583817383220,
  },
  isBase64Encoded: false,
});

describe('toHttpApiEvent', () => {
  it('gives a REST event the route key, path, method and request id the routes read', () => {
    const v2 = toHttpApiEvent(restEvent());
    expect(v2.routeKey).toBe('GET /v1.0/{projectId}/graphs/{graphId}/backups');
    expect(v2.rawPath).toBe('/v1.0/p1/graphs/0b4c3c4e-8f1a-4b55-9d1e-2c1d6a7e9f00/backups');
    expect(v2.requestContext.http.method).toBe('GET');
    expect(v2.requestContext.requestId).toBe('77375676-xmpl-4b79-853a-f982474efe18');
    expect(v2.requestContext.routeKey).toBe(v2.routeKey);
    expect(v2.requestContext.http.sourceIp).toBe('52.255.255.12');
    expect(v2.pathParameters).toEqual({ projectId: 'p1', graphId: '0b4c3c4e-8f1a-4b55-9d1e-2c1d6a7e9f00' });
  });

  it('lower-cases header names and joins repeated headers and query values with commas', () => {
    const v2 = toHttpApiEvent(restEvent());
    expect(v2.headers['x-auth-token']).toBe('token-1');
    expect(v2.headers['content-type']).toBe('application/json');
    expect(v2.headers['x-tag']).toBe('a,b');
    expect(Object.keys(v2.headers).every((name) => name === name.toLowerCase())).toBe(true);
    // The single-value map keeps the last value only: the multi-value one is the truth.
    expect(v2.queryStringParameters).toEqual({ limit: '5', tag: 'x,y' });
    expect(v2.rawQueryString).toBe('limit=5&tag=x&tag=y');
  });

  it('reads the single-value maps when a REST event has no multi-value ones', () => {
    const v2 = toHttpApiEvent(
      restEvent({
        headers: { 'X-Auth-Token': 't' },
        multiValueHeaders: {},
        queryStringParameters: { offset: '2' },
        multiValueQueryStringParameters: null,
      }),
    );
    expect(v2.headers).toEqual({ 'x-auth-token': 't' });
    expect(v2.queryStringParameters).toEqual({ offset: '2' });
  });

  it('leaves absent maps and bodies absent, not null, and keeps a body and its encoding', () => {
    const bare = toHttpApiEvent(
      restEvent({
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: null,
      }),
    );
    expect(bare.queryStringParameters).toBeUndefined();
    expect(bare.pathParameters).toBeUndefined();
    expect(bare.body).toBeUndefined();
    const posted = toHttpApiEvent(
      restEvent({ httpMethod: 'POST', body: 'eyJhIjoxfQ==', isBase64Encoded: true }),
    );
    expect(posted.routeKey).toBe('POST /v1.0/{projectId}/graphs/{graphId}/backups');
    expect(posted).toMatchObject({ body: 'eyJhIjoxfQ==', isBase64Encoded: true });
  });

  it('passes an HTTP API event through as it is', () => {
    const event = httpApiEvent();
    expect(isRestEvent(event)).toBe(false);
    expect(isRestEvent(restEvent())).toBe(true);
    expect(toHttpApiEvent(event)).toBe(event);
  });

  it('makes from both kinds the same request for the routes', () => {
    const pick = (e: APIGatewayProxyEventV2) => ({
      routeKey: e.routeKey,
      rawPath: e.rawPath,
      method: e.requestContext.http.method,
      pathParameters: e.pathParameters,
      queryStringParameters: e.queryStringParameters,
      token: e.headers['x-auth-token'],
      contentType: e.headers['content-type'],
    });
    expect(pick(toHttpApiEvent(restEvent()))).toEqual(pick(httpApiEvent()));
  });
});

describe('toRestResult', () => {
  it('keeps status, headers and body, and spells out what only an HTTP API infers', () => {
    const full = { statusCode: 400, headers: { 'content-type': 'application/json' }, body: '{"a":1}' };
    expect(toRestResult(full)).toEqual(full);
    expect(toRestResult('plain')).toEqual({ statusCode: 200, body: 'plain' });
    expect(toRestResult({ statusCode: 204, cookies: ['a=1'] })).toEqual({
      statusCode: 204,
      body: '',
      multiValueHeaders: { 'set-cookie': ['a=1'] },
    });
  });
});

describe('an API function behind a REST API', () => {
  const context = { functionName: 'backups', awsRequestId: 'r-1' } as Context;
  const seen: { token?: string; method?: string }[] = [];
  const handler = httpApi(
    ['GET /v1.0/{projectId}/graphs/{graphId}/backups', 'GET /v2/{projectId}/graphs/{graphId}/backups'],
    bothTrees('GET', '/{projectId}/graphs/{graphId}/backups', async (event) => ({
      graphId: event.pathParameters?.graphId,
      limit: event.queryStringParameters?.limit,
    })),
    async (event) => {
      seen.push({ token: event.headers['x-auth-token'], method: event.requestContext.http.method });
      if (!event.headers['x-auth-token']) throw new Error('no token');
      return { projectId: 'p1', roles: ['admin'] };
    },
  );

  it('routes it by method and resource, authenticates it, and answers in the REST shape', async () => {
    seen.length = 0;
    const result = await handler(restEvent(), context);
    expect(seen).toEqual([{ token: 'token-1', method: 'GET' }]);
    expect(result).toEqual({
      statusCode: 200,
      // Every answer names its request (the id the logs carry).
      headers: { 'content-type': 'application/json', 'x-request-id': expect.any(String) },
      body: JSON.stringify({ graphId: '0b4c3c4e-8f1a-4b55-9d1e-2c1d6a7e9f00', limit: '5' }),
    });
  });

  it('answers the v2 tree in its own shape, and another project 403 GES.7041', async () => {
    const v2 = await handler(
      restEvent({
        resource: '/v2/{projectId}/graphs/{graphId}/backups',
        path: '/v2/p1/graphs/0b4c3c4e-8f1a-4b55-9d1e-2c1d6a7e9f00/backups',
        multiValueQueryStringParameters: null,
        queryStringParameters: null,
      }),
      context,
    );
    expect(v2).toMatchObject({ statusCode: 200 });
    const other = await handler(
      restEvent({ pathParameters: { projectId: 'p2', graphId: '0b4c3c4e-8f1a-4b55-9d1e-2c1d6a7e9f00' } }),
      context,
    );
    expect(other).toMatchObject({ statusCode: 403 });
    expect(JSON.parse((other as { body: string }).body)).toMatchObject({ errorCode: 'GES.7041' });
  });

  it('answers a REST event for a route it does not serve 404, and an HTTP API event as before', async () => {
    const unknown = await handler(restEvent({ resource: '/v1.0/{projectId}/graphs' }), context);
    expect(unknown).toMatchObject({ statusCode: 404 });
    expect(await handler(httpApiEvent(), context)).toMatchObject({ statusCode: 200 });
  });
});
