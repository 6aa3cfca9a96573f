import { decodeJwt, generateKeyPair, importPKCS8, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mapLimit } from '../../lib/core/concurrency.js';
import { localKeys } from '../../local/auth.js';
import { recordFigure } from '../support/figures.js';
import {
  type Credentials,
  call,
  graphWith,
  issueAccessKey,
  type Reply,
  type Signing,
  tokenFor,
  waitForJob,
} from './client.js';
import { changes, storeReader } from './records.js';
import {
  type HttpRoute,
  type Ids,
  isAdminRoute,
  PHANTOM,
  pathParameters,
  readService,
  type Service,
  wellFormedRequest,
  withQuery,
} from './service.js';

/**
 * Tenant isolation, route by route, for every `httpApi` event of serverless.yml: each is sent a request
 * it would carry out for the right caller (the path names a real graph, backup and job of the victim,
 * with the query and body the route needs), by every wrong caller. A 401 or 403 says nothing about
 * whether the resource exists, and no answer carries another project's data.
 */
const VICTIM = 'isolationvictim';
const ATTACKER = 'isolationattacker';
const SECRET = 'victim-secret-7f3a';
const WRITE_CONCURRENCY = 8;

let service: Service;
let routes: HttpRoute[];
let victim: Ids & { backupName: string };
let phantom: Ids;
let attackerGraphId: string;
let bucket: string;
let transfer: string;
let before: Awaited<ReturnType<ReturnType<typeof storeReader>['snapshot']>>;
let store: ReturnType<typeof storeReader>;
let keysBefore: unknown;

/** Tokens as a careless or hostile client would send them, each with the reason the 401 must give. */
type BadToken = { name: string; token: string | null; reason: string };
let badTokens: BadToken[];
/** Signatures likewise, each made when it is sent. */
type BadSignature = { name: string; signing: () => Signing; reason: string };
let badSignatures: BadSignature[];
let keys: { victimViewer: Credentials; victimOperator: Credentials; attackerAdmin: Credentials };

async function sign(claims: Record<string, unknown>, key: Parameters<SignJWT['sign']>[0], exp: number) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuedAt(exp - 3600)
    .setExpirationTime(exp)
    .sign(key);
}

