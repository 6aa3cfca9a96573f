import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { s3Client } from './aws.js';
import { call, graphWith, tokenFor, waitForJob } from './client.js';

const PROJECT = 'flow';
const s3 = s3Client();
const bucket = inject('backupBucket');

async function object(key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

/** What is in S3 for a backup, read as any client of the documented format would. */
async function filesOf(graphId: string, backupId: string) {
  const folder = `${PROJECT}/${graphId}/${backupId}/`;
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder }));
  const manifest = JSON.parse((await object(`${folder}manifest.json`)).toString('utf8'));
  const records: unknown[] = [];
  for (const file of manifest.files) {
    const bytes = await object(folder + file.key);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    expect(bytes.length).toBe(file.bytes);
    const lines = gunzipSync(bytes).toString('utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(file.records);
    records.push(...lines.map((l) => JSON.parse(l)));
  }
  return { manifest, records, keys: (listed.Contents ?? []).map((o) => o.Key) };
}

const sorted = (records: unknown[]) => [...records].map((r) => JSON.stringify(r)).sort();

async function backUp(graphId: string) {
  const token = await tokenFor(PROJECT);
  const started = await call('POST', `/v1.0/${PROJECT}/graphs/${graphId}/backups`, { token });
  expect(started.status).toBe(200);
  expect(started.body.jobId).toMatch(/^[0-9a-f]{32}$/);
  const job = await waitForJob(PROJECT, graphId, started.body.jobId);
  return { ...started.body, job };
}

describe('a backup over HTTP', () => {
  it('holds exactly the graph vertices and edges, with counts and SHA-256 that match the manifest', async () => {
    const vertices = Array.from({ length: 60 }, (_, i) => ({
      vertex: `v${i}`,
      label: i % 2 ? 'user' : 'movie',
      properties: { n: [String(i)] },
    }));
    const edges = vertices.slice(1).map((v, i) => ({
      source: `v${i}`,
      target: v.vertex,
      label: 'rate',
      properties: { score: [String(i % 5)] },
    }));
    const { graphId } = await graphWith(PROJECT, { vertices, edges });

    const { backupId, job } = await backUp(graphId);

    expect(job).toMatchObject({
      status: 'success',
      jobProgress: 100,
      jobName: 'BackupGraph',
      jobType: 'GraphManagement',
    });
    const { manifest, records, keys } = await filesOf(graphId, backupId);
    expect(sorted(records)).toEqual(sorted([...vertices, ...edges]));
    expect(manifest.counts).toEqual({ vertices: 60, edges: 59 });
    expect(keys).toContain(`${PROJECT}/${graphId}/${backupId}/manifest.json`);
    const graph = await call('GET', `/v1.0/${PROJECT}/graphs/${graphId}`, { token: await tokenFor(PROJECT) });
    expect(graph.body.graph).toMatchObject({ status: '200', vertexNum: 60, edgeNum: 59 });
  });

  it('backs up a graph with no data', async () => {
    const { graphId } = await graphWith(PROJECT);
    const { backupId, job } = await backUp(graphId);
    expect(job.status).toBe('success');
    const { manifest, records } = await filesOf(graphId, backupId);
    expect(records).toEqual([]);
    expect(manifest.counts).toEqual({ vertices: 0, edges: 0 });
  });

  it('keeps non-ASCII text exactly', async () => {
    const vertices = [
      { vertex: 'Zoë', label: 'пользователь', properties: { bio: ['東京 🚀'], note: ['ça va', ''] } },
      { vertex: 'München', label: 'city', properties: {} },
    ];
    const edges = [{ source: 'Zoë', target: 'München', label: 'lives_in', properties: { since: ['2019'] } }];
    const { graphId } = await graphWith(PROJECT, { vertices, edges });
    const { backupId } = await backUp(graphId);
    expect(sorted((await filesOf(graphId, backupId)).records)).toEqual(sorted([...vertices, ...edges]));
  });

  it('answers an unknown route 404 and a malformed id GES.0001, never a 500', async () => {
    const token = await tokenFor(PROJECT);
    expect((await call('GET', '/v1.0/flow/nothing/here/at/all', { token })).status).toBe(404);
    const bad = await call('POST', `/v1.0/${PROJECT}/graphs/not-a-uuid/backups`, { token });
    expect(bad).toEqual({
      status: 400,
      body: { errorCode: 'GES.0001', errorMessage: expect.stringMatching(/^Incorrect parameter/) },
    });
  });
});
