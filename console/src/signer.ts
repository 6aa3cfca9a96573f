/**
 * Huawei Cloud's AK/SK request signing (SDK-HMAC-SHA256), on WebCrypto so that it runs in the
 * browser (and in Node 20 for the tests). No DOM types: the console's pure modules are also
 * type-checked by the root project.
 */

export type SignableRequest = {
  method: string;
  /** Path and query, e.g. `/v1.0/P/graphs?offset=0&limit=10`. */
  url: string;
  /** The headers to send; every one named in `signedHeaders` must be present (host included). */
  headers: Record<string, string>;
  body?: string;
};

export type Credentials = { accessKey: string; secretKey: string };

const ALGORITHM = 'SDK-HMAC-SHA256';
const encoder = new TextEncoder();

/** yyyyMMddTHHmmssZ, UTC. */
export function sdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** RFC 3986 encoding, as the signer does it: encodeURIComponent plus !'()*. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'));
  } catch {
    return value;
  }
}

export function canonicalUri(path: string): string {
  const uri = path
    .split('/')
    .map((segment) => encode(decode(segment)))
    .join('/');
  return uri.endsWith('/') ? uri : `${uri}/`;
}

export function canonicalQuery(query: string): string {
  if (!query) return '';
  const pairs = query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const [key, value] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      return [encode(decode(key)), encode(decode(value))] as const;
    });
  pairs.sort(([ka, va], [kb, vb]) => (ka === kb ? compare(va, vb) : compare(ka, kb)));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function canonicalRequest(request: SignableRequest, signedHeaders: string[]): Promise<string> {
  const q = request.url.indexOf('?');
  const [path, query] = q < 0 ? [request.url, ''] : [request.url.slice(0, q), request.url.slice(q + 1)];
  const lower = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const headers = signedHeaders.map((name) => `${name}:${(lower[name] ?? '').trim()}\n`).join('');
  return [
    request.method.toUpperCase(),
    canonicalUri(path),
    canonicalQuery(query),
    headers,
    signedHeaders.join(';'),
    await sha256Hex(request.body ?? ''),
  ].join('\n');
}

export async function stringToSign(canonical: string, date: string): Promise<string> {
  return `${ALGORITHM}\n${date}\n${await sha256Hex(canonical)}`;
}

/**
 * The Authorization header for a request. `signedHeaders` defaults to every header given, sorted
 * (the request must carry `host` and `x-sdk-date`).
 */
export async function authorization(
  request: SignableRequest,
  credentials: Credentials,
  signedHeaders = Object.keys(request.headers)
    .map((name) => name.toLowerCase())
    .sort(),
): Promise<string> {
  const date = Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'x-sdk-date')?.[1];
  if (!date) throw new Error('X-Sdk-Date is required to sign a request');
  const toSign = await stringToSign(await canonicalRequest(request, signedHeaders), date);
  const signature = await hmacSha256Hex(credentials.secretKey, toSign);
  return `${ALGORITHM} Access=${credentials.accessKey}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
}

/** The headers to add to a request signed with host and x-sdk-date. */
export async function signedHeaders(
  request: { method: string; url: string; host: string; body?: string },
  credentials: Credentials,
  now = new Date(),
): Promise<{ 'X-Sdk-Date': string; Authorization: string }> {
  const date = sdkDate(now);
  const headers = { host: request.host, 'x-sdk-date': date };
  const value = await authorization({ ...request, headers }, credentials, ['host', 'x-sdk-date']);
  return { 'X-Sdk-Date': date, Authorization: value };
}

const hex = (buffer: ArrayBuffer) =>
  Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('');

async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

async function hmacSha256Hex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return hex(await crypto.subtle.sign('HMAC', key, encoder.encode(text)));
}
