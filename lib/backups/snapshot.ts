import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { GraphDataRepo } from '../graphs/data-repo.js';
import type { BlobStore } from './blob-store.js';
import { ContentDigest, type PartInfo, recordLine } from './format.js';

export type ShardSource = { graphId: string; generation: number; shard: number };

/**
 * Streams one shard into one part file: DynamoDB pages become JSON lines, then gzip, then a multipart
 * upload, with the SHA-256 and the byte count taken on the way. Memory holds a page, never a shard.
 * The part's `key` is relative to the backup's folder, so a backup can be copied anywhere whole.
 */
export async function snapshotShard(
  data: GraphDataRepo,
  blobs: BlobStore,
  source: ShardSource,
  folder: string,
  file: string,
): Promise<PartInfo> {
  const digest = new ContentDigest();
  const counts = { vertices: 0, edges: 0 };
  async function* lines() {
    for await (const page of data.readShard(source.graphId, source.generation, source.shard)) {
      let chunk = '';
      for (const item of page) {
        const line = recordLine(item);
        digest.add(line);
        if (item.k === 'V') counts.vertices++;
        else counts.edges++;
        chunk += `${line}\n`;
      }
      if (chunk) yield chunk;
    }
  }

  const sha256 = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sha256.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const body = new PassThrough();
  const uploading = blobs.upload(folder + file, body, 'application/gzip').catch((e: unknown) => {
    body.destroy(e as Error); // stops the pipeline feeding an upload that has given up
    throw e;
  });
  await Promise.all([pipeline(Readable.from(lines()), createGzip(), meter, body), uploading]);

  return {
    key: file,
    shard: source.shard,
    records: counts.vertices + counts.edges,
    vertices: counts.vertices,
    edges: counts.edges,
    bytes,
    sha256: sha256.digest('hex'),
    contentDigest: digest.hex(),
  };
}
