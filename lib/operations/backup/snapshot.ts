import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { BlobStore } from '../../core/ports.js';
import { checksummer } from '../../records/backups/checksum.js';
import { ContentDigest, type PartInfo, recordLine } from '../../records/backups/format.js';
import type { GraphDataRepo, ResumeKey } from '../../records/graphs/data-repo.js';

/** One segment of a shard: the `maxItems` items after `startKey` (from the start when absent). */
export type Segment = {
  graphId: string;
  generation: number;
  shard: number;
  segment: number;
  startKey?: ResumeKey | undefined;
  maxItems: number;
  /** Items per DynamoDB page; DynamoDB's 1 MB pages when absent. */
  pageSize?: number | undefined;
};

/**
 * Streams one segment of a shard into one part file: DynamoDB pages become JSON lines, then gzip,
 * then a multipart upload, with the SHA-256 and the byte count taken on the way. The next page is read
 * while one becomes lines; memory holds those two pages and a page's lines, never a shard. A segment's bounds depend only on where it starts and its size, so a retried or
 * duplicated segment writes the same file, and `resumeKey` (absent at the shard's end) is where the
 * next one starts. The part's `key` is relative to the backup's folder, so a backup can be copied
 * anywhere whole.
 */
export async function snapshotSegment(
  data: GraphDataRepo,
  blobs: BlobStore,
  segment: Segment,
  folder: string,
  file: string,
): Promise<{ part: PartInfo; resumeKey: ResumeKey | undefined }> {
  const digest = new ContentDigest();
  const counts = { vertices: 0, edges: 0 };
  let resumeKey = segment.startKey;
  const readPage = (startKey: ResumeKey | undefined, read: number) => {
    const limit = Math.min(segment.pageSize ?? segment.maxItems, segment.maxItems - read);
    const page = data.readElements(segment.graphId, segment.generation, segment.shard, startKey, limit);
    // A page read ahead for a pipeline that has stopped is never awaited: its failure is not news.
    page.catch(() => undefined);
    return page;
  };
  async function* lines() {
    let read = 0;
    let next = readPage(resumeKey, read);
    for (;;) {
      const page = await next;
      read += page.items.length;
      resumeKey = page.resumeKey;
      const more = resumeKey !== undefined && read < segment.maxItems;
      // Read ahead: the next page is on its way while this one becomes lines (one page, no more).
      if (more) next = readPage(resumeKey, read);
      const chunk: string[] = [];
      for (const item of page.items) {
        const line = recordLine(item);
        digest.add(line);
        if (item.k === 'V') counts.vertices++;
        else counts.edges++;
        chunk.push(line, '\n');
      }
      if (chunk.length) yield Buffer.from(chunk.join(''));
      if (!more) return;
    }
  }

  const meter = checksummer();
  const body = new PassThrough();
  const uploading = blobs.upload(folder + file, body, 'application/gzip').catch((e: unknown) => {
    body.destroy(e as Error); // stops the pipeline feeding an upload that has given up
    throw e;
  });
  await Promise.all([
    pipeline(Readable.from(lines(), { highWaterMark: 1 }), createGzip(), meter.stream, body),
    uploading,
  ]);

  const part: PartInfo = {
    key: file,
    shard: segment.shard,
    segment: segment.segment,
    records: counts.vertices + counts.edges,
    vertices: counts.vertices,
    edges: counts.edges,
    ...meter.result(),
    contentDigest: digest.hex(),
  };
  return { part, resumeKey };
}
