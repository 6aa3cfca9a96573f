import { deleteBackup, listBackups, quotas } from '../lib/backups/catalog.js';
import { startBackup } from '../lib/backups/start-backup.js';
import { createDeps } from '../lib/deps.js';
import { bothTrees, httpApi } from '../lib/http/api.js';
import { backupPath, graphPath, pageQuery, projectPath } from '../lib/http/params.js';
import { pathParams, queryParams } from '../lib/http/request.js';

const deps = createDeps();

export const handler = httpApi({
  ...bothTrees('POST', '/{projectId}/graphs/{graphId}/backups', async (event) =>
    startBackup(deps, { ...pathParams(event, graphPath), requestId: event.requestContext.requestId }),
  ),
  ...bothTrees('GET', '/{projectId}/graphs/backups', async (event) =>
    listBackups(deps, { ...pathParams(event, projectPath), ...queryParams(event, pageQuery) }),
  ),
  ...bothTrees('GET', '/{projectId}/graphs/{graphId}/backups', async (event) =>
    listBackups(deps, { ...pathParams(event, graphPath), ...queryParams(event, pageQuery) }),
  ),
  ...bothTrees('DELETE', '/{projectId}/graphs/{graphId}/backups/{backupId}', async (event) =>
    deleteBackup(deps, pathParams(event, backupPath)),
  ),
  ...bothTrees('GET', '/{projectId}/graphs/quotas', async (event) =>
    quotas(deps, pathParams(event, projectPath).projectId),
  ),
});
