import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { GesError } from '../../lib/core/errors.js';
import type { Action, Store } from '../../lib/core/store.js';
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

/**
 * The racer (a backup or a stop; neither waits for writers) runs to completion at one exact step of the
 * writer's batch, seen at the store: no timing decides which side of the race a round is on.
 */
const MOMENTS: {
  name: string;
  before: (actions: Action[], chunksSoFar: number) => boolean;
  wins: 'batch' | 'racer';
}[] = [
  { name: 'before the batch registers', before: (a) => a.some(isRegistration), wins: 'racer' },
  { name: 'before its second chunk', before: (a, n) => a.some(isElementPut) && n === 1, wins: 'batch' },
  {
    name: 'before its last chunk',
    before: (a, n) => a.some(isElementPut) && n === CHUNKS - 1,
    wins: 'batch',
  },
  {
    name: 'before it is marked written',
    before: (a) => a.some((x) => x.name === 'the batch is written'),
    wins: 'batch',
  },
];
const isElementPut = (a: Action) => a.name.startsWith('put element ');
const isRegistration = (a: Action) =>
  'change' in a && Object.keys(a.change.set ?? {}).some((path) => path.startsWith('writers.'));
/** Chunks of the batch: DynamoDB's 100 actions per transaction, one the fence and one the counter. */
const CHUNKS = Math.ceil(BATCH / 98);

/** `deps` whose store runs `hook` before each write it is asked for. */
function hooked(hook: (actions: Action[]) => Promise<void>): Deps {
  const store: Store = Object.create(deps.store);
  store.transact = async (actions) => {
    await hook(actions);
    return deps.store.transact(actions);
  };
  store.apply = async (action) => {
    await hook([action]);
    return deps.store.apply(action);
  };
  return {
    ...deps,
    store,
    data: Object.assign(Object.create(Object.getPrototypeOf(deps.data)), deps.data, { store }),
  };
}

describe('a data-plane batch is all or nothing', () => {
  for (const racer of ['backup', 'stop'] as const) {
    for (const moment of MOMENTS) {
      it(`against a ${racer} that takes the graph ${moment.name}: ${moment.wins === 'batch' ? 'answered 200 and whole' : 'refused and absent'}, in graph and backup`, async () => {
        const { graphId, name } = await seedGraph(deps, socialGraph(5));
        const tag = `${racer}-${MOMENTS.indexOf(moment)}`;
        let chunks = 0;
        let racing: Promise<{ jobId: string; backupId?: string }> | undefined;
        const writer = hooked(async (actions) => {
          const before = chunks;
          if (actions.some(isElementPut)) chunks++;
          if (!moment.before(actions, before)) return;
          racing ??=
            racer === 'backup'
              ? startBackup(deps, { projectId: PROJECT, graphId })
              : stopGraph(deps, { projectId: PROJECT, graphId });
          await racing;
        });
        const answer = await addElements(writer, {
          projectId: PROJECT,
          graphName: name,
          elements: batchOf(tag),
        }).then(
          () => 'written',
          (e: unknown) => (e instanceof GesError ? e.code : Promise.reject(e)),
        );
        const taken = await racing;
        expect(taken, 'the racer ran').toBeDefined();
        const inGraph = await graphHolds(graphId, tag);
        if (moment.wins === 'batch') expect([answer, inGraph]).toEqual(['written', BATCH]);
        else expect([answer, inGraph]).toEqual([racer === 'backup' ? 'GES.7002' : 'GES.7003', 0]);
        if (taken && 'backupId' in taken && typeof taken.backupId === 'string') {
          expect(
            await runJob(deps, jobTasks, { projectId: PROJECT, jobId: taken.jobId }, { attempt: 1 }),
          ).toBe('succeeded');
          const backup = await readBackup(deps, { projectId: PROJECT, graphId, backupId: taken.backupId });
          expect(held(backup?.records ?? [], tag)).toBe(inGraph);
        }
      }, 60_000);
    }
  }

  it('when the writer dies halfway, the backup that takes the graph settles it and holds it whole', async () => {
    const { graphId, name } = await seedGraph(deps, socialGraph(5));
    const tag = 'dead';
    // The API function dies after three of its transactions: the rest never come.
    let transactions = 0;
    const dying: Store = Object.create(deps.store);
    dying.transact = async (actions) => {
      if (actions.some(isElementPut) && ++transactions > 3) throw new Error('the function died');
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
