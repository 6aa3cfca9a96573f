import { MemoryStore } from '../../lib/adapters/memory-store.js';
import { records } from '../../lib/composition/records.js';
import { parseConfig } from '../../lib/core/config.js';
import { logger } from '../../lib/core/logger.js';
import type { JobMessage } from '../../lib/core/ports.js';
import type { Deps } from '../../lib/runtime/deps.js';

/** The configuration with every required name filled in (nothing is reached by these names). */
export const testConfig = (env: Record<string, string> = {}) =>
  parseConfig({
    CONTROL_TABLE: 'control',
    GRAPH_TABLE: 'graph',
    BACKUP_BUCKET: 'bucket',
    JOB_QUEUE_URL: 'http://queue.local/jobs',
    EVENT_BUS_NAME: 'bus',
    TRANSFER_BUCKETS: 'transfer-*',
    ...env,
  });

/**
 * The service's use cases on the in-memory store (which passes the store's contract suite), a queue
 * that keeps what was sent, and a clock the test moves: rules tested in milliseconds. Blobs and
 * events are absent: a rule that reaches them here is a rule that belongs in an integration test.
 */
export function memoryDeps(env: Record<string, string> = {}) {
  const config = testConfig(env);
  const store = new MemoryStore();
  const sent: JobMessage[] = [];
  const hidden: { receipts: string[]; seconds: number }[] = [];
  let now = Date.UTC(2026, 11, 1);
  let failSends = false;
  const clock = { now: () => now };
  const deps = {
    config,
    clock,
    ids: { uuid: () => crypto.randomUUID(), jobId: () => crypto.randomUUID().replaceAll('-', '') },
    log: logger,
    ...records(store, config, clock),
    queue: {
      send: async (message: JobMessage) => {
        if (failSends) throw new Error('the queue is down');
        sent.push(message);
      },
      sendAll: async (messages: JobMessage[]) => void sent.push(...messages),
      hideFor: async (receipts: string[], seconds: number) => {
        hidden.push({ receipts, seconds });
        return { failed: [] };
      },
    },
  } satisfies Omit<Deps, 'blobs' | 'events'>;
  return {
    deps,
    store,
    sent,
    hidden,
    advance: (ms: number) => {
      now += ms;
    },
    queueDown: (down: boolean) => {
      failSends = down;
    },
  };
}
