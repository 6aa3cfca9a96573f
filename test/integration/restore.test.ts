import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import type { GesError } from '../../lib/core/errors.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { addElements, summarize } from '../../lib/operations/graphs/data-plane.js';
import { collectGarbage } from '../../lib/operations/graphs/garbage.js';
import { countGraph } from '../../lib/operations/graphs/graphs.js';
import { startGraph, stopGraph } from '../../lib/operations/graphs/lifecycle.js';
import { restoreGraph } from '../../lib/operations/restore/restore-graph.js';
import { MANIFEST_FILE } from '../../lib/records/backups/format.js';
import { backupPrefix } from '../../lib/records/backups/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { PROJECT, readBackup, seedGraph, socialGraph, sortRecords } from './fixtures.js';
import { isolatedStack } from './support.js';

let deps: Deps;
beforeAll(async () => {
  ({ deps } = await isolatedStack());
});

const run = (jobId: string, over: Partial<Deps> = {}) =>
  runJob({ ...deps, ...over }, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 });
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: unknown) => (e as GesError).code,
  );

/** Every record of the graph's current generation, as backup records. */
async function contentOf(graphId: string) {
  const graph = await deps.graphs.get(PROJECT, graphId);
  if (!graph) throw new Error('no graph');
  const { fromItem } = await import('../../lib/records/graphs/data-keys.js');
  const records = [];
  for (let shard = 0; shard < graph.shards; shard++) {
    for await (const page of deps.data.readShard(graphId, graph.generation, shard))
      records.push(...page.map(fromItem));
  }
  return sortRecords(records);
}

/** The garbage collector, past the stall window of every failure so far, until it has dropped it all. */
async function collectAll() {
  const later = { ...deps, clock: { now: () => Date.now() + deps.config.jobStallMs + 1 } };
  while ((await deps.data.garbage(1)).length) await collectGarbage(later, () => false);
}

async function countGeneration(graphId: string, generation: number) {
  const graph = await deps.graphs.get(PROJECT, graphId);
  if (!graph) throw new Error('no graph');
  return countGraph(deps, { ...graph, generation });
}

/** A graph backed up, then changed: what a restore must undo. */
async function backedUpThenChanged() {
  const content = socialGraph(30);
  const { graphId, name } = await seedGraph(deps, content);
  const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
  expect(await run(jobId)).toBe('succeeded');
  await addElements(deps, {
    projectId: PROJECT,
    graphName: name,
    elements: [{ vertex: 'after-backup', label: 'user', properties: { x: ['1'] } }],
  });
  const changed = await contentOf(graphId);
  await stopGraph(deps, { projectId: PROJECT, graphId });
  return { graphId, name, backupId, content, changed };
}

