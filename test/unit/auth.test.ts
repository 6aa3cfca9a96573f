import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Authenticator,
  authorize,
  createAuthenticator,
  type Role,
} from '../../lib/http/authenticate.js';

let authenticate: Authenticator;
let sign: (claims: Record<string, unknown>, expires?: string | number) => Promise<string>;
let signWithOtherKey: (claims: Record<string, unknown>) => Promise<string>;

beforeAll(async () => {
  const mine = await generateKeyPair('ES256', { extractable: true });
  const other = await generateKeyPair('ES256');
  authenticate = createAuthenticator({ AUTH_PUBLIC_KEY: await exportSPKI(mine.publicKey) });
  const signer =
    (key: Parameters<SignJWT['sign']>[0]) =>
    (claims: Record<string, unknown>, expires: string | number = '1h') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setExpirationTime(expires).sign(key);
  sign = signer(mine.privateKey);
  signWithOtherKey = signer(other.privateKey);
});

const event = (token: string | undefined, method = 'GET', projectId = 'p1') =>
  ({
    headers: token === undefined ? {} : { 'x-auth-token': token },
    pathParameters: { projectId },
    requestContext: { http: { method } },
  }) as unknown as APIGatewayProxyEventV2;
const reasonOf = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: Error) => `${e.name}: ${e.message}`,
  );
const admin = { project_id: 'p1', roles: ['admin'] };

describe('authentication', () => {
  it('accepts a token signed by the configured key, naming its project and roles', async () => {
    expect(await authenticate(event(await sign(admin)))).toEqual({ projectId: 'p1', roles: ['admin'] });
  });

  it.each([
    ['no token', async () => undefined, 'neither an X-Auth-Token nor an AK/SK signature was sent'],
    ['garbage', async () => 'not.a.jwt', 'the token is malformed'],
    ['a wrong signature', () => signWithOtherKey(admin), 'the token signature is not valid'],
    ['an expired token', () => sign(admin, Math.floor(Date.now() / 1000) - 60), 'the token has expired'],
    ['no roles', () => sign({ project_id: 'p1' }), 'the token does not name a project and its roles'],
  ])('refuses %s as unauthenticated, saying why', async (_, token, why) => {
    expect(await reasonOf(authenticate(event(await token())))).toBe(`Unauthenticated: ${why}`);
  });

  it('refuses a token with no expiry', async () => {
    const forever = await new SignJWT(admin)
      .setProtectedHeader({ alg: 'ES256' })
      .sign((await generateKeyPair('ES256')).privateKey);
    expect(await reasonOf(authenticate(event(forever)))).toMatch(/^Unauthenticated/);
  });

  it('fails at init without a key', () => {
    expect(() => createAuthenticator({})).toThrow(/AUTH_PUBLIC_KEY or AUTH_JWKS_URL/);
  });
});

describe('authorization', () => {
  const who = (roles: Role[]) => ({ projectId: 'p1', roles });
  const verdict = (fn: () => void) => {
    try {
      fn();
      return 'allowed';
    } catch (e) {
      return (e as { code: string }).code;
    }
  };

  it.each([
    [['viewer'], 'GET', 'p1', 'allowed'],
    [['viewer'], 'HEAD', 'p1', 'allowed'],
    [['viewer'], 'PUT', 'p1', 'GES.7041'],
    [['viewer'], 'POST', 'p1', 'GES.7041'],
    [['viewer'], 'DELETE', 'p1', 'GES.7041'],
    [['operator'], 'POST', 'p1', 'allowed'],
    [['admin'], 'DELETE', 'p1', 'allowed'],
    [['admin'], 'GET', 'p2', 'GES.7041'],
  ] as [Role[], string, string, string][])('%j %s on project %s: %s', (roles, method, project, expected) => {
    expect(verdict(() => authorize(who(roles), event('t', method, project)))).toBe(expected);
  });
});
