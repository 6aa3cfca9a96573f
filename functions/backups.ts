import { z } from 'zod';
import { createAuthenticator } from '../lib/auth/authenticate.js';
import { deleteBackup, listBackups, quotas } from '../lib/backups/catalog.js';
import { startBackup } from '../lib/backups/start-backup.js';
import { backupFiles, exportBackup, importBackup } from '../lib/backups/transfer.js';
import { createDeps } from '../lib/deps.js';
import { bothTrees, httpApi } from '../lib/http/api.js';
import { backupPath, graphPath, pageQuery, projectPath } from '../lib/http/params.js';
import { header, jsonBody, pathParams, queryParams } from '../lib/http/request.js';
import { uuidSchema } from '../lib/ids.js';
import { clientTokenSchema } from '../lib/jobs/client-tokens.js';

const deps = createDeps();
const authenticate = createAuthenticator();
const exportBody = z.object({ backup_id: uuidSchema, export_path: z.string().min(3).max(1024) });
const importBody = z.object({ import_path: z.string().min(3).max(1024) });
const backupFilesQuery = z.object({ backup_id: uuidSchema });

export const handler = httpApi(
  {
    ...bothTrees('POST', '/{projectId}/graphs/{graphId}/backups', async (event) =>
      startBackup(deps, {
        ...pathParams(event, graphPath),
        requestId: event.requestContext.requestId,
        clientToken: header(event, 'x-client-token', clientTokenSchema),
      }),
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
    'POST /v2/{projectId}/graphs/{graphId}/backups/export': async (event) => {
      const body = jsonBody(event, exportBody);
      return exportBackup(deps, {
        ...pathParams(event, graphPath),
        backupId: body.backup_id,
        exportPath: body.export_path,
        requestId: event.requestContext.requestId,
      });
    },
    'POST /v2/{projectId}/graphs/{graphId}/backups/import': async (event) =>
      importBackup(deps, {
        ...pathParams(event, graphPath),
        importPath: jsonBody(event, importBody).import_path,
        requestId: event.requestContext.requestId,
      }),
    'GET /v2/{projectId}/graphs/{graphId}/backup-files': async (event) =>
      backupFiles(deps, {
        ...pathParams(event, graphPath),
        backupId: queryParams(event, backupFilesQuery).backup_id,
      }),
  },
  authenticate,
);
