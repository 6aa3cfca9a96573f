import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { createDeps } from '../lib/deps.js';
import { logger } from '../lib/logger.js';
import { requestBackup } from '../lib/policies/backup-requests.js';

const deps = createDeps();

/** EventBridge rule target: a `Graph Backup Requested` event on the service's bus. */
export const handler = middy<EventBridgeEvent<'Graph Backup Requested', unknown>>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => requestBackup(deps, event));
