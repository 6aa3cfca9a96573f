import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  canonicalUri,
  checkSignedParts,
  parseAuthorization,
  parseSdkDate,
  type SignedRequest,
  sdkEncode,
  signatureMatches,
  signatureOf,
  signRequest,
} from '../../lib/core/sdk-signature.js';
import fixture from '../fixtures/ges-sdk/signed-requests.json' with { type: 'json' };

/**
 * The requests GES's official Node.js SDK put on the wire (test/fixtures/ges-sdk, recorded from the
 * SDK itself): each verifies at its own X-Sdk-Date against the fixture's secret, and no part that the
 * signature covers can change without it failing.
 */
type Recorded = (typeof fixture.requests)[number];

const asRequest = (r: Recorded): SignedRequest => {
  const q = r.url.indexOf('?');
  return {
    method: r.method,
    path: q < 0 ? r.url : r.url.slice(0, q),
    query: q < 0 ? '' : r.url.slice(q + 1),
    headers: r.headers as Record<string, string>,
    body: Buffer.from(r.body, 'utf8'),
  };
};
const verifies = (request: SignedRequest, secret = fixture.secretKey) => {
  const header = parseAuthorization(request.headers.authorization ?? '');
  checkSignedParts(request, header, parseSdkDate(request.headers['x-sdk-date']) ?? 0);
  return signatureMatches(secret, request, header);
};
const ops = fixture.requests.map((r) => [r.op, r] as const);

