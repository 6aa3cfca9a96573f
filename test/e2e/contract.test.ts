import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { s3Client, transferBucket } from './aws.js';
import { call, graphWith, type Reply, tokenFor, waitForJob } from './client.js';

/**
 * Every endpoint of the spec, in both trees, over HTTP: the success and the errors the spec lists,
 * with field names, types and formats (epoch-ms timestamps, UTC time strings, 32-hex job ids).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JOB_ID = /^[0-9a-f]{32}$/;
const UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const NOBODY = '00000000-0000-4000-8000-000000000000';

type Tree = { prefix: 'v1.0' | 'v2'; key: (camel: string) => string };
const trees: Tree[] = [
  { prefix: 'v1.0', key: (k) => k },
  { prefix: 'v2', key: (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) },
];

function expectError(reply: Reply, tree: Tree, status: number, code: string) {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  const [codeKey, messageKey] =
    tree.prefix === 'v2' ? ['error_code', 'error_msg'] : ['errorCode', 'errorMessage'];
  expect(reply.body).toEqual({ [codeKey]: code, [messageKey]: expect.any(String) });
}

describe.each(trees)('the $prefix tree', (tree) => {
  const project = `contract${tree.prefix.replace('.', '')}`;
  const k = tree.key;
  const at = (path: string) => `/${tree.prefix}/${project}${path}`;
  let token: string;
  let graphId: string;
  let name: string;
  let backupId: string;
  const vertices = [
    { vertex: 'a', label: 'user', properties: { name: ['Ann'] } },
    { vertex: 'b', label: 'user', properties: {} },
  ];
  const edges = [{ source: 'a', target: 'b', label: 'knows', properties: {} }];

  beforeAll(async () => {
    token = await tokenFor(project);
    ({ graphId, name } = await graphWith(project, { vertices, edges }));
  });
  const send = (method: string, path: string, body?: unknown) =>
    call(method, at(path), { token, ...(body !== undefined && { body }) });

  it('creates a graph, and refuses a name taken or malformed', async () => {
    const other = `other_${tree.prefix.length}x`;
    const created = await send('POST', '/graphs', {
      graph: { name: other, arch: 'x86_64', vpc_id: 'ignored' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(UUID),
      name: other,
      [k('jobId')]: expect.stringMatching(JOB_ID),
    });
    expectError(await send('POST', '/graphs', { graph: { name } }), tree, 400, 'GES.0001');
    expectError(await send('POST', '/graphs', { graph: { name: '1bad' } }), tree, 400, 'GES.7016');
    expectError(await send('POST', '/graphs', '{"graph":'), tree, 400, 'GES.7016');
  });

  it('refuses the engine options it would not honour with GES.0001, naming them, and creates nothing', async () => {
    for (const [option, value] of [
      ['encryption', { enable: true, master_key_id: 'k' }],
      ['enable_rbac', true],
      ['enable_full_text_index', true],
      ['enable_hyg', true],
      ['enable_multi_label', true],
    ] as const) {
      const refused = await send('POST', '/graphs', { graph: { name: 'refused_graph', [option]: value } });
      expectError(refused, tree, 400, 'GES.0001');
      expect(JSON.stringify(refused.body)).toContain(option);
    }
    const off = await send('POST', '/graphs', {
      graph: { name: `plain_${tree.prefix.length}x`, encryption: { enable: false }, enable_rbac: false },
    });
    expect(off.status).toBe(200);
    const list = await send('GET', '/graphs?offset=0&limit=100');
    expect(list.body.graphs.map((g: { name: string }) => g.name)).not.toContain('refused_graph');
  });

  it('lists and gets graphs with their counts', async () => {
    const list = await send('GET', '/graphs?offset=0&limit=100');
    expect(list.status).toBe(200);
    expect(list.body[k('graphCount')]).toBeGreaterThanOrEqual(1);
    const one = await send('GET', `/graphs/${graphId}`);
    expect(one.body.graph).toEqual({
      id: graphId,
      name,
      status: '200',
      created: expect.stringMatching(UTC),
      updated: expect.stringMatching(UTC),
      [k('vertexNum')]: 2,
      [k('edgeNum')]: 1,
    });
    expectError(await send('GET', `/graphs/${NOBODY}`), tree, 400, 'GES.7000');
    expectError(await send('GET', '/graphs?limit=0'), tree, 400, 'GES.0001');
  });

  it('backs a graph up, with the job in the job center', async () => {
    const started = await send('POST', `/graphs/${graphId}/backups`);
    expect(started.status).toBe(200);
    expect(started.body).toEqual({
      [k('jobId')]: expect.stringMatching(JOB_ID),
      [k('backupId')]: expect.stringMatching(UUID),
    });
    backupId = started.body[k('backupId')];
    const jobId = started.body[k('jobId')];
    const job = await waitForJob(project, graphId, jobId, tree.prefix);
    expect(job).toMatchObject({
      [k('jobId')]: jobId,
      status: 'success',
      [k('jobType')]: 'GraphManagement',
      [k('jobName')]: 'BackupGraph',
      [k('relatedGraph')]: name,
      [k('beginTime')]: expect.stringMatching(UTC),
      [k('endTime')]: expect.stringMatching(UTC),
      [k('jobProgress')]: 100,
      [k('progressDetail')]: {
        vertices: { done: 2, expected: 2 },
        edges: { done: 1, expected: 1 },
        shards: { done: expect.any(Number), expected: expect.any(Number) },
      },
    });
    // GES's jobDetail describes import paths: none of ours, so none at all.
    expect(job).not.toHaveProperty(k('jobDetail'));
    expectError(await send('GET', `/graphs/${graphId}/jobs/${'0'.repeat(32)}/status`), tree, 400, 'GES.8301');
    const elsewhere = await graphWith(project);
    expectError(
      await send('GET', `/graphs/${elsewhere.graphId}/jobs/${jobId}/status`),
      tree,
      400,
      'GES.8301',
    );
    expectError(await send('POST', `/graphs/${NOBODY}/backups`), tree, 400, 'GES.7000');
    expectError(await send('POST', '/graphs/nope/backups'), tree, 400, 'GES.0001');
  });

  it('lists backups, of the graph and of the project, newest first', async () => {
    const mine = await send('GET', `/graphs/${graphId}/backups`);
    expect(mine.status).toBe(200);
    expect(mine.body[k('backupCount')]).toBe(1);
    const [backup] = mine.body[k('backupList')];
    expect(backup).toEqual({
      id: backupId,
      name: expect.stringMatching(new RegExp(`^${name}-\\d{14}$`)),
      [k('backupMethod')]: 'manual',
      [k('graphId')]: graphId,
      [k('graphName')]: name,
      [k('graphStatus')]: '200',
      [k('graphSizeTypeIndex')]: '0',
      [k('dataStoreVersion')]: '1.0',
      arch: expect.stringMatching(/^(x86_64|aarch64)$/),
      status: 'success',
      [k('startTimestamp')]: expect.any(Number),
      [k('startTime')]: expect.stringMatching(UTC),
      [k('endTimestamp')]: expect.any(Number),
      [k('endTime')]: expect.stringMatching(UTC),
      size: 1,
      duration: expect.any(Number),
      encrypted: false,
    });
    const all = await send('GET', '/graphs/backups?limit=100');
    expect(all.body[k('backupList')].map((b: { id: string }) => b.id)).toContain(backupId);
    expectError(await send('GET', `/graphs/${NOBODY}/backups`), tree, 400, 'GES.7000');
    expectError(await send('GET', '/graphs/backups?limit=101'), tree, 400, 'GES.0001');
  });

  it('tells the quotas and filters the job list', async () => {
    const quotas = await send('GET', '/graphs/quotas');
    expect(quotas.body.quotas.resources).toEqual([
      { type: 'graph', available: expect.any(Number) },
      { type: 'backup', available: 19 },
    ]);
    const today = new Date().toISOString().slice(0, 10);
    const dates =
      tree.prefix === 'v2' ? `start_time=${today}&end_time=${today}` : `startTime=${today}&endTime=${today}`;
    const jobs = await send('GET', `/graphs/jobs?status=success&graph_name=${name}&${dates}`);
    expect(jobs.status).toBe(200);
    expect(jobs.body[k('jobCount')]).toBe(2);
    expect(jobs.body[k('jobList')].map((j: Record<string, string>) => j[k('jobName')])).toEqual([
      'BackupGraph',
      'CreateGraph',
    ]);
    expect((await send('GET', `/graphs/jobs?status=waiting&graph_name=${name}`)).body[k('jobCount')]).toBe(0);
    expectError(await send('GET', '/graphs/jobs?status=sleeping'), tree, 400, 'GES.0001');
  });

  it('stops, refuses writes, restores from the backup, and starts', async () => {
    const stop =
      tree.prefix === 'v2' ? `/graphs/${graphId}/stop` : `/graphs/${graphId}/action?action_id=stop`;
    const start =
      tree.prefix === 'v2' ? `/graphs/${graphId}/start` : `/graphs/${graphId}/action?action_id=start`;
    await call('POST', `/ges/v1.0/${project}/graphs/${name}/vertices/action?action_id=batch-add`, {
      token,
      body: { vertices: [{ vertex: 'late', label: 'user', properties: {} }] },
    });

    expectError(await send('POST', start), tree, 400, 'GES.7037');
    const before = (await send('GET', `/graphs/${graphId}`)).body.graph;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const stopped = await send('POST', stop);
    expect(stopped.body).toEqual({ [k('jobId')]: expect.stringMatching(JOB_ID) });
    const after = (await send('GET', `/graphs/${graphId}`)).body.graph;
    // `updated` is when the status last changed; `created` stays.
    expect(after).toMatchObject({ status: '900', created: before.created });
    expect(after.updated > before.updated).toBe(true);
    expectError(await send('POST', stop), tree, 400, 'GES.7003');
    const write = await call(
      'POST',
      `/ges/v1.0/${project}/graphs/${name}/vertices/action?action_id=batch-add`,
      {
        token,
        body: { vertices: [{ vertex: 'x', label: 'user', properties: {} }] },
      },
    );
    expectError(write, trees[0] as Tree, 400, 'GES.7003');
    expectError(await send('POST', start, { graph_backup_id: NOBODY }), tree, 400, 'GES.7024');
    if (tree.prefix === 'v1.0') {
      expectError(await send('POST', `/graphs/${graphId}/action?action_id=explode`), tree, 400, 'GES.7048');
    }

    const restored = await send('POST', start, { graph_backup_id: backupId });
    expect(restored.status).toBe(200);
    const job = await waitForJob(project, graphId, restored.body[k('jobId')], tree.prefix);
    expect(job).toMatchObject({ status: 'success', [k('jobName')]: 'StartGraph' });
    const summary = await call('GET', `/ges/v1.0/${project}/graphs/${name}/summary`, { token });
    expect(summary.body.data).toEqual({
      vertexNum: 2,
      edgeNum: 1,
      labelDetails: { labelInVertex: { user: 2 }, labelInEdge: { knows: 1 } },
    });
  });

  it('deletes a backup, then says GES.7024', async () => {
    const extra = await send('POST', `/graphs/${graphId}/backups`);
    await waitForJob(project, graphId, extra.body[k('jobId')], tree.prefix);
    const id = extra.body[k('backupId')];
    expect(await send('DELETE', `/graphs/${graphId}/backups/${id}`)).toEqual({ status: 200, body: {} });
    expectError(await send('DELETE', `/graphs/${graphId}/backups/${id}`), tree, 400, 'GES.7024');
  });

  it('deletes a graph', async () => {
    const doomed = await graphWith(project, { vertices });
    const deleted = await send('DELETE', `/graphs/${doomed.graphId}?${k('keepBackup')}=false`);
    expect(deleted.body).toEqual({ [k('jobId')]: expect.stringMatching(JOB_ID) });
    expectError(await send('GET', `/graphs/${doomed.graphId}`), tree, 400, 'GES.7000');
    expect(await waitForJob(project, doomed.graphId, deleted.body[k('jobId')], tree.prefix)).toMatchObject({
      status: 'success',
    });
  });
});

describe('the data plane', () => {
  const project = 'contractdata';
  it('adds, summarizes, and refuses bad batches and actions', async () => {
    const token = await tokenFor(project);
    const { name } = await graphWith(project);
    const data = `/ges/v1.0/${project}/graphs/${name}`;
    const v1 = trees[0] as Tree;
    const add = (body: unknown, action = 'batch-add') =>
      call('POST', `${data}/vertices/action?action_id=${action}`, { token, body });

    expect(
      await add({ vertices: [{ vertex: '1', label: 'user', properties: { age: ['18'] } }] }),
    ).toMatchObject({ status: 200 });
    expectError(await add({ vertices: [{ vertex: '', label: 'user' }] }), v1, 400, 'GES.7016');
    expectError(
      await add({ vertices: Array.from({ length: 1001 }, (_, i) => ({ vertex: `${i}`, label: 'l' })) }),
      v1,
      400,
      'GES.7016',
    );
    expectError(await add({ vertices: [] }, 'batch-delete'), v1, 400, 'GES.7048');
    expectError(
      await call('POST', `${data}/vertices/action?action_id=batch-add`, {
        token,
        body: '{}',
        headers: { 'content-type': 'text/plain' },
      }),
      v1,
      400,
      'GES.7016',
    );
    expectError(
      await call('GET', `/ges/v1.0/${project}/graphs/nosuchgraph/summary`, { token }),
      v1,
      400,
      'GES.7000',
    );
    const summary = await call('GET', `${data}/summary`, { token });
    expect(summary.body.data).toMatchObject({ vertexNum: 1, edgeNum: 0 });
  });
});

describe('v2 export, import and download links', () => {
  const project = 'contracttransfer';
  it('exports to a bucket path, imports from it, and links every file', async () => {
    const token = await tokenFor(project);
    const bucket = transferBucket('contract');
    await s3Client().send(new CreateBucketCommand({ Bucket: bucket }));
    const { graphId } = await graphWith(project, { vertices: [{ vertex: 'a', label: 'l', properties: {} }] });
    const v2 = trees[1] as Tree;
    const backup = await call('POST', `/v2/${project}/graphs/${graphId}/backups`, { token });
    await waitForJob(project, graphId, backup.body.job_id, 'v2');
    const backupId = backup.body.backup_id;

    const exported = await call('POST', `/v2/${project}/graphs/${graphId}/backups/export`, {
      token,
      body: { backup_id: backupId, export_path: `${bucket}/${project}/one` },
    });
    expect(await waitForJob(project, graphId, exported.body.job_id, 'v2')).toMatchObject({
      status: 'success',
      job_name: 'ExportBackup',
    });
    const imported = await call('POST', `/v2/${project}/graphs/${graphId}/backups/import`, {
      token,
      body: { import_path: `${bucket}/${project}/one` },
    });
    expect(await waitForJob(project, graphId, imported.body.job_id, 'v2')).toMatchObject({
      status: 'success',
      job_name: 'ImportBackup',
    });
    const list = await call('GET', `/v2/${project}/graphs/${graphId}/backups`, { token });
    expect(list.body.backup_list.map((b: { backup_method: string }) => b.backup_method).sort()).toEqual([
      'import',
      'manual',
    ]);

    const links = await call('GET', `/v2/${project}/graphs/${graphId}/backup-files?backup_id=${backupId}`, {
      token,
    });
    expect(links.body.files.length).toBeGreaterThan(1);
    for (const file of links.body.files) {
      expect(file).toEqual({
        name: expect.any(String),
        size: expect.any(Number),
        download_link: expect.any(String),
        link_expired_time: expect.stringMatching(UTC),
      });
      expect((await fetch(file.download_link)).status).toBe(200);
    }
    expectError(
      await call('GET', `/v2/${project}/graphs/${graphId}/backup-files?backup_id=${NOBODY}`, { token }),
      v2,
      400,
      'GES.7049',
    );
    expectError(
      await call('POST', `/v2/${project}/graphs/${graphId}/backups/export`, {
        token,
        body: { backup_id: backupId, export_path: 'Not_A_Bucket/x' },
      }),
      v2,
      400,
      'GES.0001',
    );
  });
});