describe('starting a graph from a backup', () => {
  it('replaces the data with exactly the backup, then runs the graph', async () => {
    const { graphId, name, backupId, content } = await backedUpThenChanged();

    const { jobId } = await restoreGraph(deps, { projectId: PROJECT, graphId, backupId });
    expect((await deps.graphs.get(PROJECT, graphId))?.status).toBe('920');
    expect(await run(jobId)).toBe('succeeded');

    expect(await contentOf(graphId)).toEqual(sortRecords([...content.vertices, ...content.edges]));
    const graph = await deps.graphs.get(PROJECT, graphId);
    expect(graph).toMatchObject({ status: '200', generation: 2 });
    expect(graph?.lockJobId).toBeUndefined();
    expect((await summarize(deps, { projectId: PROJECT, graphName: name })).data).toMatchObject({
      vertexNum: 30,
      edgeNum: 29,
    });
    // the replaced generation is gone
    expect(await countGeneration(graphId, 1)).toEqual({ vertexNum: 0, edgeNum: 0 });
    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({ status: 'success', progress: 100 });
    expect((await deps.backups.get(PROJECT, backupId))?.usedByJobId).toBeUndefined();
  });

  it('leaves the graph stopped with the data it had when a part file is corrupt', async () => {
    const { graphId, backupId, changed } = await backedUpThenChanged();
    const stored = await readBackup(deps, { projectId: PROJECT, graphId, backupId });
    const part = stored?.manifest.files.find((f) => f.records > 0);
    const folder = backupPrefix({ projectId: PROJECT, graphId, backupId });
    await deps.blobs.put(`${folder}${part?.key}`, 'not gzip at all', 'application/gzip');

    const { jobId } = await restoreGraph(deps, { projectId: PROJECT, graphId, backupId });
    expect(await run(jobId)).toBe('failed');

    const job = await deps.jobs.get(PROJECT, jobId);
    expect(job).toMatchObject({ status: 'failed', errorCode: 'GES.7040' });
    expect(job?.failReason).toContain(part?.key);
    expect(await deps.graphs.get(PROJECT, graphId)).toMatchObject({ status: '900', generation: 1 });
    expect(await contentOf(graphId)).toEqual(changed);
    // what the restore loaded is discarded, and the collector leaves nothing of it
    expect(await deps.data.garbage(100)).toContainEqual(expect.objectContaining({ graphId, from: 2, to: 2 }));
    await collectAll();
    expect(await countGeneration(graphId, 2)).toEqual({ vertexNum: 0, edgeNum: 0 });
  });

  it('leaves the graph stopped with the data it had when its parts, each whole, do not add up to the backup', async () => {
    const { graphId, backupId, changed } = await backedUpThenChanged();
    const folder = backupPrefix({ projectId: PROJECT, graphId, backupId });
    const manifest = JSON.parse(String(await deps.blobs.get(folder + MANIFEST_FILE)));
    // Every part still matches its own entry; only the whole backup's digest is another one.
    manifest.contentDigest.value = manifest.contentDigest.value.replace(/^./, (c: string) =>
      c === '0' ? '1' : '0',
    );
    await deps.blobs.put(folder + MANIFEST_FILE, JSON.stringify(manifest), 'application/json');

    const { jobId } = await restoreGraph(deps, { projectId: PROJECT, graphId, backupId });
    expect(await run(jobId)).toBe('failed');

    const job = await deps.jobs.get(PROJECT, jobId);
    expect(job).toMatchObject({ status: 'failed', errorCode: 'GES.7040' });
    expect(job?.failReason).toMatch(/does not match the backup/);
    expect(await deps.graphs.get(PROJECT, graphId)).toMatchObject({ status: '900', generation: 1 });
    expect(await contentOf(graphId)).toEqual(changed);
    expect(await countGeneration(graphId, 2)).not.toEqual({ vertexNum: 0, edgeNum: 0 });
    await collectAll();
    expect(await countGeneration(graphId, 2)).toEqual({ vertexNum: 0, edgeNum: 0 });
  });

  it('leaves the graph as it was when the manifest is missing', async () => {
    const { graphId, backupId, changed } = await backedUpThenChanged();
    const folder = backupPrefix({ projectId: PROJECT, graphId, backupId });
    const manifest = await deps.blobs.get(folder + MANIFEST_FILE);
    await deps.blobs.deletePrefix(folder + MANIFEST_FILE);

    const { jobId } = await restoreGraph(deps, { projectId: PROJECT, graphId, backupId });
    expect(await run(jobId)).toBe('failed');

    expect((await deps.jobs.get(PROJECT, jobId))?.failReason).toMatch(/no manifest/);
    expect((await deps.graphs.get(PROJECT, graphId))?.status).toBe('900');
    expect(await contentOf(graphId)).toEqual(changed);
    expect(manifest).toBeDefined();
  });

  it('leaves the graph as it was when the restore crashes halfway, and finishes on redelivery', async () => {
    const { graphId, backupId, content, changed } = await backedUpThenChanged();
    const { jobId } = await restoreGraph(deps, { projectId: PROJECT, graphId, backupId });
    let loads = 0;
    const crashing = Object.create(deps.data) as Deps['data'];
    crashing.load = async (items) => {
      if (++loads > 2) throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
      return deps.data.load(items);
    };

    await expect(run(jobId, { data: crashing })).rejects.toThrow();
    expect(await deps.graphs.get(PROJECT, graphId)).toMatchObject({ status: '920', generation: 1 });
    expect(await contentOf(graphId)).toEqual(changed);

    expect(await runJob(deps, jobTasks, { projectId: PROJECT, jobId }, { attempt: 2 })).toBe('succeeded');
    expect(await contentOf(graphId)).toEqual(sortRecords([...content.vertices, ...content.edges]));
  });

  it('refuses a graph that is not stopped (GES.7037), a backup of another graph (GES.7024), and an unfinished one (GES.7040)', async () => {
    const { graphId, backupId } = await backedUpThenChanged();
    const other = await seedGraph(deps, socialGraph(2));
    const running = await startBackup(deps, { projectId: PROJECT, graphId: other.graphId });

    expect(await codeOf(restoreGraph(deps, { projectId: PROJECT, graphId: other.graphId, backupId }))).toBe(
      'GES.7037',
    );
    expect(
      await codeOf(restoreGraph(deps, { projectId: PROJECT, graphId, backupId: running.backupId })),
    ).toBe('GES.7024');
    const unfinished = await seedGraph(deps);
    const pending = await startBackup(deps, { projectId: PROJECT, graphId: unfinished.graphId });
    await run(pending.jobId, { clock: { now: () => Date.now() + 10 ** 9 } }); // fails: past its deadline
    await stopGraph(deps, { projectId: PROJECT, graphId: unfinished.graphId });
    expect(
      await codeOf(
        restoreGraph(deps, { projectId: PROJECT, graphId: unfinished.graphId, backupId: pending.backupId }),
      ),
    ).toBe('GES.7040');
  });

  it('refuses writes to a stopped graph with GES.7003, and starts it again with its own data', async () => {
    const { graphId, name, changed } = await backedUpThenChanged();
    const write = addElements(deps, {
      projectId: PROJECT,
      graphName: name,
      elements: [{ vertex: 'x', label: 'user', properties: {} }],
    });
    expect(await codeOf(write)).toBe('GES.7003');
    expect(await codeOf(stopGraph(deps, { projectId: PROJECT, graphId }))).toBe('GES.7003');

    const { jobId } = await startGraph(deps, { projectId: PROJECT, graphId });

    expect(await deps.jobs.get(PROJECT, jobId)).toMatchObject({ jobName: 'StartGraph', status: 'success' });
    expect((await deps.graphs.get(PROJECT, graphId))?.status).toBe('200');
    expect(await contentOf(graphId)).toEqual(changed);
  });
});