beforeAll(async () => {
  service = await readService();
  routes = service.routes;
  bucket = inject('backupBucket');
  transfer = service.transferBucket;
  store = storeReader(service.tables);

  const vertices = [
    { vertex: 'alice', label: 'person', properties: { note: [SECRET] } },
    { vertex: 'bob', label: 'person', properties: {} },
  ];
  const edges = [{ source: 'alice', target: 'bob', label: 'knows', properties: {} }];
  const graph = await graphWith(VICTIM, { vertices, edges });
  const token = await tokenFor(VICTIM);
  const started = await call('POST', `/v1.0/${VICTIM}/graphs/${graph.graphId}/backups`, { token });
  expect(started.status).toBe(200);
  expect(await waitForJob(VICTIM, graph.graphId, started.body.jobId)).toMatchObject({ status: 'success' });
  const backups = await call('GET', `/v1.0/${VICTIM}/graphs/${graph.graphId}/backups`, { token });
  keys = {
    victimViewer: await issueAccessKey(VICTIM, 'viewer'),
    victimOperator: await issueAccessKey(VICTIM, 'operator'),
    attackerAdmin: await issueAccessKey(ATTACKER, 'admin'),
  };
  const victimAdmin = await issueAccessKey(VICTIM, 'admin');
  const disabledKey = await issueAccessKey(VICTIM, 'admin');
  const deletedKey = await issueAccessKey(VICTIM, 'admin');
  const keyAdmin = (path: string, method: string) =>
    call(method, `/v1.0/${VICTIM}/access-keys/${path}`, { token });
  expect((await keyAdmin(`${disabledKey.accessKey}/disable`, 'POST')).status).toBe(200);
  expect((await keyAdmin(deletedKey.accessKey, 'DELETE')).status).toBe(200);
  const withoutHost = (h: Record<string, string>) => ({
    ...h,
    authorization: (h.authorization ?? '').replace('host;', ''),
  });
  badSignatures = [
    {
      name: 'an unknown access key',
      signing: () => ({
        credentials: { accessKey: 'UNKNOWNACCESSKEY0000', secretKey: victimAdmin.secretKey },
      }),
      reason: 'the access key is unknown',
    },
    {
      name: 'a deleted access key',
      signing: () => ({ credentials: deletedKey }),
      reason: 'the access key is unknown',
    },
    {
      name: 'a disabled access key',
      signing: () => ({ credentials: disabledKey }),
      reason: 'the access key is disabled',
    },
    {
      name: "the victim's access key signed with the attacker's secret",
      signing: () => ({
        credentials: { accessKey: victimAdmin.accessKey, secretKey: keys.attackerAdmin.secretKey },
      }),
      reason: 'the signature does not match the request',
    },
    {
      name: 'a signature of another date',
      signing: () => ({
        credentials: victimAdmin,
        tamper: (h) => ({
          ...h,
          'x-sdk-date': h['x-sdk-date']?.replace(/\d(?=Z$)/, (d) => (d === '0' ? '1' : '0')) ?? '',
        }),
      }),
      reason: 'the signature does not match the request',
    },
    {
      name: 'a stale signature',
      signing: () => ({ credentials: victimAdmin, at: Date.now() - 20 * 60_000 }),
      reason: 'the signature has expired: X-Sdk-Date is more than 15 minutes away',
    },
    {
      name: 'a signature that leaves out host',
      signing: () => ({ credentials: victimAdmin, tamper: withoutHost }),
      reason: 'SignedHeaders must include host',
    },
  ];
  victim = {
    projectId: VICTIM,
    graphId: graph.graphId,
    graphName: graph.name,
    backupId: started.body.backupId,
    jobId: started.body.jobId,
    accessKeyId: victimAdmin.accessKey,
    backupName: backups.body.backupList[0].name,
  };
  phantom = { projectId: VICTIM, ...PHANTOM } as Ids;
  attackerGraphId = (await graphWith(ATTACKER)).graphId;

  const { privateKeyPem } = await localKeys();
  const ours = await importPKCS8(privateKeyPem, 'ES256');
  const theirs = (await generateKeyPair('ES256')).privateKey;
  const now = Math.floor(Date.now() / 1000);
  const admin = { project_id: VICTIM, roles: ['admin'] };
  const attackerToken = await tokenFor(ATTACKER);
  // The attacker's own valid token, its payload rewritten to name the victim: the signature no longer fits.
  const [header, , signature] = attackerToken.split('.');
  const forgedPayload = Buffer.from(
    JSON.stringify({ ...decodeJwt(attackerToken), project_id: VICTIM }),
  ).toString('base64url');
  badTokens = [
    { name: 'no token', token: null, reason: 'neither an X-Auth-Token nor an AK/SK signature was sent' },
    { name: 'a garbage token', token: 'garbage', reason: 'the token is malformed' },
    {
      name: 'an unsigned token (alg none)',
      token: new UnsecuredJWT(admin).setExpirationTime(now + 3600).encode(),
      reason: 'the token is malformed',
    },
    {
      name: 'a token signed by another key',
      token: await sign(admin, theirs, now + 3600),
      reason: 'the token signature is not valid',
    },
    {
      name: "another project's token with its claims rewritten",
      token: `${header}.${forgedPayload}.${signature}`,
      reason: 'the token signature is not valid',
    },
    { name: 'an expired token', token: await sign(admin, ours, now - 60), reason: 'the token has expired' },
  ];
  keysBefore = (await call('GET', `/v1.0/${VICTIM}/access-keys`, { token })).body;
  before = await store.snapshot([VICTIM]);
});

/** Requests sent per check, for the figures in RELIABILITY.md. */
const sent: Record<string, number> = {};
afterAll(() => {
  console.info(`[isolation] ${routes?.length} routes; requests ${JSON.stringify(sent)}`);
  recordFigure(`isolation ${process.env.E2E_AUTH ?? 'token'}`, { routes: routes?.length, ...sent });
});

/** Sends the route's well-formed request with `ids` in it, as `token` or signed as `signing` says. */
function send(route: HttpRoute, ids: Ids, token: string | null, signing?: () => Signing): Promise<Reply> {
  const request = wellFormedRequest(route, ids, transfer);
  return call(route.method, withQuery(request.path, request.query), {
    token: signing ? null : token,
    ...(signing && { sign: signing() }),
    ...(request.body !== undefined && { body: request.body }),
  });
}

