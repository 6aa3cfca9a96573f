import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DependencyUnavailable, GesError, jobNotFound, RouteNotFound } from '../../lib/core/errors.js';
import { graphPath, pageQuery } from '../../lib/http/params.js';
import { jsonBody, MAX_BODY_BYTES, pathParams, queryParams } from '../../lib/http/request.js';
import { errorResponse } from '../../lib/http/responses.js';

const event = (over: Partial<APIGatewayProxyEventV2>): APIGatewayProxyEventV2 =>
  ({ headers: {}, rawPath: '/v1.0/p/graphs', ...over }) as APIGatewayProxyEventV2;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as GesError).code;
  }
  return 'no error';
};

describe('errorResponse', () => {
  it('answers a business error with its code and status in the v1 shape', () => {
    const { response, internal } = errorResponse(new GesError('GES.7002'), 'v1');
    expect(response).toMatchObject({ statusCode: 400 });
    expect(JSON.parse((response as { body: string }).body)).toEqual({
      errorCode: 'GES.7002',
      errorMessage: 'The graph is being backed up.',
    });
    expect(internal).toBe(false);
  });

  it('answers in the v2 shape on the v2 tree', () => {
    const { response } = errorResponse(jobNotFound('abc'), 'v2');
    expect(JSON.parse((response as { body: string }).body)).toEqual({
      error_code: 'GES.8301',
      error_msg: 'can not find job, jobId is abc',
    });
  });

  it('answers 503 when a dependency is down, and 404 for an unknown route', () => {
    expect(errorResponse(new DependencyUnavailable('SQS'), 'v1').response).toMatchObject({ statusCode: 503 });
    expect(errorResponse(new RouteNotFound(), 'v1').response).toMatchObject({ statusCode: 404 });
  });

  it('answers an operation it does not serve with a GES 404 body in the tree of the path', () => {
    const body = (version: 'v1' | 'v2') =>
      JSON.parse(
        (errorResponse(new RouteNotFound('GET /v2/p/graphs/metadatas'), version).response as { body: string })
          .body,
      );
    const message =
      'The API does not exist or has not been published in the environment: this service does not support GET /v2/p/graphs/metadatas.';
    expect(body('v2')).toEqual({ error_code: 'APIGW.0101', error_msg: message });
    expect(body('v1')).toEqual({ errorCode: 'APIGW.0101', errorMessage: message });
  });

  it('hides an unknown fault behind a generic 500 and flags it for the log', () => {
    const { response, internal } = errorResponse(new Error('secret table name in stack'), 'v1');
    expect(response).toMatchObject({ statusCode: 500 });
    expect((response as { body: string }).body).not.toContain('secret');
    expect(internal).toBe(true);
  });
});

describe('request parsing', () => {
  it('refuses a malformed graph id with GES.0001', () => {
    expect(
      codeOf(() => pathParams(event({ pathParameters: { projectId: 'p', graphId: 'x' } }), graphPath)),
    ).toBe('GES.0001');
  });

  it('refuses a project id with other characters than letters and digits', () => {
    const graphId = '00000000-0000-4000-8000-000000000000';
    expect(
      codeOf(() => pathParams(event({ pathParameters: { projectId: 'a-b', graphId } }), graphPath)),
    ).toBe('GES.0001');
  });

  it('defaults paging and refuses limits out of 1–100', () => {
    expect(queryParams(event({}), pageQuery)).toEqual({ offset: 0, limit: 10 });
    expect(codeOf(() => queryParams(event({ queryStringParameters: { limit: '101' } }), pageQuery))).toBe(
      'GES.0001',
    );
    expect(codeOf(() => queryParams(event({ queryStringParameters: { offset: '-1' } }), pageQuery))).toBe(
      'GES.0001',
    );
  });

  const schema = z.object({ a: z.number() });
  const withBody = (body: string, contentType = 'application/json') =>
    event({ body, headers: { 'content-type': contentType } });

  it('parses a JSON body that fits its schema', () => {
    expect(jsonBody(withBody('{"a":1}'), schema)).toEqual({ a: 1 });
  });

  it.each([
    ['a body that is not JSON', withBody('{"a":')],
    ['a body of the wrong type', withBody('{"a":"1"}')],
    ['a wrong content type', withBody('{"a":1}', 'text/plain')],
    ['a body over the limit', withBody(`{"a":1,"pad":"${'x'.repeat(MAX_BODY_BYTES)}"}`)],
  ])('refuses %s with GES.7016', (_, e) => {
    expect(codeOf(() => jsonBody(e, schema))).toBe('GES.7016');
  });
});
