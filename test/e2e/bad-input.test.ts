import fc from 'fast-check';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { mapLimit } from '../../lib/core/concurrency.js';
import { recordFigure } from '../support/figures.js';
import { type Credentials, call, graphWith, issueAccessKey, signed, tokenFor, waitForJob } from './client.js';
import { changes, storeReader } from './records.js';
import {
  fillPath,
  type HttpRoute,
  type Ids,
  matches,
  pathParameters,
  readService,
  routeShape,
  wellFormedRequest,
  withQuery,
} from './service.js';

/**
 * Bad input, generated: at least 10,000 malformed requests, spread over every route of serverless.yml,
 * each carrying exactly one defect in an otherwise well-formed request aimed at real resources (ids
 * with control characters, any Unicode or 10 kB long; negative, huge and non-numeric paging; bodies
 * that are not JSON, too large, deeply nested, of the wrong types or not Unicode; wrong content
 * types, headers, tokens and methods). Each must get the spec's error for that defect, never a 5xx,
 * and change nothing: every record of the project is compared before and after.
 */
const PROJECT = 'fuzzinput';
const SEED = 20_261_127;
const GENERATED = 10_000;
const CONCURRENCY = 16;

/** The spec's error table (shared/spec/ges-api.md), kept apart from lib/errors.ts on purpose. */
const SPEC_STATUS: Record<string, number> = {
  'GES.0001': 400,
  'GES.7000': 400,
  'GES.7001': 400,
  'GES.7002': 400,
  'GES.7003': 400,
  'GES.7005': 408,
  'GES.7006': 400,
  'GES.7016': 400,
  'GES.7019': 400,
  'GES.7024': 400,
  'GES.7037': 400,
  'GES.7040': 400,
  'GES.7041': 403,
  'GES.7048': 400,
  'GES.7049': 400,
  'GES.8301': 400,
  'APIGW.0301': 401,
};

/** What a malformed request must get: a route-not-found 404, or one of these spec errors. */
type Expected = { notFound: true } | { codes: string[] };
type Case = {
  category: string;
  route: HttpRoute;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  expected: Expected;
};
type Reply = { status: number; body: unknown };

let routes: HttpRoute[];
let ids: Ids;
let token: string;
/** The project's admin access key: the valid signatures that the signature defects start from. */
let signing: Credentials;
let transfer: string;
let store: ReturnType<typeof storeReader>;
let before: Awaited<ReturnType<ReturnType<typeof storeReader>['snapshot']>>;
let cases: Case[];
let replies: Reply[];

// ---------------------------------------------------------------------------------------------
// Defects, by the spec's rules (not the service's schemas: a schema that let a defect through must
// not also decide what the test sends).

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** What the spec allows in each path parameter; a parameter the spec does not name is a UUID here. */
const WELL_FORMED: Record<string, RegExp> = {
  projectId: /^[A-Za-z0-9]{1,64}$/,
  graphId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  backupId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  jobId: /^[0-9a-f]{32}$/i,
  graphName: /^[A-Za-z][A-Za-z0-9_]{3,49}$/,
  accessKeyId: /^[A-Z0-9]{20}$/,
};
const wellFormedAs = (param: string) => WELL_FORMED[param] ?? (WELL_FORMED.graphId as RegExp);

const nastyChar = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.constantFrom(
    ...'\u007f \u0085 \u00a0 \u200b \u202e \ufeff \uffff é ß Ω 東 🚀 👩‍👩‍👧 e\u0301 % / \\ ? # & = + " \' < > { } | ^ ` * $ ( ) ; : @ ~ , [ ]'.split(
      ' ',
    ),
    ' ',
  ),
);
const TEN_KB = ['a'.repeat(10_000), '0'.repeat(10_000), '0123456789abcdef'.repeat(625), '-'.repeat(10_000)];
/** A path segment no route may accept for `param`; `.`, `..` and `` would change the route instead. */
const malformedSegment = (param: string) =>
  fc
    .oneof(
      { weight: 4, arbitrary: fc.string({ unit: nastyChar, minLength: 1, maxLength: 40 }) },
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }) },
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.uuid(), nastyChar, fc.nat(36))
          .map(([u, c, i]) => u.slice(0, i) + c + u.slice(i + 1)),
      },
      { weight: 1, arbitrary: fc.constantFrom(...TEN_KB) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('null', 'undefined', '-1', 'true', '[]', '{}', '*', '%00', 'NaN'),
      },
      { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', 'f', '0', '9', '-'), maxLength: 70 }) },
    )
    .filter((s) => !['', '.', '..'].includes(s) && !LONE_SURROGATE.test(s) && !wellFormedAs(param).test(s));