const errorBody = (route: HttpRoute, code: string, message: string) =>
  route.tree === 'v2' ? { error_code: code, error_msg: message } : { errorCode: code, errorMessage: message };
const FORBIDDEN = ['GES.7041', 'Insufficient permission.'] as const;
const isWrite = (route: HttpRoute) => route.method !== 'GET';
/** What a viewer may not do: write, or manage access keys. */
const beyondViewer = (route: HttpRoute) => isWrite(route) || isAdminRoute(route);

/** Every answer that differs from the one expected, as `route / case: got`. */
async function mismatches(
  check: string,
  cases: { route: HttpRoute; label: string; send: () => Promise<Reply>; expected: Reply }[],
) {
  sent[check] = cases.length;
  const replies = await mapLimit(cases, WRITE_CONCURRENCY, (c) => c.send());
  return cases.flatMap((c, i) => {
    const reply = replies[i] as Reply;
    const same =
      reply.status === c.expected.status && JSON.stringify(reply.body) === JSON.stringify(c.expected.body);
    return same
      ? []
      : [`${c.route.key} / ${c.label}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`];
  });
}

describe('tenant isolation on every route serverless.yml declares', () => {
  it('reads the routes from serverless.yml, every one of them in a project', () => {
    expect(routes.length).toBeGreaterThanOrEqual(30);
    expect(routes.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        'POST /v1.0/{projectId}/graphs/{graphId}/backups',
        'GET /v2/{projectId}/graphs/{graphId}/jobs/{jobId}/status',
        'POST /ges/v1.0/{projectId}/graphs/{graphName}/vertices/action',
      ]),
    );
    for (const route of routes) expect(pathParameters(route.path)[0], route.key).toBe('projectId');
  });

  it('answers no token, a garbage, unsigned, forged, foreign-signed or expired token with 401 APIGW.0301 and the reason, whether or not the resource exists', async () => {
    const cases = routes.flatMap((route) =>
      badTokens.flatMap((bad) =>
        [victim, phantom].map((ids) => ({
          route,
          label: `${bad.name} (${ids === victim ? 'real' : 'phantom'} ids)`,
          send: () => send(route, ids, bad.token),
          expected: {
            status: 401,
            body: errorBody(route, 'APIGW.0301', `Incorrect IAM authentication information: ${bad.reason}`),
          },
        })),
      ),
    );
    expect(cases.length).toBe(routes.length * badTokens.length * 2);
    expect(await mismatches('401', cases)).toEqual([]);
  });

  it("answers another project's token with 403 GES.7041 on every route, whether or not the resource exists", async () => {
    const attacker = await tokenFor(ATTACKER);
    const cases = routes.flatMap((route) =>
      [victim, phantom].map((ids) => ({
        route,
        label: `${ATTACKER} admin (${ids === victim ? 'real' : 'phantom'} ids)`,
        send: () => send(route, ids, attacker),
        expected: { status: 403, body: errorBody(route, ...FORBIDDEN) },
      })),
    );
    expect(await mismatches('403 other project', cases)).toEqual([]);
  });

  it("answers a viewer's token with 403 GES.7041 on every write, whether or not the resource exists", async () => {
    const viewer = await tokenFor(VICTIM, 'viewer');
    const writes = routes.filter(beyondViewer);
    expect(writes.length).toBeGreaterThan(0);
    const cases = writes.flatMap((route) =>
      [victim, phantom].map((ids) => ({
        route,
        label: `${VICTIM} viewer (${ids === victim ? 'real' : 'phantom'} ids)`,
        send: () => send(route, ids, viewer),
        expected: { status: 403, body: errorBody(route, ...FORBIDDEN) },
      })),
    );
    expect(await mismatches('403 viewer write', cases)).toEqual([]);
  });

  it('answers a bad, stale, unknown, disabled, deleted or tampered AK/SK signature with 401 APIGW.0301 and the reason, whether or not the resource exists', async () => {
    const cases = routes.flatMap((route) =>
      badSignatures.flatMap((bad) =>
        [victim, phantom].map((ids) => ({
          route,
          label: `${bad.name} (${ids === victim ? 'real' : 'phantom'} ids)`,
          send: () => send(route, ids, null, bad.signing),
          expected: {
            status: 401,
            body: errorBody(route, 'APIGW.0301', `Incorrect IAM authentication information: ${bad.reason}`),
          },
        })),
      ),
    );
    expect(cases.length).toBe(routes.length * badSignatures.length * 2);
    expect(await mismatches('401 signature', cases)).toEqual([]);
  });

  it("answers another project's access key with 403 GES.7041 on every route, and the victim's viewer key with 403 on every write", async () => {
    const cases = routes.flatMap((route) =>
      [victim, phantom].flatMap((ids) => [
        {
          route,
          label: `${ATTACKER} admin key (${ids === victim ? 'real' : 'phantom'} ids)`,
          send: () => send(route, ids, null, () => ({ credentials: keys.attackerAdmin })),
          expected: { status: 403, body: errorBody(route, ...FORBIDDEN) },
        },
        ...(beyondViewer(route)
          ? [
              {
                route,
                label: `${VICTIM} viewer key (${ids === victim ? 'real' : 'phantom'} ids)`,
                send: () => send(route, ids, null, () => ({ credentials: keys.victimViewer })),
                expected: { status: 403, body: errorBody(route, ...FORBIDDEN) },
              },
            ]
          : []),
        ...(isAdminRoute(route)
          ? [
              {
                route,
                label: `${VICTIM} operator key on an admin route (${ids === victim ? 'real' : 'phantom'} ids)`,
                send: () => send(route, ids, null, () => ({ credentials: keys.victimOperator })),
                expected: { status: 403, body: errorBody(route, ...FORBIDDEN) },
              },
            ]
          : []),
      ]),
    );
    expect(cases.filter((c) => c.label.includes('viewer key')).length).toBe(
      routes.filter(beyondViewer).length * 2,
    );
    expect(await mismatches('403 signed', cases)).toEqual([]);
  });

  it("lets a viewer read every route of its own project (the 403s above are the role's, not the route's)", async () => {
    const viewer = await tokenFor(VICTIM, 'viewer');
    const reads = routes.filter((r) => !beyondViewer(r));
    sent['viewer read'] = reads.length * 2;
    const replies = [
      ...(await mapLimit(reads, WRITE_CONCURRENCY, (route) => send(route, victim, viewer))),
      ...(await mapLimit(reads, WRITE_CONCURRENCY, (route) =>
        send(route, victim, null, () => ({ credentials: keys.victimViewer })),
      )),
    ];
    const refused = [...reads, ...reads].flatMap((route, i) => {
      const reply = replies[i] as Reply;
      const denied = reply.status === 401 || reply.status === 403 || reply.status >= 500;
      return denied ? [`${route.key}: ${reply.status} ${JSON.stringify(reply.body)}`] : [];
    });
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThan(reads.length);
    expect(refused).toEqual([]);
  });

  it("answers a project naming another project's graph, backup, job or graph name in its own tree with no data of theirs", async () => {
    const attacker = await tokenFor(ATTACKER);
    const markers = [
      victim.graphId,
      victim.graphName,
      victim.backupId,
      victim.jobId,
      victim.backupName,
      victim.accessKeyId,
      SECRET,
    ];
    // The victim's ids everywhere, and the attacker's own graph with the victim's backup and job.
    const fillings: Ids[] = [
      { ...victim, projectId: ATTACKER },
      { ...victim, projectId: ATTACKER, graphId: attackerGraphId },
    ];
    const leaks: string[] = [];
    let namedTheVictim = 0;
    const naming = routes.filter((r) => pathParameters(r.path).length > 1).length;
    for (const ids of fillings) {
      const cases = routes.map((route) => ({ route, request: wellFormedRequest(route, ids, transfer) }));
      sent['own tree, other ids'] = (sent['own tree, other ids'] ?? 0) + cases.length;
      const replies = await mapLimit(cases, WRITE_CONCURRENCY, ({ route, request }) =>
        call(route.method, withQuery(request.path, request.query), {
          token: attacker,
          ...(request.body !== undefined && { body: request.body }),
        }),
      );
      cases.forEach(({ route, request }, i) => {
        const reply = replies[i] as Reply;
        const sent =
          decodeURIComponent(withQuery(request.path, request.query)) + JSON.stringify(request.body ?? '');
        const named = markers.filter((m) => sent.includes(m));
        const shown = markers.filter((m) => !sent.includes(m) && JSON.stringify(reply.body).includes(m));
        if (named.length) namedTheVictim++;
        if (reply.status >= 500) leaks.push(`${route.key}: ${reply.status}`);
        if (shown.length) leaks.push(`${route.key}: answered ${shown.join(', ')}`);
        if (named.length && reply.status < 300)
          leaks.push(`${route.key}: accepted ${named.join(', ')} (${reply.status})`);
      });
    }
    expect(namedTheVictim).toBeGreaterThan(naming);
    expect(leaks).toEqual([]);
  });

  it('leaves every record and file of the victim exactly as it was after all those requests', async () => {
    const after = await store.snapshot([VICTIM]);
    expect(after.control.length).toBeGreaterThan(0);
    expect(after.graph.length).toBe(3);
    expect(changes(before, after)).toEqual([]);
    // Its access keys live outside its partition (a signature names the key alone): the same check.
    const keysAfter = await call('GET', `/v1.0/${VICTIM}/access-keys`, { token: await tokenFor(VICTIM) });
    expect(keysAfter.body).toEqual(keysBefore);
    expect((keysBefore as { credentials: unknown[] }).credentials.length).toBe(4);
  });

  it("refuses to import another project's backup from the service's own bucket", async () => {
    const attacker = await tokenFor(ATTACKER);
    const { graphId } = await graphWith(ATTACKER);
    const imported = await call('POST', `/v2/${ATTACKER}/graphs/${graphId}/backups/import`, {
      token: attacker,
      body: { import_path: `${bucket}/${VICTIM}/${victim.graphId}/${victim.backupId}` },
    });
    if (imported.status === 200) await waitForJob(ATTACKER, graphId, imported.body.job_id, 'v2');
    const backups = await call('GET', `/v1.0/${ATTACKER}/graphs/${graphId}/backups`, { token: attacker });
    expect(backups.body.backupList.filter((b: { status: string }) => b.status === 'success')).toEqual([]);
  });

  it("refuses to export into another project's folder of the service's own bucket", async () => {
    const attacker = await tokenFor(ATTACKER);
    const filesBefore = (await store.snapshot([VICTIM])).files;
    const { graphId } = await graphWith(ATTACKER, {
      vertices: [{ vertex: 'x', label: 'planted', properties: {} }],
    });
    const started = await call('POST', `/v1.0/${ATTACKER}/graphs/${graphId}/backups`, { token: attacker });
    await waitForJob(ATTACKER, graphId, started.body.jobId);
    const exported = await call('POST', `/v2/${ATTACKER}/graphs/${graphId}/backups/export`, {
      token: attacker,
      body: {
        backup_id: started.body.backupId,
        export_path: `${bucket}/${VICTIM}/${victim.graphId}/${victim.backupId}`,
      },
    });
    if (exported.status === 200) await waitForJob(ATTACKER, graphId, exported.body.job_id, 'v2');
    expect((await store.snapshot([VICTIM])).files).toEqual(filesBefore);
  });

  it("refuses an export or import naming another project's folder of a transfer bucket", async () => {
    const attacker = await tokenFor(ATTACKER);
    const { graphId } = await graphWith(ATTACKER, {
      vertices: [{ vertex: 'x', label: 'planted', properties: {} }],
    });
    const started = await call('POST', `/v1.0/${ATTACKER}/graphs/${graphId}/backups`, { token: attacker });
    await waitForJob(ATTACKER, graphId, started.body.jobId);
    const folder = `${transfer}/${VICTIM}/shared`;
    const exported = await call('POST', `/v2/${ATTACKER}/graphs/${graphId}/backups/export`, {
      token: attacker,
      body: { backup_id: started.body.backupId, export_path: folder },
    });
    const imported = await call('POST', `/v2/${ATTACKER}/graphs/${graphId}/backups/import`, {
      token: attacker,
      body: { import_path: folder },
    });
    const refused = { status: 400, body: { error_code: 'GES.0001', error_msg: expect.any(String) } };
    expect({ exported, imported }).toEqual({ exported: refused, imported: refused });
  });
});
