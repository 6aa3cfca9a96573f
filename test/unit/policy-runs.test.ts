import { describe, expect, it } from 'vitest';
import { records } from '../../lib/composition/records.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { createGraph } from '../../lib/operations/graphs/graphs.js';
import { stopGraph } from '../../lib/operations/graphs/lifecycle.js';
import { runDuePolicies } from '../../lib/operations/policies/policies.js';
import type { PolicyRecord } from '../../lib/records/policies/policy-repo.js';
import { memoryDeps } from '../support/memory-deps.js';

const TENANTS = 12;

/**
 * Many tenants' policies come due in the same minute, and some tenants' policies are poisoned, each
 * in its own way: every other tenant's automatic backup starts in that same run.
 */
describe('the scheduled runner', () => {
  it('runs every healthy policy and records each poisoned one on itself, disabling those that can never run', async () => {
    const mem = memoryDeps();
    const { deps, advance } = mem;
    const due = deps.clock.now() - 1000;
    const graphs: { projectId: string; graphId: string }[] = [];
    for (let i = 0; i < TENANTS; i++) {
      const projectId = `tenant${i}`;
      const { graph } = await createGraph(deps, { projectId, name: `graph_${i}` });
      graphs.push({ projectId, graphId: graph.graphId });
    }
    const policy = (i: number, schedule: string): PolicyRecord => ({
      ...(graphs[i] as { projectId: string; graphId: string }),
      enabled: true,
      schedule,
      keepAuto: 3,
      nextRunAt: due,
    });
    const poisoned = {
      // a cron whose last run is behind us: "nightly for the rest of 2026", read in December 2026
      0: policy(0, 'cron(0 3 * 1-11 ? 2026)'),
      // a schedule stored by an older version that EventBridge would not take
      1: policy(1, 'cron(not a schedule)'),
      // its graph was deleted (the record is gone)
      2: policy(2, 'rate(1 hour)'),
      // its graph is busy with another backup
      3: policy(3, 'rate(1 hour)'),
      // its graph is stopped
      4: policy(4, 'rate(1 hour)'),
      // the store fails for this policy's graph (an exception, not a refusal)
      5: policy(5, 'rate(1 hour)'),
    };
    for (let i = 0; i < TENANTS; i++)
      await deps.policies.put(poisoned[i as keyof typeof poisoned] ?? policy(i, 'rate(1 hour)'));
    await mem.store.apply({
      name: 'gone',
      table: 'control',
      delete: { pk: `PROJECT#${graphs[2]?.projectId}`, sk: `GRAPH#${graphs[2]?.graphId}` },
    });
    await startBackup(deps, graphs[3] as { projectId: string; graphId: string });
    await stopGraph(deps, graphs[4] as { projectId: string; graphId: string });
    // The store fails for every read and write that touches this graph's record.
    const failing = `GRAPH#${graphs[5]?.graphId}`;
    const touches = (x: unknown) => JSON.stringify(x).includes(failing);
    const store = deps.store;
    const flaky = Object.create(store) as typeof store;
    flaky.get = async (table, key) => {
      if (touches(key)) throw new Error('the store is failing for this graph');
      return store.get(table, key);
    };
    flaky.transact = async (actions) => {
      if (touches(actions)) throw new Error('the store is failing for this graph');
      return store.transact(actions);
    };

    advance(1);
    const runs = await runDuePolicies({ ...deps, ...records(flaky, deps.config, deps.clock), store: flaky });

    const lastRun = async (i: number) =>
      (await deps.policies.get(graphs[i]?.projectId ?? '', graphs[i]?.graphId ?? ''))?.lastRun;
    for (let i = 6; i < TENANTS; i++)
      expect(await lastRun(i), `tenant ${i}`).toMatchObject({ result: 'started' });
    expect(runs.filter((r) => r.result === 'started')).toHaveLength(TENANTS - 6);

    const policyOf = async (i: number) =>
      deps.policies.get(graphs[i]?.projectId ?? '', graphs[i]?.graphId ?? '');
    expect(await policyOf(0)).toMatchObject({
      enabled: false,
      lastRun: { result: 'failed', reason: expect.stringMatching(/never fires.*disabled/) },
    });
    expect(await policyOf(1)).toMatchObject({
      enabled: false,
      lastRun: { result: 'failed', reason: expect.stringMatching(/not a valid schedule.*disabled/) },
    });
    expect(await policyOf(2)).toMatchObject({
      enabled: false,
      lastRun: { result: 'failed', reason: expect.stringMatching(/GES\.7000.*disabled/) },
    });
    expect(await policyOf(3)).toMatchObject({
      enabled: true,
      lastRun: { result: 'skipped', reason: expect.stringMatching(/GES\.7002/) },
    });
    expect(await policyOf(4)).toMatchObject({
      enabled: true,
      lastRun: { result: 'skipped', reason: expect.stringMatching(/GES\.7001/) },
    });
    expect(await policyOf(5)).toMatchObject({
      enabled: true,
      lastRun: { result: 'failed', reason: 'an internal error occurred' },
    });
    // The disabled ones left the due index; the others moved on to their next run.
    const stillDue = await deps.policies.due(deps.clock.now() + 2 * 3_600_000, 100);
    expect(stillDue.map((p) => p.graphId).sort()).toEqual(
      graphs
        .filter((_, i) => i > 2)
        .map((g) => g.graphId)
        .sort(),
    );
    expect(await deps.policies.due(deps.clock.now(), 100)).toEqual([]);
  });
});
