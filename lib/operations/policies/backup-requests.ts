import { z } from 'zod';
import { GesError } from '../../core/errors.js';
import { projectIdSchema, uuidSchema } from '../../core/ids.js';
import type { JobDeps } from '../../runtime/deps.js';
import { startBackup } from '../backup/start-backup.js';

export const BACKUP_REQUESTED = 'Graph Backup Requested';
const detailSchema = z.object({ projectId: projectIdSchema, graphId: uuidSchema });

/**
 * An EventBridge `Graph Backup Requested` event becomes an automatic backup, through the same use
 * case as the HTTP API, when its source may ask for its project (`BACKUP_REQUEST_SOURCES`). A request the service refuses (unknown or busy graph, quota) is logged and
 * dropped: retrying it would not change the answer. A malformed one throws, so that EventBridge's
 * retries and the target's dead-letter queue keep it for a person to see.
 */
export async function requestBackup(deps: JobDeps, event: { id?: string; source?: string; detail: unknown }) {
  const detail = detailSchema.parse(event.detail);
  // The source is checked like a token's project: only configured sources, each for its projects.
  const allowed = deps.config.backupRequestSources.get(event.source ?? '');
  if (!allowed || (allowed !== '*' && !allowed.has(detail.projectId))) {
    deps.log.warn('backup request from a source not allowed for the project', {
      ...detail,
      source: event.source,
    });
    return { refused: 'GES.7041' };
  }
  try {
    const started = await startBackup(deps, {
      ...detail,
      method: 'auto',
      // An event delivered twice starts one backup.
      ...(event.id && { clientToken: `event-${event.id}`.slice(0, 64) }),
    });
    deps.log.info('backup requested by an event', { ...detail, ...started });
    return { ...started };
  } catch (e) {
    if (!(e instanceof GesError)) throw e;
    deps.log.warn('backup request refused', { ...detail, errorCode: e.code, reason: e.message });
    return { refused: e.code };
  }
}
