import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { jobTasks } from '../lib/composition/tasks.js';
import { workerDeps } from '../lib/composition/worker.js';
import { logger } from '../lib/core/logger.js';
import { COLLECTOR_MARGIN_MS, collectGarbage } from '../lib/operations/graphs/garbage.js';
import { sweepOverdueJobs } from '../lib/runtime/sweep.js';

const deps = workerDeps();

/**
 * Scheduled: fails the jobs past their deadline and frees what they held; then, in what is left of
 * its time, drops generations that failed jobs discarded.
 */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (_event: unknown, context: Context) => {
    const swept = await sweepOverdueJobs(deps, jobTasks);
    const garbage = await collectGarbage(
      deps,
      () => context.getRemainingTimeInMillis() < COLLECTOR_MARGIN_MS,
    );
    return { ...swept, garbage };
  });
