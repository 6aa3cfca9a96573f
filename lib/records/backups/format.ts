import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type DataItem, fromItem } from '../graphs/data-keys.js';
import { type GraphElement, isVertex } from '../graphs/model.js';

/**
 * The backup format, version 1.0 (documented in the README):
 * - part files `part-{shard:5}-{segment:3}-{run}.jsonl.gz`: gzip, one JSON record a line, in the data-plane API's
 *   shapes `{"vertex","label","properties"}` and `{"source","target","label","properties"}`, with
 *   property names sorted so that a record has exactly one spelling;
 * - `manifest.json`, written last: the commit marker. A backup without a valid manifest does not exist.
 */
export const FORMAT_VERSION = '1.0';
export const MANIFEST_FILE = 'manifest.json';

/** A shard may span several segments when a task ran out of time and went on in another. */
export const partFileName = (shard: number, segment: number, runId: string) =>
  `part-${String(shard).padStart(5, '0')}-${String(segment).padStart(3, '0')}-${runId.slice(0, 8)}.jsonl.gz`;

const sorted = (props: Record<string, string[]>) =>
  Object.fromEntries(
    Object.keys(props)
      .sort()
      .map((k) => [k, props[k]]),
  );

/** The one spelling of a record: keys in the data-plane order, properties sorted (no newline). */
export function canonicalLine(record: GraphElement): string {
  const properties = sorted(record.properties);
  return isVertex(record)
    ? JSON.stringify({ vertex: record.vertex, label: record.label, properties })
    : JSON.stringify({ source: record.source, target: record.target, label: record.label, properties });
}

/** The canonical line of a stored element. */
export const recordLine = (item: DataItem): string => canonicalLine(fromItem(item));

const MOD = 1n << 256n;

/**
 * An order-independent digest of a set of records: the sum, modulo 2^256, of each canonical line's
 * SHA-256. Parts digested apart add up to the digest of the whole, whatever the shard order, and
 * unlike XOR a record present twice does not cancel out.
 */
export class ContentDigest {
  private sum = 0n;

  add(line: string): void {
    this.sum = (this.sum + BigInt(`0x${createHash('sha256').update(line).digest('hex')}`)) % MOD;
  }

  merge(hex: string): void {
    this.sum = (this.sum + BigInt(`0x${hex}`)) % MOD;
  }

  hex(): string {
    return this.sum.toString(16).padStart(64, '0');
  }
}

export const partSchema = z.strictObject({
  key: z.string(),
  shard: z.number().int().min(0),
  segment: z.number().int().min(0).default(0),
  records: z.number().int().min(0),
  vertices: z.number().int().min(0),
  edges: z.number().int().min(0),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  contentDigest: z.string().regex(/^[0-9a-f]{64}$/),
});
export type PartInfo = z.infer<typeof partSchema>;

export const manifestSchema = z.strictObject({
  formatVersion: z.literal(FORMAT_VERSION),
  projectId: z.string(),
  graphId: z.string(),
  graphName: z.string(),
  backupId: z.string(),
  jobId: z.string(),
  backupMethod: z.enum(['manual', 'auto', 'import']),
  createdTimestamp: z.number().int(),
  shards: z.number().int().min(1),
  counts: z.strictObject({ vertices: z.number().int().min(0), edges: z.number().int().min(0) }),
  totalBytes: z.number().int().min(0),
  contentDigest: z.strictObject({ algorithm: z.literal('sha256-sum-mod-2^256'), value: z.string() }),
  files: z.array(partSchema),
});
export type Manifest = z.infer<typeof manifestSchema>;
