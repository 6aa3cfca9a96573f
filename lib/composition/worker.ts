import { type Config, parseConfig } from '../core/config.js';
import type { Deps } from '../runtime/deps.js';
import { blobDeps } from './blobs.js';
import { eventDeps } from './events.js';
import { queueDeps } from './queue.js';
import { recordDeps } from './records.js';

/** Everything: what the worker and the sweeper build (they run every kind of job). */
export function workerDeps(config: Config = parseConfig()): Deps {
  return { ...recordDeps(config), ...queueDeps(config), ...blobDeps(config), ...eventDeps(config) };
}
