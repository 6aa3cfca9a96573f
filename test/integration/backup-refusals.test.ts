import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { GesError } from '../../lib/core/errors.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { PROJECT, seedGraph, socialGraph } from './fixtures.js';
import { isolatedStack } from './support.js';

/**
 * The words of a refusal under a race. The load test (test/e2e/load.test.ts) sees it by chance when
 * the winner's backup is quick; here the interleaving is forced: another backup takes the graph just
 * before the request's transaction and ends before the refusal is worded (the refusal's words come
 * from the transaction's cancellation reasons: the graph as it then was).
 */
let deps: Deps;
beforeAll(async () => {
  ({ deps } = await isolatedStack());
});

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (e: unknown) => (e instanceof GesError ? e.code : (e as Error).name),
  );

describe('a backup request that loses its graph to another backup', () => {
  it('is refused with GES.7002 (being backed up), not GES.7001 (not running), even when that backup has ended since', async () => {
    const { graphId } = await seedGraph(deps, socialGraph(3));
    let winner: { jobId: string } | undefined;
    // Another backup takes the graph just before the request's transaction, and has ended by the
    // time that transaction's refusal is worded.
    const store = Object.create(deps.store) as Deps['store'];
    store.transact = async (actions) => {
      winner ??= await startBackup(deps, { projectId: PROJECT, graphId });
      const outcome = await deps.store.transact(actions);
      if (!outcome.ok && winner)
        await runJob(deps, jobTasks, { projectId: PROJECT, jobId: winner.jobId }, { attempt: 1 });
      return outcome;
    };

    const code = await codeOf(startBackup({ ...deps, store }, { projectId: PROJECT, graphId }));

    expect(winner && (await deps.jobs.get(PROJECT, winner.jobId))?.status).toBe('success');
    expect((await deps.graphs.get(PROJECT, graphId))?.status).toBe('200');
    expect(code).toBe('GES.7002');
  });
});
