import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createRemoteJWKSet, errors, importSPKI, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { z } from 'zod';
import { GesError, Unauthenticated } from '../core/errors.js';
import { ROLES, type Role } from '../core/roles.js';
import {
  checkSignedParts,
  parseAuthorization,
  SignatureRefused,
  type SignedRequest,
  signatureMatches,
} from '../core/sdk-signature.js';
import { type Clock, systemClock } from '../core/time.js';

/**
 * Two ways in, and the same principal out of both:
 * - X-Auth-Token: a signed JWT naming one project (`project_id`), its `roles` and an expiry. The
 *   verifying key is configuration, a public key (PEM) or a JWKS URL, so any identity provider that
 *   issues such tokens can be used; the local stack issues its own.
 * - an AK/SK signature (`Authorization: SDK-HMAC-SHA256 ...` with X-Sdk-Date), what GES's official
 *   SDKs send by default: the access key names its project and role (`lib/core/sdk-signature.ts` for
 *   the scheme, `lib/operations/access-keys` for the keys).
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

export { ROLES, type Role };

const claimsSchema = z.object({
  project_id: z.string().regex(/^[A-Za-z0-9]{1,64}$/),
  roles: z.array(z.enum(ROLES)).min(1),
});
export type Principal = { projectId: string; roles: Role[]; accessKeyId?: string };

export type Authenticator = (event: APIGatewayProxyEventV2) => Promise<Principal>;

/** An access key as the verifier needs it; undefined for a key that does not exist. */
export type AccessKeyLookup = (
  accessKeyId: string,
) => Promise<
  { projectId: string; role: Role; status: 'active' | 'disabled'; secret(): Promise<string> } | undefined
>;
export type AuthenticatorOptions = { accessKeys?: AccessKeyLookup; clock?: Clock };

/**
 * Builds the verifier once per cold start: the configuration is checked at once (a missing key fails
 * at init, not per request); the key itself is imported on first use, as module scope cannot await.
 */
export function createAuthenticator(
  env: NodeJS.ProcessEnv = process.env,
  options: AuthenticatorOptions = {},
): Authenticator {
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

  const verifySignature = signatureVerifier(options);

  return async (event) => {
    const token = event.headers?.['x-auth-token'];
    if (!token) {
      if (event.headers?.authorization !== undefined) return verifySignature(event);
      throw new Unauthenticated('neither an X-Auth-Token nor an AK/SK signature was sent');
    }
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

/**
 * AK/SK: the Authorization header parsed, the date and signed headers checked, then the key read and
 * its secret opened, and the signature compared in constant time. Every refusal is a 401 that says
 * why; nothing a caller sends can make it a 5xx (a store or KMS outage still can: that is a 503).
 */
function signatureVerifier({ accessKeys, clock = systemClock }: AuthenticatorOptions) {
  return async (event: APIGatewayProxyEventV2): Promise<Principal> => {
    if (!accessKeys) throw new Unauthenticated('AK/SK signatures are not accepted here');
    try {
      const header = parseAuthorization(event.headers?.authorization ?? '');
      const request = signedRequestOf(event);
      checkSignedParts(request, header, clock.now());
      const key = await accessKeys(header.accessKey);
      if (!key) throw new SignatureRefused('the access key is unknown');
      if (key.status !== 'active') throw new SignatureRefused('the access key is disabled');
      if (!signatureMatches(await key.secret(), request, header)) {
        throw new SignatureRefused('the signature does not match the request');
      }
      return { projectId: key.projectId, roles: [key.role], accessKeyId: header.accessKey };
    } catch (e) {
      if (e instanceof SignatureRefused) throw new Unauthenticated(e.message);
      throw e;
    }
  };
}

/** What the signature covers, as API Gateway hands it over (payload 2.0: lower-case header names). */
function signedRequestOf(event: APIGatewayProxyEventV2): SignedRequest {
  const body = event.body ?? '';
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.rawQueryString ?? '',
    headers: event.headers ?? {},
    body: event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
  };
}

function reasonOf(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'the token has expired';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (e instanceof errors.JWTClaimValidationFailed) return `the token claim ${e.claim} is not valid`;
  return 'the token is malformed';
}

/**
 * 403 unless the principal's project is the path's and its roles allow the method (a viewer only
 * reads), or, for routes that manage access, unless it is an admin. Tokens and access keys alike.
 * Checked before anything is read, so the answer is the same whether or not the resource exists.
 */
export function authorize(
  principal: Principal,
  event: APIGatewayProxyEventV2,
  requires: 'role-of-method' | 'admin' = 'role-of-method',
): void {
  const sameProject = event.pathParameters?.projectId === principal.projectId;
  // HEAD is a GET without the body: a read (RFC 9110 §9.3.2).
  const reads = ['GET', 'HEAD'].includes(event.requestContext.http.method);
  const mayWrite = principal.roles.some((r) => r === 'operator' || r === 'admin');
  const isAdmin = principal.roles.includes('admin');
  const allowed = requires === 'admin' ? isAdmin : reads || mayWrite;
  if (!sameProject || !allowed) throw new GesError('GES.7041');
}
