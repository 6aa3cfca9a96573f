import { mapLimit } from '../../core/concurrency.js';
import type { Config } from '../../core/config.js';
import { GesError } from '../../core/errors.js';
import type { BlobStore } from '../../core/ports.js';
import type { Manifest } from './format.js';

const COPY_CONCURRENCY = 8;

/** A folder of a bucket: where a backup's files are, or go. */
export type BucketFolder = { bucket: string; folder: string };

/**
 * `<bucket>/<projectId>/<prefix>` of the v2 export and import bodies: the folder that holds a
 * backup's files. Only buckets that match `TRANSFER_BUCKETS` (the same pattern the worker's IAM role
 * allows), never the service's own backup bucket, and only below the caller's project id: a caller
 * cannot read another project's backups through an import, nor overwrite them through an export.
 */
export function parseBucketPath(
  path: string,
  rules: { projectId: string; allowed: string; backupBucket: string },
): { bucket: string; folder: string } {
  const [bucket = '', ...rest] = path.split('/');
  const segments = rest.filter(Boolean);
  const pattern = new RegExp(`^${rules.allowed.split('*').map(escapeRegExp).join('[a-z0-9.-]*')}$`);
  if (
    !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) ||
    bucket === rules.backupBucket ||
    !pattern.test(bucket)
  ) {
    throw new GesError(
      'GES.0001',
      `Incorrect parameter. The path must start with a bucket matching ${rules.allowed}.`,
    );
  }
  if (segments[0] !== rules.projectId || !segments.every(safeSegment)) {
    throw new GesError(
      'GES.0001',
      `Incorrect parameter. The path must continue with the project id, ${rules.projectId}, then folder names (no dot segments, control characters or backslashes).`,
    );
  }
  return { bucket, folder: `${segments.join('/')}/` };
}

/**
 * A folder name of a transfer path: any text S3 keeps as it is (GES's SDK sends names such as
 * `ä ö`), but no control character or backslash, at most 255 bytes, and never only dots.
 */
const safeSegment = (s: string) =>
  !/^\.+$/.test(s) &&
  !s.includes('\\') &&
  ![...s].some((c) => (c.codePointAt(0) ?? 0) < 0x20 || c === '\u007f') &&
  Buffer.byteLength(s) <= 255;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const bucketRules = (config: Pick<Config, 'transferBuckets' | 'backupBucket'>, projectId: string) => ({
  projectId,
  allowed: config.transferBuckets,
  backupBucket: config.backupBucket,
});

/** Copies the files a manifest lists, then the manifest itself: at the destination, too, it comes last. */
export async function copyBackup(blobs: BlobStore, manifest: Manifest, from: BucketFolder, to: BucketFolder) {
  const target = blobs.onBucket(to.bucket);
  await mapLimit(manifest.files, COPY_CONCURRENCY, (part) =>
    target.copyFrom({ bucket: from.bucket, key: from.folder + part.key }, to.folder + part.key),
  );
}
