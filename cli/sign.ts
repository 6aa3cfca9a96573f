import {
  canonicalQuery,
  canonicalUri,
  SIGNING_ALGORITHM,
  sdkDate as sdkDateOf,
  signatureOf,
} from '../lib/core/sdk-signature.js';

/**
 * Huawei Cloud API Gateway's AK/SK signing, `SDK-HMAC-SHA256`, as the official SDKs send it, for the
 * CLI's requests. The scheme itself (canonical request, string to sign, signature) is the service's
 * own, `lib/core/sdk-signature.ts`, the one its verifier uses: one definition of it.
 */
export { canonicalQuery, canonicalUri };

export type SignInput = {
  method: string;
  /** Path and query, as sent: `/v2/p/graphs?offset=0&limit=10` (already percent-encoded or not). */
  url: string;
  /** Header names in any case; every header named in `signedHeaders` must be here. */
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Lower-case names; by default `host` and `x-sdk-date`. */
  signedHeaders?: string[];
};

/** The value of the `Authorization` header for a request whose headers already hold X-Sdk-Date and Host. */
export function authorization(input: SignInput, credentials: { ak: string; sk: string }): string {
  const headers = Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
  if (!headers['x-sdk-date']) throw new Error('X-Sdk-Date is not set');
  const signedHeaders = [...(input.signedHeaders ?? ['host', 'x-sdk-date'])]
    .map((h) => h.toLowerCase())
    .sort();
  for (const name of signedHeaders) {
    if (headers[name] === undefined) throw new Error(`signed header ${name} is not set`);
  }
  const q = input.url.indexOf('?');
  const request = {
    method: input.method.toUpperCase(),
    path: q < 0 ? input.url : input.url.slice(0, q),
    query: q < 0 ? '' : input.url.slice(q + 1),
    headers,
    body: input.body ?? '',
  };
  const signature = signatureOf(credentials.sk, request, signedHeaders);
  return `${SIGNING_ALGORITHM} Access=${credentials.ak}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
}

/** `yyyyMMddTHHmmssZ`, UTC. */
export const sdkDate = (date = new Date()) => sdkDateOf(date.getTime());

/**
 * The request's headers with X-Sdk-Date, Host and Authorization added, signing host and x-sdk-date.
 */
export function signRequest(
  request: { method: string; url: URL; headers: Record<string, string>; body?: string },
  credentials: { ak: string; sk: string },
  now = new Date(),
): Record<string, string> {
  const headers = { ...request.headers, 'x-sdk-date': sdkDate(now), host: request.url.host };
  return {
    ...headers,
    authorization: authorization(
      {
        method: request.method,
        url: request.url.pathname + request.url.search,
        headers,
        ...(request.body !== undefined && { body: request.body }),
        signedHeaders: ['host', 'x-sdk-date'],
      },
      credentials,
    ),
  };
}
