import { S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../adapters/s3-blob-store.js';
import type { Config } from '../core/config.js';
import type { BlobStore } from '../core/ports.js';
import { withRecorder } from './recorder.js';

/** The backup bucket on S3, for the Lambdas that read or write backup files. */
export const blobDeps = (config: Config): { blobs: BlobStore } => ({
  blobs: new S3BlobStore(
    withRecorder(new S3Client({ forcePathStyle: config.s3ForcePathStyle }), config),
    config.backupBucket,
  ),
});
