import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createDeps } from '../lib/deps.js';
import { logger } from '../lib/logger.js';
import { runDuePolicies } from '../lib/policies/policies.js';

const deps = createDeps();

/** Scheduled: starts the automatic backups whose policy is due. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => ({ runs: await runDuePolicies(deps) }));
