import { describe, expect, inject, it } from 'vitest';
import { call, graphWith, tokenFor } from './client.js';

/**
 * What GES's management API has and this service does not serve answers as GES would: a GES error
 * body (APIGW.0101, 404) in the spelling of its tree, never API Gateway's bare `{"message":"Not
 * Found"}`, and without asking who calls. Every answer carries X-Request-Id.
 */
const PROJECT = 'notserved';
const notSupported = (method: string, path: string) => {
  const message = `The API does not exist or has not been published in the environment: this service does not support ${method} ${path.split('?')[0]}.`;
  return {
    status: 404,
    body: path.startsWith('/v2/')
      ? { error_code: 'APIGW.0101', error_msg: message }
      : { errorCode: 'APIGW.0101', errorMessage: message },
  };
};

describe('paths this service does not serve', () => {
  it.each([
    ['GET', `/v2/${PROJECT}/graphs/metadatas`],
    ['GET', `/v1.0/${PROJECT}/graphs/metadatas?offset=0`],
    ['POST', `/v2/${PROJECT}/graphs/scenes`],
    ['GET', `/v1.0/${PROJECT}/graphs/scenes`],
    ['DELETE', `/v2/${PROJECT}/graphs/jobs`],
    ['DELETE', `/v1.0/${PROJECT}/graphs/backups`],
    ['POST', `/v2/${PROJECT}/graphs/quotas/backups`],
    ['PUT', `/v1.0/${PROJECT}/graphs`],
    ['PATCH', `/v2/${PROJECT}/graphs/00000000-0000-4000-8000-000000000000`],
    ['GET', `/v2/${PROJECT}/graphs/00000000-0000-4000-8000-000000000000/resize`],
    ['POST', `/v1.0/${PROJECT}/graphs/tags/action`],
    ['GET', '/v3/whatever'],
    ['GET', '/'],
  ])('%s %s answers a GES 404, with or without a token', async (method, path) => {
    const token = await tokenFor(PROJECT);
    expect(await call(method, path, { token })).toEqual(notSupported(method, path));
    expect(await call(method, path, { token: null })).toEqual(notSupported(method, path));
  });

  it('never reads a reserved word under /graphs/ as a graph id, whatever the method', async () => {
    const token = await tokenFor(PROJECT);
    for (const word of ['metadatas', 'scenes', 'backups', 'jobs', 'quotas']) {
      for (const method of ['GET', 'DELETE']) {
        const path = `/v2/${PROJECT}/graphs/${word}`;
        const reply = await call(method, path, { token });
        if (method === 'GET' && ['backups', 'jobs', 'quotas'].includes(word)) {
          expect(reply.status, path).toBe(200);
        } else {
          expect(reply, `${method} ${path}`).toEqual(notSupported(method, path));
        }
      }
    }
  });
});

describe('X-Request-Id', () => {
  it('is on every answer, success, refusal, error or not served, and differs per request', async () => {
    const token = await tokenFor(PROJECT);
    const { graphId } = await graphWith(PROJECT);
    const base = inject('baseUrl');
    const requests: [string, string, Record<string, string>][] = [
      ['GET', `/v1.0/${PROJECT}/graphs/${graphId}`, { 'x-auth-token': token }],
      ['GET', `/v2/${PROJECT}/graphs/nope`, { 'x-auth-token': token }],
      ['GET', `/v2/${PROJECT}/graphs`, {}],
      ['GET', `/v2/other/graphs`, { 'x-auth-token': token }],
      ['GET', `/v2/${PROJECT}/graphs/metadatas`, {}],
    ];
    const statuses: number[] = [];
    const ids = new Set<string>();
    for (const [method, path, headers] of requests) {
      const response = await fetch(base + path, { method, headers });
      statuses.push(response.status);
      const id = response.headers.get('x-request-id');
      expect(id, path).toMatch(/^\S{8,}$/);
      ids.add(id as string);
    }
    expect(statuses).toEqual([200, 400, 401, 403, 404]);
    expect(ids.size).toBe(requests.length);
  });
});
