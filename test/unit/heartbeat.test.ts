import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { createGraph } from '../../lib/operations/graphs/graphs.js';
import { Heartbeat } from '../../lib/runtime/heartbeat.js';
import { memoryDeps } from '../support/memory-deps.js';

/**
 * The worker's heartbeat on a fake timer: what it asks of the queue (the receipts it hides, and for
 * how long) and of the job records (the lease it renews), beat by beat.
 */
const LEASE = 6;
const BEAT = 2;

async function setUp(remaining = () => 60_000) {
  const memory = memoryDeps({ JOB_LEASE_SECONDS: String(LEASE), HEARTBEAT_SECONDS: String(BEAT) });
  const { deps } = memory;
  const { graph } = await createGraph(deps, { projectId: 'p', name: 'g' });
  const { jobId } = await startBackup(deps, { projectId: 'p', graphId: graph.graphId });
  await deps.jobs.take('p', jobId, 'run', deps.clock.now(), LEASE * 1000);
  const heartbeat = new Heartbeat(deps, remaining);
  const leaseUntil = async () => (await deps.jobs.get('p', jobId))?.leaseUntil;
  /** One beat's time passes, on the timer and on the deps' clock. */
  const beat = async () => {
    memory.advance(BEAT * 1000);
    await vi.advanceTimersByTimeAsync(BEAT * 1000);
  };
  return { ...memory, heartbeat, jobId, leaseUntil, beat };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the heartbeat', () => {
  it('hides every message of the batch for a lease at once, and again on every beat', async () => {
    const t = await setUp();
    await t.heartbeat.start(['a', 'b']);
    expect(t.hidden).toEqual([{ receipts: ['a', 'b'], seconds: LEASE }]);
    await t.beat();
    await t.beat();
    expect(t.hidden).toHaveLength(3);
    expect(t.hidden.every((h) => h.seconds === LEASE && h.receipts.join() === 'a,b')).toBe(true);
    await t.heartbeat.stop();
    await t.beat();
    expect(t.hidden).toHaveLength(3);
  });

  it('renews the lease of the run a delivery claimed, a lease ahead of each beat, until its delivery ends', async () => {
    const t = await setUp();
    await t.heartbeat.start(['a']);
    t.heartbeat.lease('a').claimed({ projectId: 'p', jobId: t.jobId, runId: 'run' });
    await t.beat();
    expect(await t.leaseUntil()).toBe(t.deps.clock.now() + LEASE * 1000);
    t.heartbeat.ended('a');
    const before = await t.leaseUntil();
    await t.beat();
    expect(await t.leaseUntil()).toBe(before);
    // Its message stays hidden until the invocation returns (Lambda deletes it only then).
    expect(t.hidden.at(-1)?.receipts).toEqual(['a']);
    await t.heartbeat.stop();
  });

  it('after a retryable fault, lets that message come back when asked, and beats only the others', async () => {
    const t = await setUp();
    await t.heartbeat.start(['a', 'b']);
    t.heartbeat.lease('a').claimed({ projectId: 'p', jobId: t.jobId, runId: 'run' });
    await t.heartbeat.lease('a').retryIn(3_000);
    expect(t.hidden.at(-1)).toEqual({ receipts: ['a'], seconds: 3 });
    const before = await t.leaseUntil();
    await t.beat();
    expect(t.hidden.at(-1)).toEqual({ receipts: ['b'], seconds: LEASE });
    expect(await t.leaseUntil()).toBe(before);
    await t.heartbeat.stop();
  });

  it("stops beating when the invocation's time is up, as Lambda would stop it", async () => {
    let left = 3_000;
    const t = await setUp(() => left);
    await t.heartbeat.start(['a']);
    await t.beat();
    expect(t.hidden).toHaveLength(2);
    left = 0;
    await t.beat();
    await t.beat();
    expect(t.hidden).toHaveLength(2);
    await t.heartbeat.stop();
  });

  it('asks nothing of the queue once no message is left to beat (SQS refuses an empty batch)', async () => {
    const t = await setUp();
    await t.heartbeat.start(['a']);
    await t.heartbeat.lease('a').retryIn(1_000);
    const asked = t.hidden.length;
    await t.beat();
    await t.beat();
    expect(t.hidden).toHaveLength(asked);
    expect(t.hidden.every((h) => h.receipts.length > 0)).toBe(true);
    await t.heartbeat.stop();
  });

  it('goes on beating after a beat the queue or the table refused', async () => {
    const t = await setUp();
    const { queue, jobs } = t.deps;
    let refuse = true;
    const deps = {
      ...t.deps,
      queue: {
        ...queue,
        hideFor: async (receipts: string[], seconds: number) => {
          if (refuse) throw new Error('SQS is down');
          return queue.hideFor(receipts, seconds);
        },
      },
      jobs: Object.assign(Object.create(jobs), {
        renewLease: async (...args: Parameters<typeof jobs.renewLease>) => {
          if (refuse) throw new Error('DynamoDB is down');
          return jobs.renewLease(...args);
        },
      }) as typeof jobs,
    };
    const heartbeat = new Heartbeat(deps, () => 60_000);
    await heartbeat.start(['a']);
    heartbeat.lease('a').claimed({ projectId: 'p', jobId: t.jobId, runId: 'run' });
    await t.beat();
    refuse = false;
    await t.beat();
    expect(t.hidden.at(-1)).toEqual({ receipts: ['a'], seconds: LEASE });
    expect(await t.leaseUntil()).toBe(t.deps.clock.now() + LEASE * 1000);
    await heartbeat.stop();
  });

  it('ignores a receipt that is not of its batch', async () => {
    const t = await setUp();
    await t.heartbeat.start(['a']);
    const stranger = t.heartbeat.lease('z');
    stranger.claimed({ projectId: 'p', jobId: t.jobId, runId: 'run' });
    await stranger.retryIn(1_000);
    t.heartbeat.ended('z');
    await t.beat();
    expect(t.hidden.flatMap((h) => h.receipts)).not.toContain('z');
    await t.heartbeat.stop();
  });
});
