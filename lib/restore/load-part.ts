import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import type { BlobStore } from '../backups/blob-store.js';
import type { PartInfo } from '../backups/format.js';
import { GesError } from '../errors.js';
import { type DataItem, toItem } from '../graphs/data-keys.js';
import type { GraphDataRepo } from '../graphs/data-repo.js';
import { edgeSchema, vertexSchema } from '../graphs/model.js';

const recordSchema = z.union([vertexSchema, edgeSchema]);
const LOAD_BATCH = 500;

export type LoadTarget = { graphId: string; generation: number; shards: number };

const corrupt = (part: PartInfo, why: string) =>
  new GesError('GES.7040', `Failed to restore the graph: part file ${part.key} ${why}.`);

/**
 * Streams one part file into a generation that no reader sees yet: S3 → SHA-256 and byte count →
 * gunzip → lines → validated records → batched writes. Memory holds one batch. The checksum is
 * checked when the stream ends; a mismatch fails the restore, and the caller drops the generation.
 */
export async function loadPart(
  blobs: BlobStore,
  data: GraphDataRepo,
  folder: string,
  part: PartInfo,
  target: LoadTarget,
): Promise<{ vertices: number; edges: number }> {
  const body = await blobs.stream(folder + part.key);
  if (!body) throw corrupt(part, 'is missing');

  const sha256 = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sha256.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const counts = { vertices: 0, edges: 0 };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '';
  let batch: DataItem[] = [];
  const take = (line: string) => {
    if (!line) return;
    let record: z.infer<typeof recordSchema>;
    try {
      record = recordSchema.parse(JSON.parse(line));
    } catch {
      throw corrupt(part, 'holds a record that is not valid');
    }
    if ('vertex' in record) counts.vertices++;
    else counts.edges++;
    batch.push(toItem(target.graphId, target.generation, target.shards, record));
  };
  const flush = async () => {
    if (batch.length) await data.load(batch);
    batch = [];
  };

  try {
    await pipeline(body, meter, createGunzip(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) take(line);
        if (batch.length >= LOAD_BATCH) await flush();
      }
      take(rest + decoder.decode());
      await flush();
    });
  } catch (e) {
    if (e instanceof GesError) throw e;
    // zlib (Z_DATA_ERROR, ...) and the strict UTF-8 decoder throw on damaged bytes; any other error
    // is the transfer's, and may be retried.
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('Z_') || code === 'ERR_ENCODING_INVALID_ENCODED_DATA')
      throw corrupt(part, 'cannot be read');
    throw e;
  }
  if (bytes !== part.bytes || sha256.digest('hex') !== part.sha256)
    throw corrupt(part, 'does not match its checksum');
  if (counts.vertices !== part.vertices || counts.edges !== part.edges)
    throw corrupt(part, 'does not hold the records its manifest counts');
  return counts;
}
