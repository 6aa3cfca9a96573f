import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
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
let mine: Awaited<ReturnType<typeof generateKeyPair>>;
let pem: string;

beforeAll(async () => {
  mine = await generateKeyPair('ES256', { extractable: true });
  const other = await generateKeyPair('ES256');
  pem = await exportSPKI(mine.publicKey);
  // Built in each test, not here: a configuration that fails to build must fail tests, not skip them.
  authenticate = (e) => createAuthenticator({ AUTH_PUBLIC_KEY: pem })(e);
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

  it('refuses a token with no expiry, signed by the configured key', async () => {
    const forever = await new SignJWT(admin).setProtectedHeader({ alg: 'ES256' }).sign(mine.privateKey);
    expect(await reasonOf(authenticate(event(forever)))).toBe(
      'Unauthenticated: the token claim exp is not valid',
    );
  });

  it.each([
    ['a project id with a character it may not hold at its end', { project_id: 'p1/', roles: ['admin'] }],
    ['a project id with a character it may not hold at its start', { project_id: '.p1', roles: ['admin'] }],
    ['an empty list of roles', { project_id: 'p1', roles: [] }],
    ['a role that does not exist', { project_id: 'p1', roles: ['root'] }],
  ])('refuses %s', async (_, claims) => {
    expect(await reasonOf(authenticate(event(await sign(claims))))).toBe(
      'Unauthenticated: the token does not name a project and its roles',
    );
  });

  it('accepts several roles, and an event with no headers at all is missing its token', async () => {
    const both = { project_id: 'p1', roles: ['viewer', 'operator'] };
    expect(await authenticate(event(await sign(both)))).toEqual({
      projectId: 'p1',
      roles: ['viewer', 'operator'],
    });
    const bare = { requestContext: { http: { method: 'GET' } } } as unknown as APIGatewayProxyEventV2;
    expect(await reasonOf(authenticate(bare))).toBe(
      'Unauthenticated: neither an X-Auth-Token nor an AK/SK signature was sent',
    );
  });

  it('fails at init without a key, or with both left empty as serverless.yml leaves the unset one', () => {
    expect(() => createAuthenticator({})).toThrow(/AUTH_PUBLIC_KEY or AUTH_JWKS_URL/);
    expect(() => createAuthenticator({ AUTH_PUBLIC_KEY: '', AUTH_JWKS_URL: '' })).toThrow(
      /AUTH_PUBLIC_KEY or AUTH_JWKS_URL/,
    );
  });

  it('fails at init on an algorithm or an issuer it cannot use', () => {
    expect(() => createAuthenticator({ AUTH_PUBLIC_KEY: pem, AUTH_ALGORITHM: 'HS256' })).toThrow(
      /Invalid auth configuration/,
    );
    expect(() => createAuthenticator({ AUTH_PUBLIC_KEY: pem, AUTH_ISSUER: '' })).toThrow(
      /Invalid auth configuration/,
    );
  });
});

describe('authentication configured', () => {
  it('by a public key with an empty JWKS URL beside it, its newlines escaped as in an env file', async () => {
    const escaped = pem.replaceAll('\n', '\\n');
    expect(escaped).not.toContain('\n');
    const auth = createAuthenticator({ AUTH_PUBLIC_KEY: escaped, AUTH_JWKS_URL: '' });
    expect(await auth(event(await sign(admin)))).toEqual({ projectId: 'p1', roles: ['admin'] });
  });

  it('by a JWKS URL alone, with the key it serves', async () => {
    const jwk = { ...(await exportJWK(mine.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const server = createServer((_, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const auth = createAuthenticator({ AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` });
      const token = await new SignJWT(admin)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setExpirationTime('1h')
        .sign(mine.privateKey);
      expect(await auth(event(token))).toEqual({ projectId: 'p1', roles: ['admin'] });
      expect(await reasonOf(auth(event(await signWithOtherKey(admin))))).toMatch(/^Unauthenticated/);
    } finally {
      server.close();
    }
  });

  it('with an issuer: only tokens of that issuer', async () => {
    const auth = createAuthenticator({ AUTH_PUBLIC_KEY: pem, AUTH_ISSUER: 'https://idp.example' });
    const by = (issuer?: string) => {
      const jwt = new SignJWT(admin).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('1h');
      return (issuer ? jwt.setIssuer(issuer) : jwt).sign(mine.privateKey);
    };
    expect(await auth(event(await by('https://idp.example')))).toEqual({ projectId: 'p1', roles: ['admin'] });
    expect(await reasonOf(auth(event(await by('https://other.example'))))).toBe(
      'Unauthenticated: the token claim iss is not valid',
    );
    expect(await reasonOf(auth(event(await by())))).toBe('Unauthenticated: the token claim iss is not valid');
  });

  it('with ES256 or EdDSA named explicitly: tokens of that algorithm', async () => {
    const es = createAuthenticator({ AUTH_PUBLIC_KEY: pem, AUTH_ALGORITHM: 'ES256' });
    expect(await es(event(await sign(admin)))).toEqual({ projectId: 'p1', roles: ['admin'] });
    const ed = await generateKeyPair('EdDSA', { extractable: true });
    const auth = createAuthenticator({
      AUTH_PUBLIC_KEY: await exportSPKI(ed.publicKey),
      AUTH_ALGORITHM: 'EdDSA',
    });
    const token = await new SignJWT(admin)
      .setProtectedHeader({ alg: 'EdDSA' })
      .setExpirationTime('1h')
      .sign(ed.privateKey);
    expect(await auth(event(token))).toEqual({ projectId: 'p1', roles: ['admin'] });
  });

  it('with RS256: RS256 tokens, and no other algorithm of the same key', async () => {
    // A KeyObject, unlike a CryptoKey, signs with any RSA algorithm: RS256 and PS256 alike.
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const auth = createAuthenticator({
      AUTH_PUBLIC_KEY: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      AUTH_ALGORITHM: 'RS256',
    });
    const signed = (alg: string) =>
      new SignJWT(admin).setProtectedHeader({ alg }).setExpirationTime('1h').sign(rsa.privateKey);
    expect(await auth(event(await signed('RS256')))).toEqual({ projectId: 'p1', roles: ['admin'] });
    expect(await reasonOf(auth(event(await signed('PS256'))))).toMatch(/^Unauthenticated/);
    // The default, ES256, verifies no RS256 token.
    expect(await reasonOf(authenticate(event(await signed('RS256'))))).toMatch(/^Unauthenticated/);
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
    [['viewer', 'operator'], 'POST', 'p1', 'allowed'],
  ] as [Role[], string, string, string][])('%j %s on project %s: %s', (roles, method, project, expected) => {
    expect(verdict(() => authorize(who(roles), event('t', method, project)))).toBe(expected);
  });

  it.each([
    [['admin'], 'POST', 'allowed'],
    [['admin'], 'GET', 'allowed'],
    [['operator'], 'POST', 'GES.7041'],
    [['viewer'], 'GET', 'GES.7041'],
  ] as [Role[], string, string][])('an admin-only route: %j %s is %s', (roles, method, expected) => {
    expect(verdict(() => authorize(who(roles), event('t', method, 'p1'), 'admin'))).toBe(expected);
  });

  it('refuses an event without path parameters as another project', () => {
    const bare = { requestContext: { http: { method: 'GET' } } } as unknown as APIGatewayProxyEventV2;
    expect(verdict(() => authorize(who(['admin']), bare))).toBe('GES.7041');
  });
});
