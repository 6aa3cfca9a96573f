import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { signRequest } from '../../lib/core/sdk-signature.js';
import { LOCAL_AWS } from '../../local/emulators.js';
import models from '../fixtures/ges-sdk/response-models.json' with { type: 'json' };
import fixture from '../fixtures/ges-sdk/signed-requests.json' with { type: 'json' };
import { type Credentials, call, graphWith, issueAccessKey, tokenFor, waitForJob } from './client.js';
import { readService } from './service.js';

/**
 * The compatibility suite: the requests GES's official Node.js SDK put on the wire
 * (test/fixtures/ges-sdk/signed-requests.json), replayed against the local stack with the same
 * headers and bodies, re-signed with an access key the test issues, the project and the ids replaced
 * by real ones. Each answer must fit the SDK's response model for that operation
 * (response-models.json): every attribute we serve present under the model's name and of its type.
 * Every error must parse as the SDK parses errors (`error_code`/`error_msg`, or the HTTP status when
 * those are missing) and carry X-Request-Id.
 */
type Recorded = (typeof fixture.requests)[number];
type Models = Record<string, [string, string][]>;
const MODELS = models as unknown as Models;
const PROJECT = 'sdkcompat';

const MODEL_OF: Record<string, string> = {
  createGraph2: 'CreateGraph2Response',
  listGraphs2: 'ListGraphs2Response',
  showGraph2: 'ShowGraph2Response',
  createBackup2: 'CreateBackup2Response',
  listBackups2: 'ListBackups2Response',
  listGraphBackups2: 'ListGraphBackups2Response',
  showJob2: 'ShowJob2Response',
  listJobs2: 'ListJobs2Response',
  listQuotas2: 'ListQuotas2Response',
  showBackupDownloadLink: 'ShowBackupDownloadLinkResponse',
  exportBackup2: 'ExportBackup2Response',
  importBackup2: 'ImportBackup2Response',
  stopGraph2: 'StopGraph2Response',
  startGraph2: 'StartGraph2Response',
  deleteBackup2: 'DeleteBackup2Response',
  deleteGraph2: 'DeleteGraph2Response',
};

/**
 * What we send of each model. A graph model describes a whole graph engine (VPC, flavour, RBAC...),
 * which a backup service does not have: of it we serve the identity, the status and the times. A job
 * has no `job_detail` (GES's import paths) and `fail_reason` only when it failed. Every other model,
 * all of it.
 */
const graphKeys = ['id', 'name', 'status', 'created', 'updated'];
const jobKeys = [
  'job_id',
  'status',
  'job_type',
  'job_name',
  'related_graph',
  'begin_time',
  'end_time',
  'job_progress',
];
const SERVED: Record<string, string[]> = {
  ListGraphsRespGraphs: graphKeys,
  ShowGraphRespGraph: graphKeys,
  ShowJob2Response: jobKeys,
  ListJobsRespJobList: jobKeys,
  ListQuotasRespQuotasResources: ['type', 'available'],
};

