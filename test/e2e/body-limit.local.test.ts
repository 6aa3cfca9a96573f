import { describe, expect, it } from 'vitest';
import { call, tokenFor } from './client.js';

/**
 * A body over the HTTP server's own limit (10 MiB, serverless-offline's hapi here, API Gateway on AWS)
 * never reaches a function: the local stack answers it as GES answers an oversized body, 400 GES.7016
 * in the spelling of the path's tree (serverless/offline-body-limit.cjs), as the functions answer one
 * between Lambda's 6 MB and that limit. Local only: an HTTP API on AWS answers 413 itself, and its
 * answer cannot be changed (README, "Limits").
 */
const PROJECT = 'bodylimit';
const MESSAGE = 'The request body or header is invalid. The body is too large.';
const over10MiB = JSON.stringify({ graph: { name: 'a'.repeat(10 * 2 ** 20 + 1) } });
const over6MB = JSON.stringify({ graph: { name: 'a'.repeat(6.5 * 2 ** 20) } });

describe('a request body over the size limits', () => {
  it('over 10 MiB: 400 GES.7016 in the v1 spelling on /v1.0, not the HTTP server’s own 413', async () => {
    const reply = await call('POST', `/v1.0/${PROJECT}/graphs`, {
      token: await tokenFor(PROJECT),
      body: over10MiB,
    });
    expect(reply).toEqual({ status: 400, body: { errorCode: 'GES.7016', errorMessage: MESSAGE } });
  });

  it('over 10 MiB: 400 GES.7016 in the v2 spelling on /v2', async () => {
    const reply = await call('POST', `/v2/${PROJECT}/graphs`, {
      token: await tokenFor(PROJECT),
      body: over10MiB,
    });
    expect(reply).toEqual({ status: 400, body: { error_code: 'GES.7016', error_msg: MESSAGE } });
  });

  it('over 10 MiB without a token: the same answer, since no function ran to ask for one', async () => {
    const reply = await call('POST', `/v1.0/${PROJECT}/graphs`, { token: null, body: over10MiB });
    expect(reply).toEqual({ status: 400, body: { errorCode: 'GES.7016', errorMessage: MESSAGE } });
  });

  it('between 6 MB and 10 MiB: the function’s own answer is the same code', async () => {
    const reply = await call('POST', `/v1.0/${PROJECT}/graphs`, {
      token: await tokenFor(PROJECT),
      body: over6MB,
    });
    expect(reply.status).toBe(400);
    expect(reply.body.errorCode).toBe('GES.7016');
  });
});
