import { backupWorker } from '../lib/backups/worker.js';
import { createDeps } from '../lib/deps.js';

export const handler = backupWorker(createDeps());
