import { apiAuthenticator, sealerDeps } from '../lib/composition/access-keys.js';
import { recordDeps } from '../lib/composition/records.js';
import { parseConfig } from '../lib/core/config.js';
import { bothTrees, httpApi } from '../lib/http/api.js';
import { accessKeyPath, createAccessKeyBody, projectPath } from '../lib/http/params.js';
import { jsonBody, pathParams } from '../lib/http/request.js';
import { accessKeyView } from '../lib/http/views.js';
import {
  createAccessKey,
  deleteAccessKey,
  disableAccessKey,
  listAccessKeys,
} from '../lib/operations/access-keys/access-keys.js';
import routes from './routes.json' with { type: 'json' };

/** Access keys of a project (ours): an admin's routes only. The secret key is in one answer, once. */
const deps = { ...recordDeps(parseConfig()), ...sealerDeps() };

export const handler = httpApi(
  routes.accessKeys,
  {
    ...bothTrees('POST', '/{projectId}/access-keys', async (event) => {
      const { projectId } = pathParams(event, projectPath);
      const { key, secretKey } = await createAccessKey(deps, {
        projectId,
        ...jsonBody(event, createAccessKeyBody),
      });
      return { credential: { ...accessKeyView(key), secret: secretKey } };
    }),
    ...bothTrees('GET', '/{projectId}/access-keys', async (event) => ({
      credentials: (await listAccessKeys(deps, pathParams(event, projectPath))).map(accessKeyView),
    })),
    ...bothTrees('POST', '/{projectId}/access-keys/{accessKeyId}/disable', async (event) => ({
      credential: accessKeyView(await disableAccessKey(deps, pathParams(event, accessKeyPath))),
    })),
    ...bothTrees('DELETE', '/{projectId}/access-keys/{accessKeyId}', async (event) => {
      await deleteAccessKey(deps, pathParams(event, accessKeyPath));
      return {};
    }),
  },
  apiAuthenticator(deps, deps.sealer),
  { requires: 'admin' },
);
