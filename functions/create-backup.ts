import { startBackup } from '../lib/backups/start-backup.js';
import { createDeps } from '../lib/deps.js';
import { httpApi } from '../lib/http/api.js';
import { graphPath } from '../lib/http/params.js';
import { pathParams } from '../lib/http/request.js';

const deps = createDeps();

export const handler = httpApi({
  'POST /v1.0/{projectId}/graphs/{graphId}/backups': async (event) =>
    startBackup(deps, { ...pathParams(event, graphPath), requestId: event.requestContext.requestId }),
});
