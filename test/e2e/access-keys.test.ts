import { describe, expect, it } from 'vitest';
import { sdkDate } from '../../lib/core/sdk-signature.js';
import { call, issueAccessKey, signed, tokenFor } from './client.js';

/**
 * Access keys end to end: issued by an admin through the service's own routes, then used the way
 * GES's SDK uses them (AK/SK signatures, no token) against the local stack.
 */
const PROJECT = 'aksktests';
const unauthenticated = (why: string, v2 = false) => ({
  status: 401,
  body: v2
    ? { error_code: 'APIGW.0301', error_msg: `Incorrect IAM authentication information: ${why}` }
    : { errorCode: 'APIGW.0301', errorMessage: `Incorrect IAM authentication information: ${why}` },
});

describe('access keys', () => {
  it('are made by an admin, shown with their secret once, and listed without it', async () => {
    const admin = await tokenFor(PROJECT, 'admin');
    const created = await call('POST', `/v2/${PROJECT}/access-keys`, {
      token: admin,
      body: { role: 'viewer', description: 'dashboards' },
    });
    expect(created).toEqual({
      status: 200,
      body: {
        credential: {
          access: expect.stringMatching(/^[A-Z0-9]{20}$/),
          secret: expect.stringMatching(/^[A-Za-z0-9]{40}$/),
          status: 'active',
          role: 'viewer',
          description: 'dashboards',
          create_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
        },
      },
    });
    const listed = await call('GET', `/v1.0/${PROJECT}/access-keys`, { token: admin });
    expect(listed.status).toBe(200);
    const mine = listed.body.credentials.find(
      (c: { access: string }) => c.access === created.body.credential.access,
    );
    expect(mine).toEqual({
      access: created.body.credential.access,
      status: 'active',
      role: 'viewer',
      description: 'dashboards',
      createTime: expect.any(String),
    });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.credential.secret);
  });

  it('are managed by admins only, by token or by key', async () => {
    const operatorToken = await tokenFor(PROJECT, 'operator');
    const operatorKey = await issueAccessKey(PROJECT, 'operator');
    const forbidden = {
      status: 403,
      body: { errorCode: 'GES.7041', errorMessage: 'Insufficient permission.' },
    };
    expect(await call('GET', `/v1.0/${PROJECT}/access-keys`, { token: operatorToken })).toEqual(forbidden);
    expect(
      await call('POST', `/v1.0/${PROJECT}/access-keys`, {
        sign: { credentials: operatorKey },
        body: { role: 'admin' },
      }),
    ).toEqual(forbidden);
    const adminKey = await issueAccessKey(PROJECT, 'admin');
    expect(
      (await call('GET', `/v1.0/${PROJECT}/access-keys`, { sign: { credentials: adminKey } })).status,
    ).toBe(200);
  });

  it('sign requests as the SDK does: an operator key creates and reads graphs, no token needed', async () => {
    const credentials = await issueAccessKey(PROJECT, 'operator');
    const created = await call('POST', `/v2/${PROJECT}/graphs`, {
      sign: { credentials },
      body: { graph: { name: 'signed_graph' } },
    });
    expect(created.status).toBe(200);
    const shown = await call('GET', `/v2/${PROJECT}/graphs/${created.body.id}`, { sign: { credentials } });
    expect(shown).toMatchObject({
      status: 200,
      body: { graph: { id: created.body.id, name: 'signed_graph' } },
    });
    const listed = await call('GET', `/v2/${PROJECT}/graphs?offset=0&limit=100`, { sign: { credentials } });
    expect(listed.body.graphs.map((g: { id: string }) => g.id)).toContain(created.body.id);
  });

  it("let a viewer key read and refuse its writes with 403, as a viewer's token", async () => {
    const credentials = await issueAccessKey(PROJECT, 'viewer');
    expect((await call('GET', `/v1.0/${PROJECT}/graphs`, { sign: { credentials } })).status).toBe(200);
    expect(
      await call('POST', `/v1.0/${PROJECT}/graphs`, {
        sign: { credentials },
        body: { graph: { name: 'nope_graph' } },
      }),
    ).toEqual({ status: 403, body: { errorCode: 'GES.7041', errorMessage: 'Insufficient permission.' } });
  });

  it("refuse another project's path with 403", async () => {
    const credentials = await issueAccessKey(PROJECT, 'admin');
    expect(await call('GET', '/v2/someoneelse/graphs', { sign: { credentials } })).toEqual({
      status: 403,
      body: { error_code: 'GES.7041', error_msg: 'Insufficient permission.' },
    });
  });

  it('stop signing at once when disabled, and when deleted', async () => {
    const admin = await tokenFor(PROJECT, 'admin');
    const credentials = await issueAccessKey(PROJECT, 'operator');
    const read = () => call('GET', `/v2/${PROJECT}/graphs`, { sign: { credentials } });
    expect((await read()).status).toBe(200);
    const disabled = await call('POST', `/v2/${PROJECT}/access-keys/${credentials.accessKey}/disable`, {
      token: admin,
    });
    expect(disabled).toMatchObject({ status: 200, body: { credential: { status: 'disabled' } } });
    expect(await read()).toEqual(unauthenticated('the access key is disabled', true));
    expect(
      await call('DELETE', `/v1.0/${PROJECT}/access-keys/${credentials.accessKey}`, { token: admin }),
    ).toEqual({ status: 200, body: {} });
    expect(await read()).toEqual(unauthenticated('the access key is unknown', true));
    expect(
      await call('DELETE', `/v1.0/${PROJECT}/access-keys/${credentials.accessKey}`, { token: admin }),
    ).toMatchObject({ status: 400, body: { errorCode: 'GES.7049' } });
  });

  it('refuse a tampered, stale or wrongly signed request with 401 and the reason', async () => {
    const credentials = await issueAccessKey(PROJECT, 'operator');
    const path = `/v1.0/${PROJECT}/graphs?offset=0&limit=10`;
    const tampered = (tamper: (h: Record<string, string>) => Record<string, string>) =>
      call('GET', path, { sign: { credentials, tamper } });
    expect(
      await tampered((h) => ({
        ...h,
        authorization: h.authorization?.replace(/.$/, (c) => (c === '0' ? '1' : '0')) ?? '',
      })),
    ).toEqual(unauthenticated('the signature does not match the request'));
    expect(
      await call('GET', path.replace('limit=10', 'limit=11'), {
        sign: {
          credentials,
          tamper: (h) => ({
            ...h,
            authorization: signed({ credentials }, 'GET', path, {}, '').authorization ?? '',
          }),
        },
      }),
    ).toEqual(unauthenticated('the signature does not match the request'));
    expect(await call('GET', path, { sign: { credentials, at: Date.now() - 16 * 60_000 } })).toEqual(
      unauthenticated('the signature has expired: X-Sdk-Date is more than 15 minutes away'),
    );
    expect(
      await call('GET', path, {
        sign: { credentials: { ...credentials, secretKey: `${credentials.secretKey}x` } },
      }),
    ).toEqual(unauthenticated('the signature does not match the request'));
    expect(await tampered((h) => ({ ...h, 'x-sdk-date': sdkDate(Date.now() - 1000) }))).toEqual(
      unauthenticated('the signature does not match the request'),
    );
    expect(
      await call('GET', path, {
        sign: { credentials: { accessKey: 'NOSUCHKEY00000000000', secretKey: 'x' } },
      }),
    ).toEqual(unauthenticated('the access key is unknown'));
  });
});
