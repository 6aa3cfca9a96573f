import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createRemoteJWKSet, errors, importSPKI, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { z } from 'zod';
import { GesError, Unauthenticated } from '../core/errors.js';

/**
 * X-Auth-Token: a signed JWT naming one project (`project_id`), its `roles` and an expiry. The
 * verifying key is configuration, a public key (PEM) or a JWKS URL, so any identity provider that
 * issues such tokens can be used; the local stack issues its own.
 */
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);
const authConfigSchema = z
  .object({
    AUTH_PUBLIC_KEY: z.preprocess(unsetIfEmpty, z.string().optional()),
    AUTH_JWKS_URL: z.preprocess(unsetIfEmpty, z.url().optional()),
    AUTH_ALGORITHM: z.enum(['ES256', 'RS256', 'EdDSA']).default('ES256'),
    AUTH_ISSUER: z.string().min(1).optional(),
  })
  .refine((c) => c.AUTH_PUBLIC_KEY || c.AUTH_JWKS_URL, 'AUTH_PUBLIC_KEY or AUTH_JWKS_URL must be set');

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
const claimsSchema = z.object({
  project_id: z.string().regex(/^[A-Za-z0-9]{1,64}$/),
  roles: z.array(z.enum(ROLES)).min(1),
});
export type Principal = { projectId: string; roles: Role[] };

export type Authenticator = (event: APIGatewayProxyEventV2) => Promise<Principal>;

/**
 * Builds the verifier once per cold start: the configuration is checked at once (a missing key fails
 * at init, not per request); the key itself is imported on first use, as module scope cannot await.
 */
export function createAuthenticator(env: NodeJS.ProcessEnv = process.env): Authenticator {
  const parsed = authConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid auth configuration: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  const config = parsed.data;
  let key: Promise<JWTVerifyGetKey | Awaited<ReturnType<typeof importSPKI>>> | undefined;
  const verifyingKey = () => {
    key ??= config.AUTH_JWKS_URL
      ? Promise.resolve(createRemoteJWKSet(new URL(config.AUTH_JWKS_URL)))
      : importSPKI((config.AUTH_PUBLIC_KEY ?? '').replaceAll('\\n', '\n'), config.AUTH_ALGORITHM);
    return key;
  };

  return async (event) => {
    const token = event.headers?.['x-auth-token'];
    if (!token) throw new Unauthenticated('the X-Auth-Token header is missing');
    const options = {
      algorithms: [config.AUTH_ALGORITHM],
      requiredClaims: ['exp'],
      ...(config.AUTH_ISSUER && { issuer: config.AUTH_ISSUER }),
    };
    let payload: unknown;
    try {
      const k = await verifyingKey();
      ({ payload } =
        typeof k === 'function' ? await jwtVerify(token, k, options) : await jwtVerify(token, k, options));
    } catch (e) {
      throw new Unauthenticated(reasonOf(e));
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new Unauthenticated('the token does not name a project and its roles');
    return { projectId: claims.data.project_id, roles: claims.data.roles };
  };
}

function reasonOf(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'the token has expired';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (e instanceof errors.JWTClaimValidationFailed) return `the token claim ${e.claim} is not valid`;
  return 'the token is malformed';
}

/**
 * 403 unless the token's project is the path's and its roles allow the method (a viewer only reads).
 * Checked before anything is read, so the answer is the same whether or not the resource exists.
 */
export function authorize(principal: Principal, event: APIGatewayProxyEventV2): void {
  const sameProject = event.pathParameters?.projectId === principal.projectId;
  // HEAD is a GET without the body: a read (RFC 9110 §9.3.2).
  const reads = ['GET', 'HEAD'].includes(event.requestContext.http.method);
  const mayWrite = principal.roles.some((r) => r === 'operator' || r === 'admin');
  if (!sameProject || (!reads && !mayWrite)) throw new GesError('GES.7041');
}
