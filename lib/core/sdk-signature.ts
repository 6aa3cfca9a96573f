import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Huawei Cloud API Gateway's AK/SK signing, `SDK-HMAC-SHA256`, as GES's official SDKs send it by
 * default: both halves, the canonical request a client signs and the checks a server makes. Pure (no
 * clock, no store): the verifier in lib/http passes the time and the secret, tests and scripts sign.
 *
 *   canonical request = METHOD \n canonical URI \n canonical query \n canonical headers \n
 *                       signed header names joined by ';' \n hex SHA-256 of the body
 *   string to sign    = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex SHA-256 of the canonical request
 *   signature         = hex HMAC-SHA256(secret key, string to sign)
 *
 * - canonical URI: each path segment percent-decoded, then encoded as below, and a trailing `/`
 *   added when the path has none;
 * - canonical query: the parameters sorted by name (then value), each name and value encoded as below,
 *   `name=value` joined by `&`; a parameter without `=` has an empty value. A raw `+` in the query
 *   reads as a space, as form encoding has it: the SDKs send a space as `%20` and a plus as `%2B`,
 *   but a proxy that re-encodes the query the form way (serverless-offline does) sends `+`;
 * - encoding: every UTF-8 byte except `A-Z a-z 0-9 - _ . ~` as `%XX` (upper-case hex), so a space is
 *   `%20`, never `+`;
 * - canonical headers: `name:value` per signed header, the name lower-cased, the value trimmed, each
 *   line ended by `\n`;
 * - X-Sdk-Date: `yyyyMMddTHHmmssZ` (UTC).
 */
export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
/** How far from the server's clock X-Sdk-Date may be, either way. */
export const MAX_SIGNATURE_AGE_MS = 15 * 60_000;

/** The parts of a request the signature covers. Header names lower-case, as API Gateway gives them. */
export type SignedRequest = {
  method: string;
  /** the path as sent (percent-encoded or not) */
  path: string;
  /** the raw query string, without `?` */
  query: string;
  headers: Record<string, string | undefined>;
  body: Uint8Array | string;
};

/** `Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b>, Signature=<hex>` */
export type SignatureHeader = { accessKey: string; signedHeaders: string[]; signature: string };

/** Why a request's signature cannot be checked, or failed: the text goes into the 401's message. */
export class SignatureRefused extends Error {
  override readonly name = 'SignatureRefused';
}

const UNRESERVED = /[!'()*]/g;

/** Every UTF-8 byte but `A-Za-z0-9-_.~` percent-encoded; text that is not Unicode is refused. */
export function sdkEncode(text: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    throw new SignatureRefused('the request is not valid Unicode');
  }
  return encoded.replace(UNRESERVED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new SignatureRefused('the request holds a malformed percent-encoding');
  }
}

export function canonicalUri(path: string): string {
  const uri = path
    .split('/')
    .map((segment) => sdkEncode(decode(segment)))
    .join('/');
  return uri.endsWith('/') ? uri : `${uri}/`;
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function canonicalQuery(rawQuery: string): string {
  const pairs = rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part): [string, string] => {
      const eq = part.indexOf('=');
      const plain = (s: string) => decode(s.replaceAll('+', ' '));
      return eq < 0 ? [plain(part), ''] : [plain(part.slice(0, eq)), plain(part.slice(eq + 1))];
    });
  pairs.sort(([ka, va], [kb, vb]) => byCodeUnits(ka, kb) || byCodeUnits(va, vb));
  return pairs.map(([k, v]) => `${sdkEncode(k)}=${sdkEncode(v)}`).join('&');
}

