import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  authorization,
  canonicalQuery,
  canonicalUri,
  sdkDate,
  signedHeaders,
} from '../../console/src/signer.js';

/** What the official GES SDK put on the wire (a verbatim copy of the shared fixture, test/fixtures/ges-sdk). */
type Fixture = {
  accessKey: string;
  secretKey: string;
  requests: { op: string; method: string; url: string; headers: Record<string, string>; body?: string }[];
};
const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/ges-sdk/signed-requests.json'), 'utf8'),
) as Fixture;
const credentials = { accessKey: fixture.accessKey, secretKey: fixture.secretKey };

function signedPart(header: string) {
  const match = /SignedHeaders=([^,]+), Signature=([0-9a-f]+)/.exec(header);
  if (!match?.[1] || !match[2]) throw new Error(`not a signature: ${header}`);
  return { signedHeaders: match[1].split(';'), signature: match[2] };
}

describe('the console signs requests as the GES SDK does (SDK-HMAC-SHA256)', () => {
  it.each(fixture.requests.map((r) => [r.op, r] as const))('%s', async (_op, request) => {
    const expected = request.headers.authorization ?? '';
    const { signedHeaders: names } = signedPart(expected);
    const headers = Object.fromEntries(names.map((name) => [name, request.headers[name] ?? '']));
    const ours = await authorization({ ...request, headers }, credentials, names);
    expect(ours).toBe(expected);
  });

  it('a changed byte of the body, the query or the path changes the signature', async () => {
    const request = fixture.requests.find((r) => r.op === 'createGraph2');
    if (!request) throw new Error('fixture lacks createGraph2');
    const names = signedPart(request.headers.authorization ?? '').signedHeaders;
    const headers = Object.fromEntries(names.map((name) => [name, request.headers[name] ?? '']));
    const base = await authorization({ ...request, headers }, credentials, names);
    const variants = [
      { ...request, body: `${request.body} ` },
      { ...request, url: `${request.url}?x=1` },
      { ...request, url: request.url.replace('graphs', 'graph') },
      { ...request, method: 'PUT' },
    ];
    for (const variant of variants) {
      expect(await authorization({ ...variant, headers }, credentials, names)).not.toBe(base);
    }
  });

  it('canonical URI ends with a slash; the query is sorted and percent-encoded', () => {
    expect(canonicalUri('/v1.0/p/graphs')).toBe('/v1.0/p/graphs/');
    expect(canonicalUri('/v1.0/p/graphs/')).toBe('/v1.0/p/graphs/');
    expect(canonicalQuery('limit=10&offset=0&graph_name=a%20b%2Fc')).toBe(
      'graph_name=a%20b%2Fc&limit=10&offset=0',
    );
    expect(canonicalQuery("b=it's&a=*")).toBe('a=%2A&b=it%27s');
  });

  it('signs host and x-sdk-date, dated yyyyMMddTHHmmssZ', async () => {
    const now = new Date('2026-11-29T14:04:14.123Z');
    expect(sdkDate(now)).toBe('20261129T140414Z');
    const headers = await signedHeaders(
      { method: 'GET', url: '/v1.0/demo/graphs', host: '127.0.0.1:3000' },
      credentials,
      now,
    );
    expect(headers['X-Sdk-Date']).toBe('20261129T140414Z');
    expect(headers.Authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=FIXTUREAK0000000000X, SignedHeaders=host;x-sdk-date, Signature=[0-9a-f]{64}$/,
    );
    const again = await authorization(
      {
        method: 'GET',
        url: '/v1.0/demo/graphs',
        headers: { host: '127.0.0.1:3000', 'x-sdk-date': '20261129T140414Z' },
      },
      credentials,
    );
    expect(again).toBe(headers.Authorization);
  });
});
