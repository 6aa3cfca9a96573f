import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import type { Action, Store } from '../../lib/core/store.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { addElements, summarize } from '../../lib/operations/graphs/data-plane.js';
import { countGraph } from '../../lib/operations/graphs/graphs.js';
import { stopGraph } from '../../lib/operations/graphs/lifecycle.js';
import { restoreGraph } from '../../lib/operations/restore/restore-graph.js';
import { emptyCounts, type LabelCounts, tally } from '../../lib/records/graphs/counters.js';
import type { Edge, GraphElement, Vertex } from '../../lib/records/graphs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { PROJECT, seedGraph } from './fixtures.js';
import { isolatedStack } from './support.js';

const LEASE_SECONDS = 2;
let deps: Deps;
beforeAll(async () => {
  ({ deps } = await isolatedStack({
    env: { BATCH_LEASE_SECONDS: String(LEASE_SECONDS), BACKUP_QUOTA: '100', GRAPH_SHARDS: '4' },
  }));
});

/** mulberry32: a small seeded generator, so that a failing run can be replayed from its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { int, pick: <T>(xs: readonly T[]) => xs[int(xs.length)] as T };
}

/** Few ids and labels, so that writes replace and relabel; labels the counters must spell safely. */
const IDS = Array.from({ length: 150 }, (_, i) => `v${i}`);
const LABELS = ['person', 'movie', 'a.b', '100%', '__proto__', 'zoë'];

/** The counts of the graph's current generation by a full scan of its data (what counters replace). */
async function scanned(graphId: string): Promise<LabelCounts> {
  const graph = await deps.graphs.get(PROJECT, graphId);
  if (!graph) throw new Error('no graph');
  const counts = emptyCounts();
  for (let shard = 0; shard < graph.shards; shard++) {
    for await (const page of deps.data.readShard(graphId, graph.generation, shard)) {
      for (const item of page) tally(counts, item.k === 'V' ? 'V' : 'E', String(item.l));
    }
  }
  return counts;
}

/** Every count the service shows (summary, GET graph) agrees with a full scan. */
async function expectCountersExact(graphId: string, name: string, step: string) {
  const scan = await scanned(graphId);
  const summary = (await summarize(deps, { projectId: PROJECT, graphName: name })).data;
  const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
  expect(summary, step).toEqual({
    vertexNum: sum(scan.vertex),
    edgeNum: sum(scan.edge),
    labelDetails: { labelInVertex: scan.vertex, labelInEdge: scan.edge },
  });
  const graph = await deps.graphs.get(PROJECT, graphId);
  expect(await countGraph(deps, graph as NonNullable<typeof graph>), step).toEqual({
    vertexNum: sum(scan.vertex),
    edgeNum: sum(scan.edge),
  });
  return scan;
}

/** `deps` on a clock `offset` ahead, whose store dies (throws) at the `dieAt`th element transaction. */
function withStore(offset: number, dieAt?: { n: number; after: boolean }): Deps {
  const clock = { now: () => Date.now() + offset };
  if (!dieAt) return { ...deps, clock };
  let transactions = 0;
  const store: Store = Object.create(deps.store);
  const isPut = (actions: Action[]) => actions.some((a) => a.name.startsWith('put element '));
  store.transact = async (actions) => {
    if (!isPut(actions) || ++transactions < dieAt.n) return deps.store.transact(actions);
    // Dying before the transaction, or after it was applied (the answer lost on the way back).
    if (dieAt.after) await deps.store.transact(actions);
    throw new Error('the function died');
  };
  const data = Object.assign(Object.create(Object.getPrototypeOf(deps.data)), deps.data, { store });
  return { ...deps, clock, store, data };
}

