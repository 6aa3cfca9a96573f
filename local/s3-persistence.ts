import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildAppOptions } from 'fauxqs';

/**
 * fauxqs keeps S3 in memory only ("no persistence across restarts" is in its README). This store is
 * fauxqs's own S3Store with every change written through to a folder, and the folder loaded back
 * when it starts: `<dir>/<bucket>/<encoded key>.body` and `.meta.json` (content type, metadata,
 * ETag, last modified). Written as each request is served, so that even a killed stack keeps what
 * it had acknowledged. Multipart uploads in progress are not kept (S3 would abort them too).
 */

type S3Store = NonNullable<BuildAppOptions['stores']>['s3Store'];
type S3Object = ReturnType<S3Store['getObject']>;
type Meta = {
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  etag: string;
  lastModified: string;
};

const BODY = '.body';
const META = '.meta.json';

/** fauxqs does not export its S3Store: load it by path, as emulators.ts does its SqsStore (pinned version). */
async function loadS3Store(): Promise<new () => S3Store> {
  const url = new URL('../node_modules/fauxqs/dist/s3/s3Store.js', import.meta.url);
  return ((await import(url.href)) as { S3Store: new () => S3Store }).S3Store;
}

export async function persistentS3Store(dir: string): Promise<S3Store> {
  const Base = await loadS3Store();

  class PersistentS3Store extends Base {
    #loading = false;

    override createBucket(name: string): void {
      super.createBucket(name);
      if (!this.#loading) mkdirSync(bucketDir(name), { recursive: true });
    }

    override deleteBucket(name: string): void {
      super.deleteBucket(name);
      rmSync(bucketDir(name), { recursive: true, force: true });
    }

    override putObject(
      bucket: string,
      key: string,
      body: Buffer,
      contentType?: string,
      metadata?: Record<string, string>,
    ): S3Object {
      return save(bucket, super.putObject(bucket, key, body, contentType, metadata));
    }

    override completeMultipartUpload(
      uploadId: string,
      parts: { partNumber: number; etag: string }[],
    ): S3Object {
      // The bucket of the upload is only known before it completes.
      const upload = (
        this as unknown as { multipartUploads: Map<string, { bucket: string }> }
      ).multipartUploads.get(uploadId);
      const object = super.completeMultipartUpload(uploadId, parts);
      return upload ? save(upload.bucket, object) : object;
    }

    override deleteObject(bucket: string, key: string): void {
      super.deleteObject(bucket, key);
      for (const suffix of [BODY, META]) rmSync(objectPath(bucket, key) + suffix, { force: true });
    }

    override emptyBucket(name: string): void {
      super.emptyBucket(name);
      if (this.hasBucket(name)) {
        rmSync(bucketDir(name), { recursive: true, force: true });
        mkdirSync(bucketDir(name), { recursive: true });
      }
    }

    override clearObjects(): void {
      super.clearObjects();
      for (const { name } of this.listBuckets()) this.emptyBucket(name);
    }

    override purgeAll(): void {
      super.purgeAll();
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    }

    /** Every bucket and object of the folder, with the ETag and date they had. */
    load(): void {
      this.#loading = true;
      try {
        for (const bucket of readdirSync(dir)) {
          super.createBucket(decodeURIComponent(bucket));
          const objects = (this as unknown as { buckets: Map<string, Map<string, S3Object>> }).buckets.get(
            decodeURIComponent(bucket),
          );
          for (const file of readdirSync(join(dir, bucket)).filter((f) => f.endsWith(META))) {
            const base = join(dir, bucket, file.slice(0, -META.length));
            if (!existsSync(base + BODY)) continue;
            const meta = JSON.parse(readFileSync(base + META, 'utf8')) as Meta;
            const body = readFileSync(base + BODY);
            objects?.set(meta.key, {
              key: meta.key,
              body,
              contentType: meta.contentType,
              contentLength: body.length,
              etag: meta.etag,
              lastModified: new Date(meta.lastModified),
              metadata: meta.metadata,
            });
          }
        }
      } finally {
        this.#loading = false;
      }
    }
  }

  const bucketDir = (bucket: string) => join(dir, encodeURIComponent(bucket));
  const objectPath = (bucket: string, key: string) => join(bucketDir(bucket), encodeURIComponent(key));

  /** Body first, then its meta (the record that it exists), each by rename: never half a file. */
  function save(bucket: string, object: S3Object): S3Object {
    const path = objectPath(bucket, object.key);
    mkdirSync(bucketDir(bucket), { recursive: true });
    const meta: Meta = {
      key: object.key,
      contentType: object.contentType,
      metadata: object.metadata,
      etag: object.etag,
      lastModified: object.lastModified.toISOString(),
    };
    writeFileSync(`${path}${BODY}.tmp`, object.body);
    renameSync(`${path}${BODY}.tmp`, path + BODY);
    writeFileSync(`${path}${META}.tmp`, JSON.stringify(meta));
    renameSync(`${path}${META}.tmp`, path + META);
    return object;
  }

  mkdirSync(dir, { recursive: true });
  const store = new PersistentS3Store();
  store.load();
  return store;
}
