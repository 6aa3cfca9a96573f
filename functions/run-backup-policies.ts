import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { queueDeps } from '../lib/composition/queue.js';
import { recordDeps } from '../lib/composition/records.js';
import { parseConfig } from '../lib/core/config.js';
import { logger } from '../lib/core/logger.js';
import { runDuePolicies } from '../lib/operations/policies/policies.js';

const config = parseConfig();
const deps = { ...recordDeps(config), ...queueDeps(config) };

/** Scheduled: starts the automatic backups whose policy is due. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => ({ runs: await runDuePolicies(deps) }));