describe('the element counters', () => {
  it('equal a full scan after random writes, replaces, relabels, concurrent batches, crashes, backups and restores', async () => {
    const seed = Number(process.env.COUNTERS_SEED ?? Date.now() % 1_000_000);
    const rng = random(seed);
    const { graphId, name } = await seedGraph(deps);
    // Moved past every lease whenever a writer died, so that the next write settles it.
    let offset = 0;
    const vertices = (n: number): Vertex[] =>
      Array.from({ length: n }, () => ({
        vertex: rng.pick(IDS),
        label: rng.pick(LABELS),
        properties: { r: [String(rng.int(1000))] },
      }));
    const edges = (n: number): Edge[] =>
      Array.from({ length: n }, () => ({
        source: rng.pick(IDS),
        target: rng.pick(IDS),
        label: rng.pick(LABELS),
        properties: {},
      }));
    const batch = (sizes = [1, 7, 40, 97, 98, 99, 180, 260]): GraphElement[] => {
      // Sizes across the one-transaction limit (98): some batches are written under an intent.
      const n = rng.pick(sizes);
      return rng.int(2) ? vertices(n) : edges(n);
    };
    const add = (elements: GraphElement[], over = withStore(offset)) =>
      addElements(over, { projectId: PROJECT, graphName: name, elements });
    const run = (jobId: string) =>
      runJob(withStore(offset), jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 });

    const done: string[] = [];
    let backupId: string | undefined;
    // Every kind at least once (a backup before the first restore), then a random mix.
    const KINDS = ['write', 'write', 'write', 'concurrent', 'crash', 'crash', 'backup', 'restore'] as const;
    const plan: (typeof KINDS)[number][] = ['write', 'crash', 'concurrent', 'backup'];
    const rest = Array.from({ length: 18 }, () => rng.pick(KINDS));
    rest.splice(rng.int(rest.length + 1), 0, 'restore');
    plan.push(...rest);
    for (const [step, kind] of plan.entries()) {
      const what = `seed ${seed}, step ${step}: ${kind} (after ${done.join(', ')})`;
      if (kind === 'write') await add(batch());
      if (kind === 'concurrent') {
        // The same ids written at once: refusals of elements not as seen, counted once each.
        await Promise.all([add(batch()), add(batch()), add(batch())]);
      }
      if (kind === 'crash') {
        // A batch of several transactions: the writer dies before, after or between them, registered.
        const elements = batch([99, 180, 260]);
        const dieAt = { n: 1 + rng.int(3), after: rng.int(2) === 1 };
        await add(elements, withStore(offset, dieAt)).catch((e: unknown) => {
          if (!(e instanceof Error && e.message === 'the function died')) throw e;
        });
        // What was written is counted; the rest comes when the next write (or job) settles the batch.
        await expectCountersExact(graphId, name, `${what}, before the settle`);
        offset += (LEASE_SECONDS + 1) * 1000;
      }
      if (kind === 'backup') {
        const before = await scanned(graphId);
        const started = await startBackup(withStore(offset), { projectId: PROJECT, graphId });
        expect(await run(started.jobId), what).toBe('succeeded');
        const job = await deps.jobs.get(PROJECT, started.jobId);
        const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
        // A settled crash is part of the backup: its expected counts are those of the data it holds.
        const after = await scanned(graphId);
        expect(job?.detail, what).toMatchObject({
          vertices: { expected: sum(after.vertex), done: sum(after.vertex) },
          edges: { expected: sum(after.edge), done: sum(after.edge) },
        });
        expect(sum(after.vertex) >= sum(before.vertex), what).toBe(true);
        backupId = started.backupId;
      }
      if (kind === 'restore' && backupId) {
        await stopGraph(withStore(offset), { projectId: PROJECT, graphId });
        const { jobId } = await restoreGraph(withStore(offset), { projectId: PROJECT, graphId, backupId });
        // The first attempt crashes after loading some parts; the redelivery loads it all again.
        let loads = 0;
        const crashing = Object.create(deps.data) as Deps['data'];
        crashing.load = async (items) => {
          if (++loads > 1) throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
          return deps.data.load(items);
        };
        const first = await runJob(
          { ...withStore(offset), data: crashing },
          jobTasks,
          { projectId: PROJECT, jobId },
          { attempt: 1 },
        ).catch(() => 'crashed');
        if (first !== 'succeeded')
          expect(
            await runJob(withStore(offset), jobTasks, { projectId: PROJECT, jobId }, { attempt: 2 }),
            what,
          ).toBe('succeeded');
      }
      done.push(kind);
      await expectCountersExact(graphId, name, what);
    }
    // The dropped generations took their counters with them.
    const graph = await deps.graphs.get(PROJECT, graphId);
    for (let generation = 1; generation < (graph?.generation ?? 1); generation++)
      expect(await deps.data.counts(graphId, generation)).toEqual(emptyCounts());
  }, 240_000);
});
