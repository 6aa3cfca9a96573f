import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { authorization } from '../../cli/sign.js';
import { issueToken } from '../../local/auth.js';
import { LOCAL_AWS } from '../../local/emulators.js';
import { BIN, CONFIG, cliEnv, runCli, stripAnsi } from './run-cli.js';

const PROJECT = 'cli';
const baseUrl = () => inject('cliBaseUrl');
let token = '';
const env = () => ({ GES_ENDPOINT: baseUrl(), GES_PROJECT: PROJECT, GES_TOKEN: token });
const cli = (...args: string[]) => runCli(args, env());

// biome-ignore lint/suspicious/noExplicitAny: the service's JSON, asserted on
async function api(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${baseUrl()}${path}`, {
    method,
    headers: { 'x-auth-token': token, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** A graph with `n` users each rating the next, made through the API. */
async function graphWith(name: string, n: number) {
  const { id } = await api('POST', `/v1.0/${PROJECT}/graphs`, { graph: { name } });
  const users = Array.from({ length: n }, (_, i) => String(i));
  const data = `/ges/v1.0/${PROJECT}/graphs/${name}`;
  await api('POST', `${data}/vertices/action?action_id=batch-add`, {
    vertices: users.map((vertex) => ({
      vertex,
      label: 'user',
      properties: { age: [String(20 + Number(vertex))] },
    })),
  });
  await api('POST', `${data}/edges/action?action_id=batch-add`, {
    edges: users.map((source, i) => ({ source, target: users[(i + 1) % n], label: 'knows', properties: {} })),
  });
  return id as string;
}

const graphNow = async (id: string) => (await api('GET', `/v1.0/${PROJECT}/graphs/${id}`)).graph;

let graphId = '';
let backupId = '';
let dir = '';
const GRAPH = `clig${Date.now().toString(36)}`;

beforeAll(async () => {
  token = await issueToken({ projectId: PROJECT, roles: ['admin'] });
  graphId = await graphWith(GRAPH, 30);
  dir = await mkdtemp(join(tmpdir(), 'ges-backup-dl-'));
});

describe('ges-backup against the local stack', () => {
  it('backs a graph up by name and waits, printing plain progress lines when not on a terminal', async () => {
    const ran = await cli('backup', 'create', GRAPH, '--wait');
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toMatch(/job [0-9a-f]{32}: success 100% 60\/60 elements, shards 8\/8/);
    const json = await cli('--json', 'backup', 'list', '--graph', graphId);
    expect(json.code, json.stderr).toBe(0);
    const list = JSON.parse(json.stdout);
    expect(list).toHaveLength(1);
    expect(list[0].status).toBe('success');
    backupId = list[0].id;
    expect(ran.stdout).toContain(`backup ${backupId} of ${GRAPH}: success, 60 elements`);
  });

  it('downloads every file with its manifest, and a re-run skips those whose SHA-256 matches', async () => {
    const first = await cli('--json', 'download', GRAPH, backupId, dir);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report.files.length).toBeGreaterThan(0);
    expect(report.files.every((f: { action: string }) => f.action === 'downloaded')).toBe(true);
    const names = await readdir(dir);
    expect(names).toContain('manifest.json');
    expect(names).toHaveLength(report.files.length + 1);

    const gone = report.files[0].key as string;
    await rm(join(dir, gone));
    const again = await cli('--json', 'download', GRAPH, backupId, dir);
    expect(again.code, again.stderr).toBe(0);
    const actions = Object.fromEntries(
      JSON.parse(again.stdout).files.map((f: { key: string; action: string }) => [f.key, f.action]),
    );
    expect(actions[gone]).toBe('downloaded');
    expect(Object.values(actions).filter((a) => a === 'skipped')).toHaveLength(report.files.length - 1);
  });

  it('verifies the downloaded backup offline', async () => {
    const ran = await runCli(['verify', dir], {}); // no endpoint, no token: no service needed
    expect(ran.stdout).toMatch(/^OK .*30 vertices, 30 edges, digest [0-9a-f]{64}/);
    expect(ran.code, ran.stderr).toBe(0);
  });

  describe('verify finds what was tampered with', () => {
    const copy = async () => {
      const to = await mkdtemp(join(tmpdir(), 'ges-backup-tamper-'));
      await cp(dir, to, { recursive: true });
      const manifest = JSON.parse(await readFile(join(to, 'manifest.json'), 'utf8'));
      // the part with the most records, so that it holds a vertex to copy
      const part = [...manifest.files].sort((a, b) => b.vertices - a.vertices)[0];
      return { to, manifest, part, path: join(to, part.key) };
    };

    it('a flipped byte', async () => {
      const { to, part, path } = await copy();
      const bytes = await readFile(path);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = (bytes[at] as number) ^ 0x01;
      await writeFile(path, bytes);
      const ran = await runCli(['verify', to]);
      expect(ran.code, ran.stderr).toBe(6);
      expect(ran.stdout).toContain(`FAILED ${to}`);
      expect(ran.stdout).toMatch(
        new RegExp(`${part.key}: sha256: is [0-9a-f]{64}, the manifest says ${part.sha256}`),
      );
    });

    it('a missing file', async () => {
      const { to, part, path } = await copy();
      await rm(path);
      const ran = await runCli(['verify', to]);
      expect(ran.code, ran.stderr).toBe(6);
      expect(ran.stdout).toContain(`${part.key}: exists: is missing`);
    });

    it('an extra record, re-gzipped with its SHA-256 and size recomputed in the manifest', async () => {
      const { to, manifest, part, path } = await copy();
      const lines = gunzipSync(await readFile(path))
        .toString('utf8')
        .trimEnd()
        .split('\n');
      const vertex = JSON.parse(lines.find((l) => l.startsWith('{"vertex"')) as string);
      lines.push(JSON.stringify({ ...vertex, vertex: 'intruder' }));
      const bytes = gzipSync(`${lines.join('\n')}\n`);
      await writeFile(path, bytes);
      manifest.totalBytes += bytes.length - part.bytes;
      Object.assign(
        manifest.files.find((f: { key: string }) => f.key === part.key),
        { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
      );
      await writeFile(join(to, 'manifest.json'), JSON.stringify(manifest));
      const ran = await runCli(['verify', to]);
      expect(ran.code, ran.stderr).toBe(6);
      expect(ran.stdout).not.toContain('sha256');
      expect(ran.stdout).toContain(
        `${part.key}: records: holds ${part.records + 1} records, the manifest says ${part.records}`,
      );
      expect(ran.stdout).toContain(`${part.key}: vertices: holds ${part.vertices + 1} vertices`);
      expect(ran.stdout).toContain(`${part.key}: contentDigest: is `);
    });

    it('a file the manifest does not list, and a manifest that is not the format', async () => {
      const { to } = await copy();
      await writeFile(join(to, 'notes.txt'), 'hello');
      const extra = await runCli(['--json', 'verify', to]);
      expect(extra.code, extra.stderr).toBe(6);
      expect(JSON.parse(extra.stdout).problems).toEqual([
        { file: 'notes.txt', check: 'extra', message: 'is not listed in the manifest' },
      ]);
      const manifest = JSON.parse(await readFile(join(to, 'manifest.json'), 'utf8'));
      await writeFile(join(to, 'manifest.json'), JSON.stringify({ ...manifest, formatVersion: '2.0' }));
      const format = await runCli(['verify', to]);
      expect(format.code, format.stderr).toBe(6);
      expect(format.stdout).toContain('manifest.json: format: formatVersion');
    });
  });

  it('restores: refuses a running graph without --stop, asks unless --yes, then stops, restores and waits', async () => {
    await api('POST', `/ges/v1.0/${PROJECT}/graphs/${GRAPH}/vertices/action?action_id=batch-add`, {
      vertices: [{ vertex: 'later', label: 'user', properties: {} }],
    });
    expect((await graphNow(graphId)).vertexNum).toBe(31);

    const running = await cli('restore', GRAPH, '--from', backupId, '--yes');
    expect(running.code, running.stderr).toBe(2);
    expect(running.stderr).toContain('GES.7037');
    expect(running.stderr).toContain('stop it first, or pass --stop');

    const unconfirmed = await cli('restore', GRAPH, '--from', backupId, '--stop');
    expect(unconfirmed.code, unconfirmed.stderr).toBe(1);
    expect(unconfirmed.stderr).toContain('pass --yes');
    expect((await graphNow(graphId)).status).toBe('200'); // nothing was changed, not even stopped

    const restored = await cli('restore', GRAPH, '--from', backupId, '--stop', '--yes', '--wait');
    expect(restored.stderr).toMatch(/success 100%/);
    expect(restored.code, restored.stderr).toBe(0);
    const graph = await graphNow(graphId);
    expect(graph.status).toBe('200');
    expect(graph.vertexNum).toBe(30);
  });

  it('on a terminal, restore asks first, naming the graph and the backup; "n" changes nothing', async () => {
    const ran = await onTerminal(['restore', GRAPH, '--from', backupId, '--stop'], { answer: 'n' });
    const text = stripAnsi(ran.out);
    expect(text).toContain(
      `Stop graph ${GRAPH} and replace the data of graph ${GRAPH} (${graphId}) with backup`,
    );
    expect(text).toContain(`(${backupId})? [y/N]`);
    expect(text).toContain('not confirmed: nothing was changed');
    expect(ran.code, ran.out).toBe(1);
    expect((await graphNow(graphId)).status).toBe('200');
  });

  it('exports a backup to a transfer bucket and imports it back as a backup of the graph', async () => {
    const s3 = new S3Client({ endpoint: inject('cliS3'), forcePathStyle: true, ...LOCAL_AWS });
    const bucket = inject('cliTransferBucket');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
    const path = `${bucket}/${PROJECT}/copy-${Date.now()}`;
    const exported = await cli('export', GRAPH, backupId, path, '--wait');
    expect(exported.stdout).toContain(`exported to ${path}`);
    expect(exported.code, exported.stderr).toBe(0);
    const imported = await cli('--json', 'import', GRAPH, path, '--wait');
    expect(imported.code, imported.stderr).toBe(0);
    const { backupId: importedId, job } = JSON.parse(imported.stdout);
    expect(job.status).toBe('success');
    const list = JSON.parse((await cli('--json', 'backup', 'list', '--graph', GRAPH)).stdout);
    expect(list.find((b: { id: string }) => b.id === importedId)).toMatchObject({ backupMethod: 'import' });
    const deleted = await cli('backup', 'delete', GRAPH, importedId);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await cli('--json', 'backup', 'list', '--graph', GRAPH)).stdout).not.toContain(importedId);
  });

  it('sets a policy, keeping what is not given, and reads it back', async () => {
    const none = await cli('policy', 'get', GRAPH);
    expect(none.code, none.stderr).toBe(4);
    expect(none.stderr).toContain('GES.7049');
    const set = await cli(
      '--json',
      'policy',
      'set',
      GRAPH,
      '--schedule',
      'rate(5 minutes)',
      '--keep-auto',
      '3',
      '--enabled',
    );
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ enabled: true, schedule: 'rate(5 minutes)', keepAuto: 3 });
    expect((await cli('policy', 'set', GRAPH, '--disabled')).code).toBe(0);
    const got = await cli('--json', 'policy', 'get', GRAPH);
    expect(JSON.parse(got.stdout)).toMatchObject({
      enabled: false,
      schedule: 'rate(5 minutes)',
      keepAuto: 3,
    });
    const bad = await cli('policy', 'set', GRAPH, '--schedule', 'every day');
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('GES.7016');
  });

  it('bad credentials: exit 3 and the APIGW.0301 message', async () => {
    const ran = await runCli(['graphs', 'list'], { ...env(), GES_TOKEN: 'not-a-token' });
    expect(ran.code, ran.stderr).toBe(3);
    expect(ran.stderr).toMatch(/^Error APIGW\.0301: /);
    const json = await runCli(['--json', 'graphs', 'list'], { ...env(), GES_TOKEN: 'not-a-token' });
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'APIGW.0301', status: 401, exitCode: 3 });
  });

  it('an unknown graph, by name or id: exit 4 and GES.7000', async () => {
    const byName = await cli('graphs', 'show', 'no_such_graph');
    expect(byName.code, byName.stderr).toBe(4);
    expect(byName.stderr).toContain('Error GES.7000');
    const byId = await cli('--json', 'backup', 'create', '00000000-0000-4000-8000-000000000000');
    expect(byId.code, byId.stderr).toBe(4);
    expect(JSON.parse(byId.stdout).error).toMatchObject({ code: 'GES.7000', status: 400 });
  });

  it('no service at the endpoint: exit 5', async () => {
    const ran = await runCli(['graphs', 'list'], { ...env(), GES_ENDPOINT: 'http://127.0.0.1:9' });
    expect(ran.code, ran.stderr).toBe(5);
    expect(ran.stderr).toContain('cannot reach http://127.0.0.1:9');
  });

  it('on a terminal, --wait draws a live bar with the percent and the elements done of expected', async () => {
    const ran = await onTerminal(['backup', 'create', GRAPH, '--wait']);
    expect(ran.code, ran.out).toBe(0);
    expect(ran.out).toContain('\x1b['); // drawn in place, not printed line by line
    const text = stripAnsi(ran.out);
    expect(text).toMatch(
      /[█░]{10,} 100% \| 60\/60 elements \| \d+ el\/s \| \d+s elapsed \| ETA 0s \| success/,
    );
    expect(text).not.toMatch(/job [0-9a-f]{32}: success/); // not the plain lines
  });
});

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`) and returns what the terminal showed;
 * `answer` is typed once a [y/N] question appears.
 */
