import { createHash, createHmac } from 'node:crypto';

/**
 * Huawei Cloud API Gateway's AK/SK signing, `SDK-HMAC-SHA256`, as the official SDKs send it:
 *
 *   canonical request = method \n canonical URI (each segment encoded, a trailing '/') \n
 *                       canonical query (sorted, encoded) \n canonical headers (name:value\n each) \n
 *                       signed headers (sorted, ';') \n hex(sha256(body))
 *   string to sign    = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(canonical request))
 *   signature         = hex(hmac-sha256(secret key, string to sign))
 */

export const ALGORITHM = 'SDK-HMAC-SHA256';

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

/** RFC 3986 unreserved characters stay, everything else is %XX (upper-case hex) of its UTF-8 bytes. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));

export function canonicalUri(path: string): string {
  const encoded = path
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

export function canonicalQuery(query: string): string {
  if (!query) return '';
  const pairs = query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      return [uriEncode(decode(k)), uriEncode(decode(v))] as const;
    });
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

export function canonicalRequest(input: SignInput): { request: string; signedHeaders: string[] } {
  const [path = '/', query = ''] = splitUrl(input.url);
  const lower = Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const signedHeaders = [...(input.signedHeaders ?? ['host', 'x-sdk-date'])]
    .map((h) => h.toLowerCase())
    .sort();
  const headerLines = signedHeaders.map((name) => {
    const value = lower[name];
    if (value === undefined) throw new Error(`signed header ${name} is not set`);
    return `${name}:${value.trim()}\n`;
  });
  const request = [
    input.method.toUpperCase(),
    canonicalUri(path),
    canonicalQuery(query),
    headerLines.join(''),
    signedHeaders.join(';'),
    sha256Hex(input.body ?? ''),
  ].join('\n');
  return { request, signedHeaders };
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

/** The value of the `Authorization` header for a request whose headers already hold X-Sdk-Date and Host. */
export function authorization(input: SignInput, credentials: { ak: string; sk: string }): string {
  const sdkDate = Object.entries(input.headers).find(([k]) => k.toLowerCase() === 'x-sdk-date')?.[1];
  if (!sdkDate) throw new Error('X-Sdk-Date is not set');
  const { request, signedHeaders } = canonicalRequest(input);
  const signature = createHmac('sha256', credentials.sk).update(stringToSign(sdkDate, request)).digest('hex');
  return `${ALGORITHM} Access=${credentials.ak}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
}

/** `yyyyMMddTHHmmssZ`, UTC. */
export const sdkDate = (date = new Date()) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/**
 * The request's headers with X-Sdk-Date, Host and Authorization added, signing host and x-sdk-date.
 */
export function signRequest(
  request: { method: string; url: URL; headers: Record<string, string>; body?: string },
  credentials: { ak: string; sk: string },
  now = new Date(),
): Record<string, string> {
  const headers = { ...request.headers, 'x-sdk-date': sdkDate(now), host: request.url.host };
  const signedHeaders = ['host', 'x-sdk-date'];
  return {
    ...headers,
    authorization: authorization(
      {
        method: request.method,
        url: request.url.pathname + request.url.search,
        headers,
        ...(request.body !== undefined && { body: request.body }),
        signedHeaders,
      },
      credentials,
    ),
  };
}

function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
