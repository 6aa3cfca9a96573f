import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { GesError } from '../../core/errors.js';
import type { BlobStore } from '../../core/ports.js';
import { edgeSchema, type GraphElement, vertexSchema } from '../graphs/model.js';
import { checksummer } from './checksum.js';
import { ContentDigest, canonicalLine, type PartInfo } from './format.js';

const BATCH = 500;

/**
 * A record by its shape: `vertex` names a vertex, anything else must be an edge (each schema is strict,
 * so a record with both shapes' keys is refused). Cheaper than `z.union`, which tries both in turn,
 * on the path every restored element takes.
 */
const parseRecord = (value: unknown): GraphElement =>
  (typeof value === 'object' && value !== null && 'vertex' in value ? vertexSchema : edgeSchema).parse(value);

/** The part is not what its manifest says: the backup cannot be used (GES.7040). */
export const corruptPart = (part: PartInfo, why: string) =>
  new GesError('GES.7040', `The backup is damaged: part file ${part.key} ${why}.`);

/**
 * Reads one part file and proves it is what the manifest says: S3 → SHA-256 and byte count → gunzip →
 * lines → validated records, handed to `sink` a batch at a time (memory holds one batch, and what the
 * sink keeps). The checksum, the counts and the content digest are checked when the stream ends: a
 * caller that writes what it is handed must be ready to undo it when this throws. Returns the counts
 * and the content digest (a `ContentDigest`'s hex, to merge with other parts').
 */
export async function readPart(
  blobs: BlobStore,
  folder: string,
  part: PartInfo,
  sink: (records: GraphElement[]) => Promise<void>,
): Promise<{ vertices: number; edges: number; digest: string }> {
  const body = await blobs.stream(folder + part.key);
  if (!body) throw corruptPart(part, 'is missing');

  const meter = checksummer();
  const counts = { vertices: 0, edges: 0 };
  const digest = new ContentDigest();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '';
  let batch: GraphElement[] = [];
  const take = (line: string) => {
    if (!line) return;
    let record: GraphElement;
    try {
      record = parseRecord(JSON.parse(line));
    } catch {
      throw corruptPart(part, 'holds a record that is not valid');
    }
    if ('vertex' in record) counts.vertices++;
    else counts.edges++;
    digest.add(canonicalLine(record));
    batch.push(record);
  };
  const flush = async () => {
    if (batch.length) await sink(batch);
    batch = [];
  };

  // What the last stage threw: once the body has come in more than one chunk, pipeline rejects with
  // an AbortError of its own instead (Node 20), which would read as the transfer's, to be retried.
  let failed: unknown;
  try {
    await pipeline(body, meter.stream, createGunzip(), async (source: AsyncIterable<Buffer>) => {
      try {
        for await (const chunk of source) {
          const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
          rest = lines.pop() ?? '';
          for (const line of lines) take(line);
          if (batch.length >= BATCH) await flush();
        }
        take(rest + decoder.decode());
        await flush();
      } catch (e) {
        failed = e;
        throw e;
      }
    });
  } catch (caught) {
    const e = failed ?? caught;
    if (e instanceof GesError) throw e;
    // zlib (Z_DATA_ERROR, ...) and the strict UTF-8 decoder throw on damaged bytes; any other error
    // is the transfer's, and may be retried.
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('Z_') || code === 'ERR_ENCODING_INVALID_ENCODED_DATA')
      throw corruptPart(part, 'cannot be read');
    throw e;
  }
  const { bytes, sha256 } = meter.result();
  if (bytes !== part.bytes || sha256 !== part.sha256) {
    throw corruptPart(part, 'does not match its checksum');
  }
  if (
    counts.vertices !== part.vertices ||
    counts.edges !== part.edges ||
    digest.hex() !== part.contentDigest
  ) {
    throw corruptPart(part, 'does not hold the records its manifest lists');
  }
  return { ...counts, digest: digest.hex() };
}
