import { jobTasks } from '../lib/composition/tasks.js';
import { workerDeps } from '../lib/composition/worker.js';
import { jobWorker } from '../lib/runtime/worker.js';

export const handler = jobWorker(workerDeps(), jobTasks);
