import { createDeps } from '../lib/deps.js';
import { jobWorker } from '../lib/worker.js';

export const handler = jobWorker(createDeps());