/** Why `value` does not fit the SDK type `type`, as `path: reason` lines; none when it fits. */
function misfits(value: unknown, type: string, path: string): string[] {
  if (value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) return [`${path}: ${JSON.stringify(value)} is not an array`];
    return value.flatMap((v, i) => misfits(v, array[1] as string, `${path}[${i}]`));
  }
  if (['string', 'number', 'boolean'].includes(type)) {
    return typeof value === type ? [] : [`${path}: ${JSON.stringify(value)} is not a ${type}`];
  }
  if (type.startsWith('{ [key: string]: string')) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${path}: not an object`];
    return Object.entries(value).flatMap(([k, v]) =>
      typeof v === 'string' ? [] : [`${path}.${k}: not a string`],
    );
  }
  const model = MODELS[type];
  if (!model) return value && typeof value === 'object' ? [] : [`${path}: not an object (${type})`];
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return [`${path}: not an object (${type})`];
  const record = value as Record<string, unknown>;
  const served = SERVED[type] ?? model.map(([key]) => key);
  return [
    ...served.filter((key) => record[key] === undefined).map((key) => `${path}.${key}: missing (${type})`),
    ...model.flatMap(([key, keyType]) => misfits(record[key], keyType, `${path}.${key}`)),
  ];
}

/** An answer read as the SDK reads it: the model's attributes, or an exception with code and message. */
function misfitsOfAnswer(op: string, reply: Answer): string[] {
  const model = MODEL_OF[op] as string;
  if (reply.status < 300) {
    if (op === 'deleteBackup2') return misfits(reply.body, '{ [key: string]: string', op);
    return misfits(reply.body, model, op);
  }
  return [];
}

/** The SDK's exception for an error answer: `error.code`, or `error_code`, else the HTTP status. */
function asSdkException(reply: Answer) {
  const data = (reply.body ?? {}) as Record<string, unknown> & {
    error?: { code: unknown; message: unknown };
  };
  if (data.error)
    return { errorCode: data.error.code, errorMsg: data.error.message, requestId: reply.requestId };
  if (data.error_code)
    return { errorCode: data.error_code, errorMsg: data.error_msg, requestId: reply.requestId };
  return { errorCode: reply.status, errorMsg: undefined, requestId: reply.requestId };
}

type Answer = { status: number; body: unknown; requestId: string | null };

/** Sends a recorded request as the SDK sent it, or re-signed with `credentials` after `rewrite`. */
async function replay(
  r: Recorded,
  options: { credentials?: Credentials; rewrite?: (text: string) => string } = {},
): Promise<Answer> {
  const rewrite = options.rewrite ?? ((t: string) => t);
  const url = rewrite(r.url);
  const body = rewrite(r.body);
  const recorded = r.headers as Record<string, string>;
  let headers: Record<string, string>;
  if (options.credentials) {
    // Sign the headers the SDK signed (SignedHeaders), with their values as rewritten; send the rest as recorded.
    const names = /SignedHeaders=([^,]+)/.exec(recorded.authorization ?? '')?.[1]?.split(';') ?? [];
    const toSign = Object.fromEntries(
      names.filter((n) => n !== 'host' && n !== 'x-sdk-date').map((n) => [n, rewrite(recorded[n] ?? '')]),
    );
    const q = url.indexOf('?');
    const host = new URL(inject('baseUrl')).host;
    headers = {
      accept: recorded.accept ?? '',
      'user-agent': recorded['user-agent'] ?? '',
      ...signRequest(
        options.credentials,
        {
          method: r.method,
          path: q < 0 ? url : url.slice(0, q),
          query: q < 0 ? '' : url.slice(q + 1),
          headers: { ...toSign, host },
          body,
        },
        Date.now(),
      ),
    };
    delete headers.host; // fetch sends the same one
  } else {
    const { host: _host, connection: _c, 'content-length': _l, 'accept-encoding': _e, ...rest } = recorded;
    headers = rest;
  }
  const response = await fetch(inject('baseUrl') + url, {
    method: r.method,
    headers,
    ...(r.method !== 'GET' && r.method !== 'DELETE' && { body }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // kept as text: the checks below say it is not JSON
  }
  return { status: response.status, body: parsed, requestId: response.headers.get('x-request-id') };
}

const FIXTURE_GRAPH = '6f1c2b7e-8d2a-4c1e-9b3f-2a7d5e9c0b14';
const FIXTURE_BACKUP = '3b9e1f20-5c4d-4e8a-a1b2-c3d4e5f60718';
const FIXTURE_JOB = 'ff8080817e7a4b2c017e7b3d9f1a0042';

let credentials: Credentials;
let ids: { graphId: string; graphName: string; backupId: string; jobId: string; spareBackupId: string };
let transfer: string;
/** Every replayed answer, for the error checks. */
const answers: { op: string; reply: Answer }[] = [];

beforeAll(async () => {
  // A transfer bucket of our own, as TRANSFER_BUCKETS allows (the recording names `transfer-bucket`).
  transfer = (await readService()).transferBucket.replace(/e2e$/, 'sdkcompat');
  const s3 = new S3Client({ endpoint: inject('endpoints').s3, forcePathStyle: true, ...LOCAL_AWS });
  await s3.send(new CreateBucketCommand({ Bucket: transfer }));
  s3.destroy();
  credentials = await issueAccessKey(PROJECT, 'admin');
  const token = await tokenFor(PROJECT);
  const graph = await graphWith(PROJECT, {
    vertices: [
      { vertex: '1', label: 'user', properties: { name: ['图 ä'] } },
      { vertex: '2', label: 'user', properties: {} },
    ],
    edges: [{ source: '1', target: '2', label: 'knows', properties: {} }],
  });
  const backup = async () => {
    const started = await call('POST', `/v1.0/${PROJECT}/graphs/${graph.graphId}/backups`, { token });
    expect(await waitForJob(PROJECT, graph.graphId, started.body.jobId)).toMatchObject({ status: 'success' });
    return started.body as { jobId: string; backupId: string };
  };
  const first = await backup();
  const spare = await backup();
  ids = {
    graphId: graph.graphId,
    graphName: graph.name,
    backupId: first.backupId,
    jobId: first.jobId,
    spareBackupId: spare.backupId,
  };
});

/** The recorded text with our project, ids and transfer bucket in place of the recording's. */
const ours = (op: string) => (text: string) =>
  text
    .replaceAll(fixture.projectId, PROJECT)
    .replaceAll(FIXTURE_GRAPH, ids.graphId)
    .replaceAll(FIXTURE_BACKUP, op === 'deleteBackup2' ? ids.spareBackupId : ids.backupId)
    .replaceAll(FIXTURE_JOB, ids.jobId)
    .replaceAll('transfer-bucket/', `${transfer}/`);

/** The job an answer started, waited for, so that the next operation finds the graph free. */
async function settle(op: string, reply: Answer) {
  const body = reply.body as { job_id?: string; id?: string };
  const graphId = op === 'createGraph2' ? body.id : ids.graphId;
  if (reply.status === 200 && body.job_id && graphId) return waitForJob(PROJECT, graphId, body.job_id, 'v2');
  return undefined;
}

describe('the official GES SDK, replayed', () => {
  it('gets an answer fitting the SDK response model for every operation it signs', async () => {
    const problems: string[] = [];
    const statuses: Record<string, number> = {};
    for (const r of fixture.requests) {
      // The recorded graph name (图_movies-1) is not a GES graph name: refused below; here, a valid one.
      const rewrite = (text: string) => ours(r.op)(text).replace('图_movies-1', 'sdk_movies_1');
      const reply = await replay(r, { credentials, rewrite });
      answers.push({ op: r.op, reply });
      statuses[r.op] = reply.status;
      if (reply.status !== 200) problems.push(`${r.op}: ${reply.status} ${JSON.stringify(reply.body)}`);
      problems.push(...misfitsOfAnswer(r.op, reply));
      const job = await settle(r.op, reply);
      if (job && job.status !== 'success') problems.push(`${r.op}: its job ${JSON.stringify(job)}`);
    }
    console.info(`[sdk-compat] ${fixture.requests.length} operations replayed: ${JSON.stringify(statuses)}`);
    expect(Object.keys(statuses)).toEqual(Object.keys(MODEL_OF));
    expect(problems).toEqual([]);
  });

  it('refuses the recorded create-graph body, whose name GES does not allow, with an error the SDK reads', async () => {
    const r = fixture.requests.find((x) => x.op === 'createGraph2') as Recorded;
    const reply = await replay(r, { credentials, rewrite: ours(r.op) });
    answers.push({ op: r.op, reply });
    expect(reply.status).toBe(400);
    expect(asSdkException(reply)).toEqual({
      errorCode: 'GES.7016',
      errorMsg: expect.stringContaining('The request body or header is invalid.'),
      requestId: expect.any(String),
    });
  });

  it("answers every operation on another project's path with 403 GES.7041, as the SDK reads it", async () => {
    for (const r of fixture.requests) {
      // Our ids, the recording's project: the key is not that project's.
      const rewrite = (text: string) => ours(r.op)(text).replaceAll(PROJECT, fixture.projectId);
      const reply = await replay(r, { credentials, rewrite });
      answers.push({ op: r.op, reply });
      expect(asSdkException(reply), r.op).toEqual({
        errorCode: 'GES.7041',
        errorMsg: 'Insufficient permission.',
        requestId: expect.any(String),
      });
      expect(reply.status, r.op).toBe(403);
    }
  });

  it('answers the recorded requests themselves, signed days ago by a key it never issued, with 401 APIGW.0301', async () => {
    for (const r of fixture.requests) {
      const reply = await replay(r);
      answers.push({ op: r.op, reply });
      expect(reply.status, r.op).toBe(401);
      expect(asSdkException(reply), r.op).toEqual({
        errorCode: 'APIGW.0301',
        errorMsg: expect.stringMatching(
          /^Incorrect IAM authentication information: the signature has expired/,
        ),
        requestId: expect.any(String),
      });
    }
  });

  it('gives every error a code and message the SDK finds, and every answer an X-Request-Id', () => {
    expect(answers.length).toBeGreaterThanOrEqual(3 * fixture.requests.length);
    for (const { op, reply } of answers) {
      expect(reply.requestId, op).toMatch(/^\S{8,}$/);
      if (reply.status < 300) continue;
      const { errorCode, errorMsg } = asSdkException(reply);
      expect(errorCode, op).toMatch(/^(GES|APIGW)\.\d{4}$/);
      expect(typeof errorMsg, op).toBe('string');
    }
  });
});

describe('the model check itself', () => {
  it('finds a missing attribute, one under another name, and one of the wrong type', () => {
    const graph = { id: 'g', name: 'n', status: '200', created: 't', updated: 't' };
    expect(misfits({ graph }, 'ShowGraph2Response', 'r')).toEqual([]);
    const { created: _, ...renamed } = graph;
    expect(misfits({ graph: { ...renamed, created_time: 't' } }, 'ShowGraph2Response', 'r')).toEqual([
      'r.graph.created: missing (ShowGraphRespGraph)',
    ]);
    expect(misfits({ graph: { ...graph, status: 200 } }, 'ShowGraph2Response', 'r')).toEqual([
      'r.graph.status: 200 is not a string',
    ]);
    expect(
      misfits({ quotas: { resources: [{ type: 'graph', available: '3' }] } }, 'ListQuotas2Response', 'q'),
    ).toEqual(['q.quotas.resources[0].available: "3" is not a number']);
  });
});
