import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { queueDeps } from '../lib/composition/queue.js';
import { recordDeps } from '../lib/composition/records.js';
import { parseConfig } from '../lib/core/config.js';
import { logger } from '../lib/core/logger.js';
import { requestBackup } from '../lib/operations/policies/backup-requests.js';

const config = parseConfig();
const deps = { ...recordDeps(config), ...queueDeps(config) };

/** EventBridge rule target: a `Graph Backup Requested` event on the service's bus. */
export const handler = middy<EventBridgeEvent<'Graph Backup Requested', unknown>>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => requestBackup(deps, event));
