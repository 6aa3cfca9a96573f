import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { GesError } from '../../lib/core/errors.js';
import type { Store } from '../../lib/core/store.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { addElements } from '../../lib/operations/graphs/data-plane.js';
import { countGraph } from '../../lib/operations/graphs/graphs.js';
import { stopGraph } from '../../lib/operations/graphs/lifecycle.js';
import type { Vertex } from '../../lib/records/graphs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { PROJECT, readBackup, seedGraph, socialGraph } from './fixtures.js';
import { isolatedStack } from './support.js';

const BATCH = 1000;
const ROUNDS = 10;

let deps: Deps;
beforeAll(async () => {
  ({ deps } = await isolatedStack({ env: { BATCH_LEASE_SECONDS: '2', BACKUP_QUOTA: '100' } }));
});

const batchOf = (tag: string): Vertex[] =>
  Array.from({ length: BATCH }, (_, i) => ({
    vertex: `${tag}-${i}`,
    label: 'batch',
    properties: { tag: [tag] },
  }));

/** How many of the batch's elements a list of records holds. */
const held = (records: unknown[], tag: string) =>
  records.filter((r) => (r as Vertex).vertex?.startsWith(`${tag}-`)).length;

async function graphHolds(graphId: string, tag: string) {
  const graph = await deps.graphs.get(PROJECT, graphId);
  let n = 0;
  for (let shard = 0; shard < (graph?.shards ?? 0); shard++) {
    for await (const page of deps.data.readShard(graphId, graph?.generation ?? 1, shard)) {
      n += page.filter((item) => item.s.startsWith(`${tag}-`)).length;
    }
  }
  return n;
}

describe('a data-plane batch is all or nothing', () => {
  it('against backups and stops that race it: answered 200 and whole, or refused and absent, in graph and backup', async () => {
    const seen: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { graphId, name } = await seedGraph(deps, socialGraph(5));
      const tag = `r${round}`;
      const racer = round % 2 === 0 ? 'backup' : 'stop';
      const writing = addElements(deps, { projectId: PROJECT, graphName: name, elements: batchOf(tag) }).then(
        () => 'written',
        (e: unknown) => (e instanceof GesError ? e.code : Promise.reject(e)),
      );
      await sleep(5 + ((round * 37) % 60));
      const taken =
        racer === 'backup'
          ? await startBackup(deps, { projectId: PROJECT, graphId })
          : await stopGraph(deps, { projectId: PROJECT, graphId });
      const answer = await writing;
      seen.push(`${racer}:${answer}`);
      const inGraph = await graphHolds(graphId, tag);
      expect([answer, inGraph], `round ${round}`).toEqual(
        answer === 'written' ? ['written', BATCH] : [answer, 0],
      );
      if (racer === 'backup' && 'backupId' in taken && typeof taken.backupId === 'string') {
        expect(await runJob(deps, jobTasks, { projectId: PROJECT, jobId: taken.jobId }, { attempt: 1 })).toBe(
          'succeeded',
        );
        const backup = await readBackup(deps, { projectId: PROJECT, graphId, backupId: taken.backupId });
        expect(held(backup?.records ?? [], tag), `round ${round}`).toBe(inGraph);
      }
    }
    // Both outcomes happened, or the race never raced: the timings above are meant to give both.
    expect(new Set(seen.map((s) => s.split(':')[1])).size, seen.join(' ')).toBeGreaterThan(1);
  }, 240_000);

  it('when the writer dies halfway, the backup that takes the graph settles it and holds it whole', async () => {
    const { graphId, name } = await seedGraph(deps, socialGraph(5));
    const tag = 'dead';
    // The API function dies after three of its transactions: the rest never come.
    let transactions = 0;
    const dying: Store = Object.create(deps.store);
    dying.transact = async (actions) => {
      if (actions.some((a) => a.name === 'put an element') && ++transactions > 3)
        throw new Error('the function died');
      return deps.store.transact(actions);
    };
    const dead = {
      ...deps,
      store: dying,
      data: Object.assign(Object.create(Object.getPrototypeOf(deps.data)), deps.data, { store: dying }),
    };
    await expect(
      addElements(dead, { projectId: PROJECT, graphName: name, elements: batchOf(tag) }),
    ).rejects.toThrow(/died/);
    const partial = await graphHolds(graphId, tag);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(BATCH);

    const { jobId, backupId } = await startBackup(deps, { projectId: PROJECT, graphId });
    expect(await runJob(deps, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 })).toBe('succeeded');
    expect(await graphHolds(graphId, tag)).toBe(BATCH);
    const backup = await readBackup(deps, { projectId: PROJECT, graphId, backupId });
    expect(held(backup?.records ?? [], tag)).toBe(BATCH);
    const graph = await deps.graphs.get(PROJECT, graphId);
    expect(graph?.writers).toEqual({});
    expect((await countGraph(deps, graph as NonNullable<typeof graph>)).vertexNum).toBe(BATCH + 5);
  }, 60_000);
});
