import { GesError } from '../../core/errors.js';
import type { BlobStore } from '../../core/ports.js';
import { utcTime } from '../../core/time.js';
import { MANIFEST_FILE } from '../../records/backups/format.js';
import { readManifest } from '../../records/backups/manifest.js';
import { backupPrefix } from '../../records/backups/model.js';
import { existing } from '../../records/graphs/model.js';
import type { RecordDeps } from '../../runtime/deps.js';

const LINK_SECONDS = 3600;

/** Presigned GET links to a backup's files, manifest included (v2 `backup-files`). */
export async function backupFiles(
  deps: RecordDeps & { blobs: BlobStore },
  input: { projectId: string; graphId: string; backupId: string },
) {
  existing(await deps.graphs.get(input.projectId, input.graphId));
  const backup = await deps.backups.get(input.projectId, input.backupId);
  if (!backup || backup.graphId !== input.graphId || backup.deleting) throw new GesError('GES.7049');
  if (backup.status !== 'success') throw new GesError('GES.7040');
  const folder = backupPrefix(backup);
  const manifest = await readManifest(deps.blobs, folder);
  const manifestBytes = (await deps.blobs.list(folder + MANIFEST_FILE))[0]?.size ?? 0;
  const expires = utcTime(deps.clock.now() + LINK_SECONDS * 1000);
  const entries = [
    ...manifest.files.map((f) => ({ name: f.key, bytes: f.bytes })),
    { name: MANIFEST_FILE, bytes: manifestBytes },
  ];
  return {
    bucket: deps.config.backupBucket,
    files: await Promise.all(
      entries.map(async (f) => ({
        name: f.name,
        size: Math.ceil(f.bytes / 1024),
        downloadLink: await deps.blobs.presign(folder + f.name, LINK_SECONDS),
        linkExpiredTime: expires,
      })),
    ),
  };
}
