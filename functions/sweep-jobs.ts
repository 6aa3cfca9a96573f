import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createDeps } from '../lib/deps.js';
import { sweepOverdueJobs } from '../lib/jobs/sweep.js';
import { logger } from '../lib/logger.js';
import { jobTasks } from '../lib/worker.js';

const deps = createDeps();

/** Scheduled: fails the jobs past their deadline and frees what they held. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => sweepOverdueJobs(deps, jobTasks));