describe('SDK-HMAC-SHA256, against what the official SDK sent', () => {
  it.each(ops)('%s verifies at its own date with the fixture secret', (_, r) => {
    expect(verifies(asRequest(r))).toBe(true);
  });

  it.each(ops)('%s fails with another secret', (_, r) => {
    expect(verifies(asRequest(r), `${fixture.secretKey}x`)).toBe(false);
  });

  it.each(ops)('%s fails under another method', (_, r) => {
    const request = asRequest(r);
    expect(verifies({ ...request, method: request.method === 'GET' ? 'DELETE' : 'GET' })).toBe(false);
  });

  it.each(ops)('%s fails on another path', (_, r) => {
    const request = asRequest(r);
    expect(verifies({ ...request, path: request.path.replace('/graphs', '/graphz') })).toBe(false);
    expect(verifies({ ...request, path: request.path.replace(fixture.projectId, 'otherproject') })).toBe(
      false,
    );
  });

  const withQuery = ops.filter(([, r]) => r.url.includes('?'));
  it.each(withQuery)('%s fails when any query value changes, or a parameter is added', (_, r) => {
    const request = asRequest(r);
    const params = request.query.split('&');
    params.forEach((param, i) => {
      const changed = params.map((p, j) => (j === i ? `${p}1` : p)).join('&');
      expect(verifies({ ...request, query: changed }), param).toBe(false);
    });
    expect(verifies({ ...request, query: `${request.query}&extra=1` })).toBe(false);
    expect(verifies({ ...request, query: '' })).toBe(false);
  });

  it.each(ops)('%s fails when any signed header changes', (_, r) => {
    const request = asRequest(r);
    const { signedHeaders } = parseAuthorization(request.headers.authorization ?? '');
    for (const name of signedHeaders.filter((n) => n !== 'x-sdk-date')) {
      const headers = { ...request.headers, [name]: `${request.headers[name]}x` };
      expect(verifies({ ...request, headers }), name).toBe(false);
    }
  });

  it.each(ops)('%s fails when any byte of the body changes', (_, r) => {
    const request = asRequest(r);
    const body = Buffer.from(request.body);
    if (body.length === 0) {
      expect(verifies({ ...request, body: Buffer.from(' ') })).toBe(false);
      return;
    }
    for (let i = 0; i < body.length; i++) {
      const changed = Buffer.from(body);
      changed[i] = (changed[i] ?? 0) ^ 0x01;
      expect(verifies({ ...request, body: changed }), `byte ${i}`).toBe(false);
    }
  });

  it('refuses a date more than 15 minutes from the clock, either way, and accepts one within', () => {
    const request = asRequest(fixture.requests[0] as Recorded);
    const header = parseAuthorization(request.headers.authorization ?? '');
    const signedAt = parseSdkDate(request.headers['x-sdk-date']) ?? 0;
    for (const skew of [15 * 60_000 + 1000, -(15 * 60_000 + 1000)]) {
      expect(() => checkSignedParts(request, header, signedAt + skew)).toThrow(/expired/);
    }
    expect(() => checkSignedParts(request, header, signedAt + 14 * 60_000)).not.toThrow();
  });

  it.each(['host', 'x-sdk-date'])('refuses SignedHeaders without %s, signed or not', (left) => {
    const base = asRequest(fixture.requests[1] as Recorded);
    const at = parseSdkDate(base.headers['x-sdk-date']) ?? 0;
    // The fixture's request with the header left out of the list...
    const header = parseAuthorization(base.headers.authorization ?? '');
    const without = { ...header, signedHeaders: header.signedHeaders.filter((n) => n !== left) };
    expect(() => checkSignedParts(base, without, at)).toThrow(`SignedHeaders must include ${left}`);
    // ...and a request correctly signed over a list without it.
    const headers = { accept: 'application/json', host: 'h', 'x-sdk-date': '' };
    const signed = signRequest({ accessKey: 'AK', secretKey: 's' }, { ...base, headers }, at);
    const names = parseAuthorization(signed.authorization ?? '').signedHeaders.filter((n) => n !== left);
    const resigned = { ...base, headers: signed };
    const own = { accessKey: 'AK', signedHeaders: names, signature: signatureOf('s', resigned, names) };
    expect(signatureMatches('s', resigned, own)).toBe(true);
    expect(() => checkSignedParts(resigned, own, at)).toThrow(`SignedHeaders must include ${left}`);
  });

  it('refuses a signed header the request does not carry', () => {
    const request = asRequest(fixture.requests[1] as Recorded);
    const header = parseAuthorization(request.headers.authorization ?? '');
    const { 'x-project-id': _, ...headers } = request.headers;
    const at = parseSdkDate(request.headers['x-sdk-date']) ?? 0;
    expect(() => checkSignedParts({ ...request, headers }, header, at)).toThrow(
      'the signed header x-project-id is missing',
    );
  });

  it.each([
    ['', /not an SDK-HMAC-SHA256/],
    ['Bearer abc', /not an SDK-HMAC-SHA256/],
    ['SDK-HMAC-SHA256 Access=AK', /malformed/],
    [`SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;;x-sdk-date, Signature=${'0'.repeat(64)}`, /malformed/],
    ['SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=xyz', /malformed/],
    [`SDK-HMAC-SHA256 Access=A K, SignedHeaders=host, Signature=${'0'.repeat(64)}`, /malformed/],
  ])('refuses the Authorization header %j', (value, why) => {
    expect(() => parseAuthorization(value)).toThrow(why);
  });

  it('reads X-Sdk-Date only in its own form', () => {
    expect(parseSdkDate('20261129T140414Z')).toBe(Date.UTC(2026, 10, 29, 14, 4, 14));
    for (const bad of ['2026-11-29T14:04:14Z', '20261129T140414', '20261332T140414Z', '', undefined]) {
      expect(parseSdkDate(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('canonical forms', () => {
  it('encodes every byte but A-Z a-z 0-9 - _ . ~, spaces as %20', () => {
    expect(sdkEncode("a-Z_0.~ !'()*+/?&=图")).toBe('a-Z_0.~%20%21%27%28%29%2A%2B%2F%3F%26%3D%E5%9B%BE');
  });

  it('ends the URI with a slash, re-encoding each segment', () => {
    expect(canonicalUri('/v2/p/graphs')).toBe('/v2/p/graphs/');
    expect(canonicalUri('/v2/p/graphs/')).toBe('/v2/p/graphs/');
    expect(canonicalUri('/v2/a%20b/c d')).toBe('/v2/a%20b/c%20d/');
  });

  it('sorts the query by name, then value, and encodes both', () => {
    expect(canonicalQuery('b=2&a=%E5%9B%BE%20x&a=1&c')).toBe('a=1&a=%E5%9B%BE%20x&b=2&c=');
    expect(canonicalQuery('')).toBe('');
  });

  it('reads a raw + in the query as a space, so a query re-encoded the form way still verifies', () => {
    expect(canonicalQuery('a=b+c&d=%2B')).toBe('a=b%20c&d=%2B');
    const listJobs = fixture.requests.find((r) => r.op === 'listJobs2') as Recorded;
    const request = asRequest(listJobs);
    const reencoded = new URLSearchParams(request.query).toString();
    expect(reencoded).not.toBe(request.query);
    expect(verifies({ ...request, query: reencoded })).toBe(true);
  });

  it('refuses malformed percent-encoding instead of guessing', () => {
    expect(() => canonicalQuery('a=%E5%9B')).toThrow(/malformed/);
    expect(() => canonicalUri('/v2/%zz')).toThrow(/malformed/);
  });

  it('signs what it verifies', () => {
    const request: SignedRequest & { headers: Record<string, string> } = {
      method: 'POST',
      path: '/v2/p/graphs',
      query: 'x=1',
      headers: { Host: 'example', 'Content-Type': 'application/json' },
      body: '{"a":"ü"}',
    };
    const now = Date.UTC(2026, 0, 1);
    const headers = signRequest({ accessKey: 'AK1', secretKey: 'sk' }, request, now);
    const signed = { ...request, headers };
    const header = parseAuthorization(headers.authorization ?? '');
    expect(header.signedHeaders).toEqual(['content-type', 'host', 'x-sdk-date']);
    checkSignedParts(signed, header, now);
    expect(signatureMatches('sk', signed, header)).toBe(true);
  });
});