export function canonicalRequest(request: SignedRequest, signedHeaders: readonly string[]): string {
  const headers = signedHeaders.map((name) => `${name}:${(request.headers[name] ?? '').trim()}\n`).join('');
  return [
    request.method.toUpperCase(),
    canonicalUri(request.path),
    canonicalQuery(request.query),
    headers,
    signedHeaders.join(';'),
    sha256Hex(request.body),
  ].join('\n');
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

/** The signature of the request with these signed headers (X-Sdk-Date among them). */
export function signatureOf(secretKey: string, request: SignedRequest, signedHeaders: readonly string[]) {
  const date = request.headers['x-sdk-date'] ?? '';
  return createHmac('sha256', secretKey)
    .update(stringToSign(date, canonicalRequest(request, signedHeaders)))
    .digest('hex');
}

const sha256Hex = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

const AUTHORIZATION =
  /^SDK-HMAC-SHA256\s+Access=([A-Za-z0-9]{1,128}),\s*SignedHeaders=([a-z0-9!#$%&'*+.^_`|~;-]{1,1024}),\s*Signature=([0-9a-f]{64})$/;

/** The Authorization header's three parts; anything else is refused, naming what is wrong. */
export function parseAuthorization(value: string): SignatureHeader {
  if (!value.startsWith(`${SIGNING_ALGORITHM} `)) {
    throw new SignatureRefused(`the Authorization header is not an ${SIGNING_ALGORITHM} signature`);
  }
  const match = AUTHORIZATION.exec(value.trim());
  if (!match) throw new SignatureRefused('the Authorization header is malformed');
  const [, accessKey = '', names = '', signature = ''] = match;
  const signedHeaders = names.split(';');
  if (signedHeaders.some((name) => name === '')) {
    throw new SignatureRefused('the Authorization header is malformed');
  }
  return { accessKey, signedHeaders, signature };
}

/** X-Sdk-Date, `yyyyMMddTHHmmssZ`, as epoch ms; undefined for anything else. */
export function parseSdkDate(value: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const ms = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
  return sdkDate(ms) === value ? ms : undefined;
}

export const sdkDate = (epochMs: number) =>
  `${new Date(epochMs).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;

/**
 * What can be checked before the secret is known: the date within 15 minutes of `now`, and
 * `host` and `x-sdk-date` among the signed headers, each of which the request carries.
 */
export function checkSignedParts(request: SignedRequest, header: SignatureHeader, now: number): void {
  const date = parseSdkDate(request.headers['x-sdk-date']);
  if (date === undefined) throw new SignatureRefused('the X-Sdk-Date header is missing or malformed');
  if (Math.abs(now - date) > MAX_SIGNATURE_AGE_MS) {
    throw new SignatureRefused('the signature has expired: X-Sdk-Date is more than 15 minutes away');
  }
  for (const required of ['host', 'x-sdk-date']) {
    if (!header.signedHeaders.includes(required)) {
      throw new SignatureRefused(`SignedHeaders must include ${required}`);
    }
  }
  for (const name of header.signedHeaders) {
    if (request.headers[name] === undefined)
      throw new SignatureRefused(`the signed header ${name} is missing`);
  }
}

/** Does the request carry the signature the secret makes? Compared in constant time. */
export function signatureMatches(
  secretKey: string,
  request: SignedRequest,
  header: SignatureHeader,
): boolean {
  const expected = Buffer.from(signatureOf(secretKey, request, header.signedHeaders), 'hex');
  const given = Buffer.from(header.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Signs a request as the SDK does: adds X-Sdk-Date (from `now`) and the Authorization header, signing
 * every header given (names lower-cased, sorted), `host` included. For clients, scripts and tests.
 */
export function signRequest(
  credentials: { accessKey: string; secretKey: string },
  request: SignedRequest & { headers: Record<string, string> },
  now: number,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers['x-sdk-date'] = sdkDate(now);
  if (headers.host === undefined) throw new Error('a signed request needs a host header');
  const signedHeaders = Object.keys(headers).sort(byCodeUnits);
  const signature = signatureOf(credentials.secretKey, { ...request, headers }, signedHeaders);
  return {
    ...headers,
    authorization: `${SIGNING_ALGORITHM} Access=${credentials.accessKey}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`,
  };
}
