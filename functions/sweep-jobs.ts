import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { jobTasks } from '../lib/composition/tasks.js';
import { workerDeps } from '../lib/composition/worker.js';
import { logger } from '../lib/core/logger.js';
import { sweepOverdueJobs } from '../lib/runtime/sweep.js';

const deps = workerDeps();

/** Scheduled: fails the jobs past their deadline and frees what they held. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => sweepOverdueJobs(deps, jobTasks));
