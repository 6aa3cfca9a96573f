import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { jobTasks } from '../lib/composition/tasks.js';
import { workerDeps } from '../lib/composition/worker.js';
import { logger } from '../lib/core/logger.js';
import { collectGarbage } from '../lib/operations/graphs/garbage.js';
import { sweepOverdueJobs } from '../lib/runtime/sweep.js';

const deps = workerDeps();

/** The garbage collector stops this long before the function's timeout. */
const MARGIN_MS = 15_000;

/**
 * Scheduled: fails the jobs past their deadline and frees what they held; then, in what is left of
 * its time, drops generations that failed jobs discarded.
 */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (_event: unknown, context: Context) => {
    const swept = await sweepOverdueJobs(deps, jobTasks);
    const garbage = await collectGarbage(deps, () => context.getRemainingTimeInMillis() < MARGIN_MS);
    return { ...swept, garbage };
  });
