import { apiAuthenticator } from '../lib/composition/access-keys.js';
import { blobDeps } from '../lib/composition/blobs.js';
import { queueDeps } from '../lib/composition/queue.js';
import { recordDeps } from '../lib/composition/records.js';
import { parseConfig } from '../lib/core/config.js';
import { bothTrees, httpApi } from '../lib/http/api.js';
import {
  backupFilesQuery,
  backupPath,
  exportBody,
  graphPath,
  importBody,
  pageQuery,
  projectPath,
} from '../lib/http/params.js';
import { header, jsonBody, pathParams, queryParams } from '../lib/http/request.js';
import type {
  BackupFilesView,
  EmptyAnswer,
  JobAndBackupAnswer,
  JobIdAnswer,
} from '../lib/http/response-schemas.js';
import { backupListView, quotasView } from '../lib/http/views.js';
import { startBackup } from '../lib/operations/backup/start-backup.js';
import { backupFiles } from '../lib/operations/catalog/backup-files.js';
import { deleteBackup, listBackups, quotas } from '../lib/operations/catalog/catalog.js';
import { exportBackup } from '../lib/operations/export/export-backup.js';
import { importBackup } from '../lib/operations/import/import-backup.js';
import { clientTokenSchema } from '../lib/records/jobs/client-tokens.js';
import routes from './routes.json' with { type: 'json' };

const config = parseConfig();
const deps = { ...recordDeps(config), ...queueDeps(config), ...blobDeps(config) };

export const handler = httpApi(
  routes.backups,
  {
    ...bothTrees(
      'POST',
      '/{projectId}/graphs/{graphId}/backups',
      async (event) =>
        (await startBackup(deps, {
          ...pathParams(event, graphPath),
          requestId: event.requestContext.requestId,
          clientToken: header(event, 'x-client-token', clientTokenSchema),
        })) satisfies JobAndBackupAnswer,
    ),
    ...bothTrees('GET', '/{projectId}/graphs/backups', async (event) =>
      backupListView(
        await listBackups(deps, { ...pathParams(event, projectPath), ...queryParams(event, pageQuery) }),
      ),
    ),
    ...bothTrees('GET', '/{projectId}/graphs/{graphId}/backups', async (event) =>
      backupListView(
        await listBackups(deps, { ...pathParams(event, graphPath), ...queryParams(event, pageQuery) }),
      ),
    ),
    ...bothTrees(
      'DELETE',
      '/{projectId}/graphs/{graphId}/backups/{backupId}',
      async (event) => (await deleteBackup(deps, pathParams(event, backupPath))) satisfies EmptyAnswer,
    ),
    ...bothTrees('GET', '/{projectId}/graphs/quotas', async (event) =>
      quotasView(await quotas(deps, pathParams(event, projectPath).projectId)),
    ),
    'POST /v2/{projectId}/graphs/{graphId}/backups/export': async (event) => {
      const body = jsonBody(event, exportBody);
      return (await exportBackup(deps, {
        ...pathParams(event, graphPath),
        backupId: body.backup_id,
        exportPath: body.export_path,
        requestId: event.requestContext.requestId,
      })) satisfies JobIdAnswer;
    },
    'POST /v2/{projectId}/graphs/{graphId}/backups/import': async (event) =>
      (await importBackup(deps, {
        ...pathParams(event, graphPath),
        importPath: jsonBody(event, importBody).import_path,
        requestId: event.requestContext.requestId,
      })) satisfies JobAndBackupAnswer,
    'GET /v2/{projectId}/graphs/{graphId}/backup-files': async (event) =>
      (await backupFiles(deps, {
        ...pathParams(event, graphPath),
        backupId: queryParams(event, backupFilesQuery).backup_id,
      })) satisfies BackupFilesView,
  },
  apiAuthenticator(deps),
);