const digitsOrNot = fc.oneof(
  fc.constantFrom(
    '',
    '-1',
    '-0',
    '1.5',
    '1e3',
    '0x10',
    'abc',
    ' 1',
    '1 ',
    '+1',
    'NaN',
    'Infinity',
    '-Infinity',
    '99999999999999999999',
    '1000000001',
    '١',
    '１',
    'null',
    '[]',
    '9'.repeat(10_000),
  ),
  fc.integer({ max: -1 }).map(String),
  fc.bigInt({ min: 101n, max: 10n ** 30n }).map(String),
  fc.string({ unit: nastyChar, minLength: 1, maxLength: 20 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
);
const isDigits = (s: string) => /^[0-9]+$/.test(s);
/** The spec: `offset` ≥ 0, `limit` 1–100 (the service's cap on offset is 10^9). */
const badOffset = digitsOrNot.filter((s) => !isDigits(s) || BigInt(s) > 1_000_000_000n);
const badLimit = digitsOrNot.filter((s) => !isDigits(s) || BigInt(s) < 1n || BigInt(s) > 100n);
const notOneOf = (allowed: string[]) =>
  fc
    .oneof(
      fc.constantFrom(
        '',
        'RUNNING',
        'Success',
        'pending',
        'sleeping',
        'running ',
        'true,false',
        'stop,start',
        'Stop',
      ),
      fc.string({ unit: nastyChar, minLength: 1, maxLength: 12 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    )
    .filter((s) => !allowed.includes(s) && !LONE_SURROGATE.test(s));
const badDay = fc.constantFrom(
  '2024-02-30',
  '2023-02-29',
  '2024-13-01',
  '2024-00-10',
  '2024-01-32',
  '2024-01-00',
  '24-01-01',
  '2024/01/01',
  '2024-1-1',
  '20240101',
  '2024-01-01T00:00:00Z',
  '1969-12-31',
  '0000-01-01',
  '9999-99-99',
  'today',
  '',
  '２０２４-０１-０１',
);

/** The defects of a route's query, if it has one: `[name, value]` pairs to put over the good query. */
function queryDefects(route: HttpRoute): fc.Arbitrary<{ set: Record<string, string>; codes: string[] }>[] {
  const v2 = route.tree === 'v2';
  const paging = [
    badOffset.map((offset) => ({ set: { offset }, codes: ['GES.0001'] })),
    badLimit.map((limit) => ({ set: { limit }, codes: ['GES.0001'] })),
  ];
  const [start, end] = v2 ? ['start_time', 'end_time'] : ['startTime', 'endTime'];
  switch (routeShape(route)) {
    case 'GET /{projectId}/graphs':
    case 'GET /{projectId}/graphs/backups':
    case 'GET /{projectId}/graphs/{graphId}/backups':
      return paging;
    case 'GET /{projectId}/graphs/jobs':
      return [
        ...paging,
        notOneOf(['running', 'waiting', 'success', 'failed']).map((status) => ({
          set: { status },
          codes: ['GES.0001'],
        })),
        fc.tuple(badDay, fc.boolean()).map(([day, first]) => ({
          set: { [first ? start : end]: day },
          codes: ['GES.0001'],
        })),
        fc.constantFrom(['2024-01-02', '2024-01-01'], ['2025-06-01', '2024-06-01']).map(([from, to]) => ({
          set: { [start]: from as string, [end]: to as string },
          codes: ['GES.0001'],
        })),
        fc
          .integer({ min: 65, max: 10_000 })
          .map((n) => ({ set: { graph_name: 'g'.repeat(n) }, codes: ['GES.0001'] })),
      ];
    case 'DELETE /{projectId}/graphs/{graphId}':
      return [
        notOneOf(['true', 'false']).map((flag) => ({
          set: { [v2 ? 'keep_backup' : 'keepBackup']: flag },
          codes: ['GES.0001'],
        })),
      ];
    case 'POST /{projectId}/graphs/{graphId}/action':
      return [notOneOf(['stop', 'start']).map((action_id) => ({ set: { action_id }, codes: ['GES.7048'] }))];
    case 'POST /ges/v1.0/{projectId}/graphs/{graphName}/vertices/action':
    case 'POST /ges/v1.0/{projectId}/graphs/{graphName}/edges/action':
      return [notOneOf(['batch-add']).map((action_id) => ({ set: { action_id }, codes: ['GES.7048'] }))];
    case 'GET /{projectId}/graphs/{graphId}/backup-files':
      return [malformedSegment('backupId').map((backup_id) => ({ set: { backup_id }, codes: ['GES.0001'] }))];
    default:
      return [];
  }
}

const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
);
const deep = (depth: number, inner = '1') => '['.repeat(depth) + inner + ']'.repeat(depth);

/**
 * The leaves of each body the spec defines, with values that break it: a wrong type everywhere, and
 * the strings the spec rules out (graph names, UUIDs, path lengths, batch and id sizes).
 */
function bodyLeaves(route: HttpRoute): { path: (string | number)[]; bad: fc.Arbitrary<unknown> }[] {
  const missing: fc.Arbitrary<unknown> = fc.constant(undefined);
  const badUuid = fc.oneof(wrongType, malformedSegment('graphId'));
  const element = (keys: string[]) => [
    ...keys.map((k) => ({
      path: [0, k],
      bad: fc.oneof(wrongType, missing, fc.constantFrom('', 'é'.repeat(65), 'x'.repeat(10_000))),
    })),
    { path: [0, 'label'], bad: fc.oneof(wrongType, missing, fc.constantFrom('', 'é'.repeat(33))) },
    { path: [0, 'properties'], bad: fc.oneof(fc.integer(), fc.constant('x'), fc.constant([1])) },
    { path: [0, 'properties', 'age'], bad: fc.oneof(fc.integer(), fc.constant('18'), fc.constant({ a: 1 })) },
    {
      path: [0, 'properties', 'age', 0],
      bad: fc.oneof(fc.integer(), fc.constant(null), fc.constant(['18'])),
    },
    { path: [0], bad: fc.oneof(fc.integer(), fc.constant('x'), fc.constant(null), fc.constant([])) },
  ];
  switch (routeShape(route)) {
    case 'POST /{projectId}/graphs':
      return [
        { path: ['graph'], bad: fc.oneof(wrongType, missing) },
        {
          path: ['graph', 'name'],
          bad: fc.oneof(
            wrongType,
            missing,
            fc.constantFrom(
              '',
              'abc',
              '1bad',
              'bad-name',
              'a'.repeat(51),
              'Zoë_graph',
              'with space',
              'a\u0000bcd',
            ),
          ),
        },
      ];
    case 'POST /{projectId}/graphs/{graphId}/action':
    case 'POST /{projectId}/graphs/{graphId}/start':
      return [{ path: ['graph_backup_id'], bad: badUuid }];
    case 'POST /{projectId}/access-keys':
      return [
        {
          path: ['role'],
          bad: fc.oneof(wrongType, missing, fc.constantFrom('', 'Admin', 'root', 'viewer ', 'admin,viewer')),
        },
        { path: ['description'], bad: fc.oneof(wrongType, fc.constant('x'.repeat(256))) },
      ];
    case 'POST /{projectId}/graphs/{graphId}/backups/export':
      return [
        { path: ['backup_id'], bad: fc.oneof(badUuid, missing) },
        {
          path: ['export_path'],
          bad: fc.oneof(wrongType, missing, fc.constantFrom('', 'ab', `b/${'x'.repeat(1023)}`)),
        },
      ];
    case 'POST /{projectId}/graphs/{graphId}/backups/import':
      return [
        {
          path: ['import_path'],
          bad: fc.oneof(wrongType, missing, fc.constantFrom('', 'ab', `b/${'x'.repeat(1023)}`)),
        },
      ];
    case 'POST /ges/v1.0/{projectId}/graphs/{graphName}/vertices/action':
      return [
        { path: ['vertices'], bad: fc.oneof(wrongType, missing, fc.constant([])) },
        ...element(['vertex']).map((l) => ({ ...l, path: ['vertices', ...l.path] })),
      ];
    case 'POST /ges/v1.0/{projectId}/graphs/{graphName}/edges/action':
      return [
        { path: ['edges'], bad: fc.oneof(wrongType, missing, fc.constant([])) },
        ...element(['source', 'target']).map((l) => ({ ...l, path: ['edges', ...l.path] })),
      ];
    default:
      return [];
  }
}

/** `value` with the leaf at `path` replaced (or removed, for undefined). */
function replaced(value: unknown, path: (string | number)[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  if (rest.length === 0 && leaf === undefined) {
    delete copy[head];
    return copy;
  }
  copy[head] = replaced(copy[head], rest, leaf);
  return copy;
}

/** A body, as JSON text, that breaks the route's schema, or is no JSON, or no Unicode text at all. */
function bodyDefects(
  route: HttpRoute,
  good: unknown,
): fc.Arbitrary<{ text: string | Buffer; what: string }>[] {
  const leaves = bodyLeaves(route);
  if (!leaves.length) return [];
  const start = routeShape(route).endsWith('/start') || routeShape(route).endsWith('/action');
  const stringLeaves = leaves.filter((l) => typeof leafOf(good, l.path) === 'string');
  return [
    fc
      .constantFrom(...leaves)
      .chain((leaf) => leaf.bad.map((bad) => JSON.stringify(replaced(good, leaf.path, bad)) ?? ''))
      .filter((text) => !(start && text === '{}'))
      .map((text) => ({ text, what: 'body of wrong types' })),
    fc
      .oneof(
        fc.constantFrom(
          '{',
          '{"graph":',
          'undefined',
          "{'graph':{'name':'abcd'}}",
          '[1,]',
          'NaN',
          '{"a":1}}',
          '\u0000',
          '{"vertices":[{"vertex":"1",}]}',
          '{"graph":{"name":"abcd"}',
          '<graph name="abcd"/>',
          'graph=abcd',
          '{"edges":[{"source":"1","target":"2","label":"l"}]',
        ),
        fc
          .string({ unit: 'grapheme', minLength: 1, maxLength: 200 })
          .filter((s) => !s.trimStart().startsWith('{')),
      )
      .map((text) => ({ text, what: 'body not JSON' })),
    fc
      .uint8Array({ minLength: 1, maxLength: 512 })
      .map((bytes) => ({ text: Buffer.from(bytes), what: 'body of random bytes' })),
    // Unknown keys are allowed (start takes `{}`), so nested objects go under a key the body needs.
    fc
      .tuple(
        fc.integer({ min: 1_000, max: 100_000 }),
        fc.boolean(),
        fc.constantFrom(...leaves.map((l) => l.path)),
      )
      .map(([depth, arrays, [key]]) => ({
        text: arrays ? deep(depth) : `{${JSON.stringify(key)}:${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
        what: 'body nested deep',
      })),
    fc
      .tuple(fc.constantFrom(...leaves.map((l) => l.path)), fc.integer({ min: 1_000, max: 100_000 }))
      .map(([path, depth]) => ({
        text: JSON.stringify(replaced(good, path, '\u0000DEEP\u0000')).replace(
          '"\\u0000DEEP\\u0000"',
          deep(depth, '"x"'),
        ),
        what: 'body nested deep in a field',
      })),
    ...(stringLeaves.length
      ? [
          fc
            .tuple(
              fc.constantFrom(...stringLeaves.map((l) => l.path)),
              fc.constantFrom('\ud800', 'a\udc00b', '\udbff'),
            )
            .map(([path, lone]) => ({
              text: JSON.stringify(replaced(good, path, `${String(leafOf(good, path))}${lone}`)),
              what: 'body with an unpaired surrogate',
            })),
        ]
      : []),
  ];
}

const leafOf = (value: unknown, path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);

const WRONG_CONTENT_TYPES = [
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json-patch+json',
  'application/jsonl',
  'application/json-seq',
  'application/vnd.api+json',
  'application/jsonx',
  '*/*',
  'application/octet-stream',
];

/** Every route's malformed requests, with the error each must get. */
function defectsOf(route: HttpRoute): fc.Arbitrary<Case> | undefined {
  const good = wellFormedRequest(route, ids, transfer);
  const known = good.known;
  const jsonHeaders: Record<string, string> =
    good.body !== undefined ? { 'content-type': 'application/json' } : {};
  const make = (
    category: string,
    expected: Expected,
    over: {
      path?: string;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      body?: string | Buffer;
      method?: string;
    },
  ): Case => {
    const body = over.body ?? (good.body !== undefined ? JSON.stringify(good.body) : undefined);
    const headers: Record<string, string> = { 'x-auth-token': token, ...jsonHeaders, ...over.headers };
    return {
      category,
      route,
      method: over.method ?? route.method,
      url: withQuery(over.path ?? good.path, over.query ?? good.query),
      headers,
      ...(body !== undefined && { body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8') }),
      expected,
    };
  };
  const defects: { weight: number; arbitrary: fc.Arbitrary<Case> }[] = [];

  // Path parameters: the project's is checked against the token first (403), the others are GES.0001.
  for (const param of pathParameters(route.path)) {
    const codes = param === 'projectId' ? ['GES.7041'] : known ? ['GES.0001'] : ['GES.0001', 'GES.7016'];
    defects.push({
      weight: param === 'projectId' ? 2 : 6,
      arbitrary: malformedSegment(param).map((value) =>
        make(`${param} malformed`, { codes }, { path: fillPath(route.path, { ...ids, [param]: value }) }),
      ),
    });
  }
  for (const defect of queryDefects(route)) {
    defects.push({
      weight: 4,
      arbitrary: defect.map(({ set, codes }) =>
        make('query malformed', { codes }, { query: { ...good.query, ...set } }),
      ),
    });
  }
  // The v1 action reads a body only to start (stop ignores one): a bad body goes with action_id=start.
  const bodyQuery =
    'action_id' in good.query && good.query.action_id === 'stop' ? { action_id: 'start' } : good.query;
  for (const defect of bodyDefects(route, good.body)) {
    defects.push({
      weight: 3,
      arbitrary: defect.map(({ text, what }) =>
        make(
          what,
          { codes: ['GES.7016'] },
          { body: text, query: bodyQuery, headers: { 'content-type': 'application/json' } },
        ),
      ),
    });
  }
  if (good.body !== undefined) {
    defects.push({
      weight: 3,
      arbitrary: fc
        .constantFrom(...WRONG_CONTENT_TYPES)
        .map((type) =>
          make(
            'wrong content type',
            { codes: ['GES.7016'] },
            { headers: type ? { 'content-type': type } : {} },
          ),
        ),
    });
  }
  if (routeShape(route) === 'POST /{projectId}/graphs/{graphId}/backups') {
    defects.push({
      weight: 3,
      arbitrary: fc
        .oneof(
          fc.string({
            unit: fc.integer({ min: 0xa1, max: 0xff }).map((c) => String.fromCharCode(c)),
            minLength: 1,
            maxLength: 30,
          }),
          fc.constantFrom('x'.repeat(10_000), 'ünïcode', 'tökén'),
        )
        .map((value) =>
          make('X-Client-Token malformed', { codes: ['GES.7016'] }, { headers: { 'x-client-token': value } }),
        ),
    });
  }
  defects.push({
    weight: 4,
    arbitrary: badToken.map((t) =>
      make('X-Auth-Token malformed', { codes: ['APIGW.0301'] }, { headers: { 'x-auth-token': t } }),
    ),
  });
  defects.push({
    weight: 4,
    arbitrary: signatureDefect.map(({ what, authorize }) => {
      const c = make(what, { codes: ['APIGW.0301'] }, {});
      const { 'x-auth-token': _token, ...headers } = c.headers;
      return { ...c, headers: authorize(c.method, c.url, headers, c.body ?? Buffer.alloc(0)) };
    }),
  });
  const otherMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter(
    (method) => !routes.some((r) => r.method === method && matches(r.path, good.path)),
  );
  if (otherMethods.length) {
    defects.push({
      weight: 3,
      arbitrary: fc
        .constantFrom(...otherMethods)
        .map((method) => withoutBody(make('wrong method', { notFound: true }, { method }))),
    });
  }
  return defects.length ? fc.oneof(...defects) : undefined;
}

/** A body can go with no GET, and a route that is not found reads none. */
const withoutBody = ({ body: _body, ...c }: Case): Case => {
  const { 'content-type': _type, ...headers } = c.headers;
  return { ...c, headers };
};

let badToken: fc.Arbitrary<string>;
function tokenDefects(valid: string): fc.Arbitrary<string> {
  const [header = '', payload = '', signature = ''] = valid.split('.');
  const printable = fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 200,
  });
  const latin1 = fc.string({
    unit: fc.integer({ min: 0xa1, max: 0xff }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 200,
  });
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  return fc.oneof(
    printable,
    latin1,
    fc.constantFrom(
      'x'.repeat(8_000),
      'a.b.c',
      '..',
      'null',
      `Bearer ${valid}`,
      `${valid}.x`,
      `${header}.${payload}`,
      `${header}..${signature}`,
    ),
    fc.integer({ min: 1, max: valid.length - 1 }).map((n) => valid.slice(0, n)),
    fc
      .integer({ min: 5, max: signature.length - 5 })
      .map((i) => `${header}.${payload}.${flip(signature, i)}`),
    fc.integer({ min: 5, max: payload.length - 5 }).map((i) => `${header}.${flip(payload, i)}.${signature}`),
  );
}

/**
 * AK/SK signatures that must not pass: the request signed right and then broken in one place (the
 * signature, the key, the date, the signed headers), or an Authorization header that is no signature.
 */
type SignatureDefect = {
  what: string;
  authorize: (
    method: string,
    url: string,
    headers: Record<string, string>,
    body: Buffer,
  ) => Record<string, string>;
};
let signatureDefect: fc.Arbitrary<SignatureDefect>;
function signatureDefects(key: Credentials): fc.Arbitrary<SignatureDefect> {
  const sign =
    (credentials: Credentials, at?: number) =>
    (method: string, url: string, headers: Record<string, string>, body: Buffer) =>
      signed({ credentials, ...(at !== undefined && { at }) }, method, url, headers, body);
  const broken = (
    what: string,
    change: (authorization: string) => string,
    credentials = key,
  ): SignatureDefect => ({
    what,
    authorize: (method, url, headers, body) => {
      const all = sign(credentials)(method, url, headers, body);
      return { ...all, authorization: change(all.authorization ?? '') };
    },
  });
  const printable = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 0,
    maxLength: 300,
  });
  const flipAt = (s: string, i: number) => s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);
  return fc.oneof(
    fc
      .integer({ min: 1, max: 64 })
      .map((i) => broken('Authorization: a signature off by one character', (a) => flipAt(a, a.length - i))),
    fc
      .integer({ min: 0, max: 19 })
      .map((i) =>
        broken('Authorization: another access key', (a) =>
          a.replace(
            /Access=(\w+)/,
            (_, k: string) => `Access=${k.slice(0, i)}${k[i] === 'A' ? 'B' : 'A'}${k.slice(i + 1)}`,
          ),
        ),
      ),
    fc
      .constantFrom('host;', 'x-sdk-date', ';x-sdk-date')
      .map((cut) => broken('Authorization: a signed header left out', (a) => a.replace(cut, ''))),
    fc.integer({ min: 16, max: 10_000 }).map((minutes) => ({
      what: 'Authorization: a stale or future date',
      authorize: sign(key, Date.now() + (minutes % 2 ? 1 : -1) * minutes * 60_000),
    })),
    fc.constantFrom('20261301T000000Z', '', 'yesterday', '2026-12-01T00:00:00Z').map((date) => ({
      what: 'Authorization: a malformed X-Sdk-Date',
      authorize: (method: string, url: string, headers: Record<string, string>, body: Buffer) => ({
        ...sign(key)(method, url, headers, body),
        'x-sdk-date': date,
      }),
    })),
    fc
      .integer({ min: 1, max: 150 })
      .map((n) => broken('Authorization: cut short', (a) => a.slice(0, Math.min(n, a.length - 1)))),
    fc
      .oneof(
        printable,
        fc.constantFrom(
          'SDK-HMAC-SHA256',
          'SDK-HMAC-SHA256 ',
          'AWS4-HMAC-SHA256 Credential=x',
          'Basic dXNlcjpwYXNz',
          'x'.repeat(8_000),
        ),
        printable.map((p) => `SDK-HMAC-SHA256 ${p}`),
      )
      .map((value) => broken('Authorization: not a signature', () => value)),
  );
}

/** The few requests too large to generate by the thousand: bodies over 6 MB, elements over DynamoDB's limits. */
function oversized(): Case[] {
  const vertices = routes.filter((r) => routeShape(r).endsWith('/vertices/action'));
  const creates = routes.filter((r) => routeShape(r) === 'POST /{projectId}/graphs');
  const send = (route: HttpRoute, category: string, body: string): Case => {
    const good = wellFormedRequest(route, ids, transfer);
    return {
      category,
      route,
      method: route.method,
      url: withQuery(good.path, good.query),
      headers: { 'x-auth-token': token, 'content-type': 'application/json' },
      body: Buffer.from(body, 'utf8'),
      expected: { codes: ['GES.7016'] },
    };
  };
  const bigName = JSON.stringify({ graph: { name: 'a'.repeat(6.5 * 2 ** 20) } });
  const bigBatch = JSON.stringify({
    vertices: Array.from({ length: 700 }, (_, i) => ({
      vertex: `big${i}`,
      label: 'l',
      properties: { p: ['x'.repeat(10_000)] },
    })),
  });
  const bigElement = JSON.stringify({
    vertices: Array.from({ length: 150 }, (_, i) => ({
      vertex: `v${i}`,
      label: 'l',
      properties: i === 120 ? { p: Array.from({ length: 50 }, () => 'x'.repeat(10_000)) } : {},
    })),
  });
  // Each element over the 64 KB of properties the service takes (lib/graphs/model.ts).
  const bigProperties = JSON.stringify({
    vertices: Array.from({ length: 60 }, (_, i) => ({
      vertex: `c${i}`,
      label: 'l',
      properties: { p: ['x'.repeat(70_000)] },
    })),
  });
  return [
    ...creates.flatMap((r) => [send(r, 'body over 6 MB', bigName)]),
    ...vertices.flatMap((r) => [
      send(r, 'body over 6 MB', bigBatch),
      ...Array.from({ length: 5 }, () => send(r, 'element over 400 KB', bigElement)),
      ...Array.from({ length: 5 }, () => send(r, 'properties over 64 KB', bigProperties)),
    ]),
  ];
}

// ---------------------------------------------------------------------------------------------

async function send(c: Case): Promise<Reply> {
  try {
    const response = await fetch(inject('baseUrl') + c.url, {
      method: c.method,
      headers: c.headers,
      ...(c.body !== undefined && { body: c.body }),
    });
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch {
      return { status: response.status, body: text };
    }
  } catch (error) {
    return { status: -1, body: `the client could not send it: ${(error as Error).message}` };
  }
}

/** Why a reply is not what the case calls for, or undefined when it is. */
function fault(c: Case, reply: Reply): string | undefined {
  if (reply.status >= 500 || reply.status < 0) return `${reply.status}`;
  const body = reply.body as Record<string, unknown>;
  if (body && typeof body === 'object' && 'errorType' in body && !('errorCode' in body))
    return 'a crashed handler';
  if ('notFound' in c.expected) return reply.status === 404 ? undefined : `${reply.status} instead of 404`;
  const [codeKey, messageKey] =
    c.route.tree === 'v2' ? ['error_code', 'error_msg'] : ['errorCode', 'errorMessage'];
  const keys = body && typeof body === 'object' ? Object.keys(body).sort().join(',') : typeof body;
  if (keys !== [codeKey, messageKey].sort().join(',')) return `${reply.status} with a body of keys ${keys}`;
  const code = String(body[codeKey as string]);
  if (typeof body[messageKey as string] !== 'string') return `${code} without a message`;
  if (!c.expected.codes.includes(code)) return `${reply.status} ${code}`;
  if (SPEC_STATUS[code] !== reply.status) return `${code} with HTTP ${reply.status}`;
  return undefined;
}

const label = (c: Case) => {
  const expected = 'notFound' in c.expected ? '404' : c.expected.codes.join('|');
  return `${c.category} on ${c.route.key} (expected ${expected})`;
};

beforeAll(async () => {
  const service = await readService();
  routes = service.routes;
  transfer = service.transferBucket;
  store = storeReader(service.tables);
  token = await tokenFor(PROJECT);
  signing = await issueAccessKey(PROJECT, 'admin');

  const graph = await graphWith(PROJECT, {
    vertices: [
      { vertex: '1', label: 'user', properties: { age: ['18'] } },
      { vertex: '2', label: 'user', properties: {} },
    ],
    edges: [{ source: '1', target: '2', label: 'rate', properties: { score: ['5'] } }],
  });
  const started = await call('POST', `/v1.0/${PROJECT}/graphs/${graph.graphId}/backups`, { token });
  expect(await waitForJob(PROJECT, graph.graphId, started.body.jobId)).toMatchObject({ status: 'success' });
  ids = {
    projectId: PROJECT,
    graphId: graph.graphId,
    graphName: graph.name,
    backupId: started.body.backupId,
    jobId: started.body.jobId,
    accessKeyId: signing.accessKey,
  };

  badToken = tokenDefects(token);
  signatureDefect = signatureDefects(signing);
  const perRoute = fc.constantFrom(...routes).chain((route) => defectsOf(route) ?? fc.constant(undefined));
  const generating = performance.now();
  const generated = fc
    .sample(perRoute, { seed: SEED, numRuns: GENERATED })
    .filter((c): c is Case => c !== undefined);
  cases = [...generated, ...oversized()];
  console.info(
    `[bad-input] ${cases.length} requests generated in ${((performance.now() - generating) / 1000).toFixed(1)} s`,
  );
  before = await store.snapshot([PROJECT]);
}, 120_000);

describe('bad input', () => {
  it('gets at least 10,000 malformed requests over every route, each one the error its defect calls for and never a 5xx', async () => {
    const started = performance.now();
    replies = await mapLimit(cases, CONCURRENCY, send);
    const seconds = (performance.now() - started) / 1000;

    const faults = new Map<string, { count: number; example: string }>();
    cases.forEach((c, i) => {
      const why = fault(c, replies[i] as Reply);
      if (!why) return;
      const key = `${label(c)}: got ${why}`;
      const seen = faults.get(key) ?? { count: 0, example: `${c.method} ${c.url.slice(0, 160)}` };
      faults.set(key, { ...seen, count: seen.count + 1 });
    });
    const statuses: Record<number, number> = {};
    for (const r of replies) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const byCategory: Record<string, number> = {};
    for (const c of cases) byCategory[c.category] = (byCategory[c.category] ?? 0) + 1;
    recordFigure('bad input', {
      requests: cases.length,
      seconds: Number(seconds.toFixed(1)),
      perSecond: Math.round(cases.length / seconds),
      ...statuses,
    });
    console.info(
      `[bad-input] ${cases.length} requests in ${seconds.toFixed(1)} s (${Math.round(cases.length / seconds)}/s, ${CONCURRENCY} at a time); statuses ${JSON.stringify(statuses)}; by defect ${JSON.stringify(byCategory)}`,
    );

    expect(cases.length).toBeGreaterThanOrEqual(10_000);
    for (const route of routes) {
      expect(cases.filter((c) => c.route === route).length, route.key).toBeGreaterThanOrEqual(100);
    }
    expect(
      [...faults].map(([key, { count, example }]) => `${count} × ${key} — e.g. ${example}`).slice(0, 40),
    ).toEqual([]);
  });

  it('changes nothing: every record and file of the project is as it was, and no partition appeared for a malformed project', async () => {
    const after = await store.snapshot([PROJECT]);
    recordFigure('bad input changes nothing', {
      control: `${before.control.length} → ${after.control.length}`,
      graph: `${before.graph.length} → ${after.graph.length}`,
      files: `${before.files.length} → ${after.files.length}`,
      tables: `${before.tableSizes.control} → ${after.tableSizes.control}, ${before.tableSizes.graph} → ${after.tableSizes.graph}`,
    });
    console.info(
      `[bad-input] project records before/after: control ${before.control.length}/${after.control.length}, graph data ${before.graph.length}/${after.graph.length}, files ${before.files.length}/${after.files.length}; tables (every project) control ${before.tableSizes.control}→${after.tableSizes.control}, graph ${before.tableSizes.graph}→${after.tableSizes.graph}`,
    );
    expect(before.graph.length).toBe(3);
    expect(changes(before, after)).toEqual([]);
    const appeared = [...after.controlPartitions].filter((pk) => !before.controlPartitions.has(pk));
    expect(appeared.filter((pk) => !/^PROJECT#[A-Za-z0-9]{1,64}$/.test(pk))).toEqual([]);
  });
});

/** Each defect the generator found, on a project of its own, as a sentence. */
describe('bad input the generator found', () => {
  const project = 'fuzzfound';
  const expectError = (reply: { status: number; body: unknown }, code: string, v2 = false) =>
    expect(reply).toEqual({
      status: SPEC_STATUS[code],
      body: v2
        ? { error_code: code, error_msg: expect.any(String) }
        : { errorCode: code, errorMessage: expect.any(String) },
    });

  it('refuses a batch with an element too large for the store with GES.7016, and writes none of it', async () => {
    const token = await tokenFor(project);
    const { name } = await graphWith(project);
    const vertices = Array.from({ length: 150 }, (_, i) => ({
      vertex: `v${i}`,
      label: 'l',
      properties: i === 120 ? { p: Array.from({ length: 50 }, () => 'x'.repeat(10_000)) } : {},
    }));
    const added = await call(
      'POST',
      `/ges/v1.0/${project}/graphs/${name}/vertices/action?action_id=batch-add`,
      {
        token,
        body: { vertices },
      },
    );
    const summary = await call('GET', `/ges/v1.0/${project}/graphs/${name}/summary`, { token });
    expect({ added, vertexNum: summary.body.data.vertexNum }).toEqual({
      added: { status: 400, body: { errorCode: 'GES.7016', errorMessage: expect.any(String) } },
      vertexNum: 0,
    });
  });

  it('refuses a job list whose start day is after its end day with GES.0001, in both trees', async () => {
    const token = await tokenFor(project);
    expectError(
      await call('GET', `/v1.0/${project}/graphs/jobs?startTime=2024-01-02&endTime=2024-01-01`, { token }),
      'GES.0001',
    );
    expectError(
      await call('GET', `/v2/${project}/graphs/jobs?start_time=2024-01-02&end_time=2024-01-01`, { token }),
      'GES.0001',
      true,
    );
  });

  it('refuses a day that does not exist, such as 2024-02-30, or one before 1970, with GES.0001', async () => {
    const token = await tokenFor(project);
    expectError(
      await call('GET', `/v1.0/${project}/graphs/jobs?startTime=2024-02-30`, { token }),
      'GES.0001',
    );
    expectError(await call('GET', `/v1.0/${project}/graphs/jobs?endTime=1969-12-31`, { token }), 'GES.0001');
    expect(
      (await call('GET', `/v1.0/${project}/graphs/jobs?startTime=2024-02-29&endTime=2024-02-29`, { token }))
        .status,
    ).toBe(200);
  });

  it('refuses a body whose media type only begins like application/json with GES.7016, and creates nothing', async () => {
    const token = await tokenFor(project);
    for (const type of ['application/json-patch+json', 'application/json-seq']) {
      const created = await call('POST', `/v1.0/${project}/graphs`, {
        token,
        body: { graph: { name: 'lookalike_type' } },
        headers: { 'content-type': type },
      });
      expectError(created, 'GES.7016');
    }
    const json = await call('POST', `/v1.0/${project}/graphs`, {
      token,
      body: { graph: { name: 'charset_type' } },
      headers: { 'content-type': 'Application/JSON; charset=utf-8' },
    });
    expect(json.status).toBe(200);
    const graphs = await call('GET', `/v1.0/${project}/graphs?limit=100`, { token });
    expect(graphs.body.graphs.map((g: { name: string }) => g.name)).not.toContain('lookalike_type');
  });

  it('refuses a string with an unpaired surrogate with GES.7016, and writes nothing', async () => {
    const token = await tokenFor(project);
    const { name } = await graphWith(project);
    const added = await call(
      'POST',
      `/ges/v1.0/${project}/graphs/${name}/vertices/action?action_id=batch-add`,
      {
        token,
        body: '{"vertices":[{"vertex":"a\\ud800","label":"user","properties":{}}]}',
      },
    );
    expectError(added, 'GES.7016');
    const summary = await call('GET', `/ges/v1.0/${project}/graphs/${name}/summary`, { token });
    expect(summary.body.data.vertexNum).toBe(0);
  });
});