function onTerminal(args: string[], options: { answer?: string } = {}) {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: cliEnv(env()),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let answered = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c;
      if (options.answer !== undefined && !answered && out.includes('[y/N]')) {
        answered = true;
        child.stdin.write(`${options.answer}\r`);
      }
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

describe('ges-backup against a scripted service', () => {
  /** A service whose job never ends, counted under the future key `progressDetail`. */
  async function fakeService() {
    const seen: { url: string; headers: Record<string, string | string[] | undefined> }[] = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/v1.0/p/graphs?')) {
        res.end(JSON.stringify({ graphCount: 1, graphs: [{ id: 'g1', name: 'slow', status: '200' }] }));
      } else if (req.url === '/v1.0/p/graphs/g1/jobs/j1/status') {
        res.end(
          JSON.stringify({
            jobId: 'j1',
            status: 'running',
            jobProgress: 40,
            progressDetail: { vertices: { done: 30, expected: 50 }, edges: { done: 10, expected: 50 } },
          }),
        );
      } else if (req.url === '/v1.0/p/graphs/g1/jobs/j2/status') {
        res.end(
          JSON.stringify({
            jobId: 'j2',
            status: 'failed',
            jobProgress: 30,
            jobDetail: { vertices: { done: 3, expected: 10 }, edges: { done: 0, expected: 0 } },
            failReason: 'The backup is damaged: part file part-00001-000-aaaaaaaa.jsonl.gz is missing.',
            errorCode: 'GES.7040',
            errorMessage: 'The backup is damaged: part file part-00001-000-aaaaaaaa.jsonl.gz is missing.',
          }),
        );
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ errorCode: 'GES.7049', errorMessage: 'nothing here' }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return { endpoint: `http://127.0.0.1:${port}`, seen, close: () => server.close() };
  }

  it('Ctrl-C stops watching, not the job: it says how to resume and exits 130', async () => {
    const service = await fakeService();
    try {
      const child = spawn(process.execPath, [BIN, 'jobs', 'watch', 'slow', 'j1'], {
        env: cliEnv({ GES_ENDPOINT: service.endpoint, GES_PROJECT: 'p', GES_TOKEN: 't' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      const progressed = new Promise<void>((resolve) =>
        child.stderr.on('data', (c: Buffer) => {
          stderr += c;
          if (stderr.includes('elements')) resolve();
        }),
      );
      const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
      await progressed;
      child.kill('SIGINT');
      expect(await closed).toBe(130);
      expect(stderr).toContain('job j1: running 40% 40/100 elements'); // read from progressDetail
      expect(stderr).toContain('Stopped watching job j1; the job goes on (it was not cancelled).');
      expect(stderr).toContain('Resume with: ges-backup jobs watch g1 j1');
    } finally {
      service.close();
    }
  });

  it('a job that failed: exit 7 with its code and reason', async () => {
    const service = await fakeService();
    try {
      const ran = await runCli(['jobs', 'watch', 'slow', 'j2'], {
        GES_ENDPOINT: service.endpoint,
        GES_PROJECT: 'p',
        GES_TOKEN: 't',
      });
      expect(ran.code, ran.stderr).toBe(7);
      expect(ran.stderr).toContain('job j2: failed 30% 3/10 elements');
      expect(ran.stderr).toContain('Error GES.7040: job j2 failed: The backup is damaged: part file');
    } finally {
      service.close();
    }
  });

  it('a profile with an AK/SK pair signs every request with SDK-HMAC-SHA256', async () => {
    const service = await fakeService();
    try {
      const configured = await runCli([
        '--profile',
        'signed',
        '--endpoint',
        service.endpoint,
        '--project',
        'p',
        'configure',
        '--ak',
        'MYAK',
        '--sk',
        'MYSK',
      ]);
      expect(configured.code, configured.stderr).toBe(0);
      expect((await stat(CONFIG)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(CONFIG, 'utf8')).profiles.signed).toEqual({
        endpoint: service.endpoint,
        project: 'p',
        ak: 'MYAK',
        sk: 'MYSK',
      });
      const ran = await runCli(['--profile', 'signed', 'graphs', 'list']);
      expect(ran.code, ran.stderr).toBe(0);
      const headers = service.seen.at(-1)?.headers ?? {};
      expect(headers['x-auth-token']).toBeUndefined();
      expect(headers['x-sdk-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(headers.authorization).toMatch(
        /^SDK-HMAC-SHA256 Access=MYAK, SignedHeaders=host;x-sdk-date, Signature=[0-9a-f]{64}$/,
      );
      const recomputed = authorization(
        {
          method: 'GET',
          url: service.seen.at(-1)?.url ?? '',
          headers: { host: String(headers.host), 'x-sdk-date': String(headers['x-sdk-date']) },
        },
        { ak: 'MYAK', sk: 'MYSK' },
      );
      expect(headers.authorization).toBe(recomputed);
    } finally {
      service.close();
    }
  });
});
