import { hash } from 'node:crypto';
import { z } from 'zod';
import { fromItem, type StoredElement } from '../graphs/data-keys.js';
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

/**
 * The properties with their names in sorted order (as an object orders them: integer-like names
 * first, ascending). Names most often come sorted already (the restore writes them so), and then the
 * object itself is its own spelling: no copy.
 */
function sorted(props: Record<string, string[]>): Record<string, string[]> {
  const keys = Object.keys(props);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      return Object.fromEntries(keys.sort().map((k) => [k, props[k] as string[]]));
    }
  }
  return props;
}

/** The one spelling of a record: keys in the data-plane order, properties sorted (no newline). */
export function canonicalLine(record: GraphElement): string {
  const properties = sorted(record.properties);
  return isVertex(record)
    ? JSON.stringify({ vertex: record.vertex, label: record.label, properties })
    : JSON.stringify({ source: record.source, target: record.target, label: record.label, properties });
}

/** The canonical line of a stored element. */
export const recordLine = (item: StoredElement): string => canonicalLine(fromItem(item));

const MOD = 1n << 256n;
/** Lines added between reductions modulo 2^256: the sum outgrows 256 bits by 20 at most. */
const REDUCE_EVERY = 1 << 20;

/**
 * An order-independent digest of a set of records: the sum, modulo 2^256, of each canonical line's
 * SHA-256. Parts digested apart add up to the digest of the whole, whatever the shard order, and
 * unlike XOR a record present twice does not cancel out. Every backed-up and restored element goes
 * through `add`: the one-shot `hash` and a reduction once in a while, rather than a Hash object and a
 * reduction a line, halve its cost.
 */
export class ContentDigest {
  private sum = 0n;
  private added = 0;

  add(line: string): void {
    this.sum += BigInt(`0x${hash('sha256', line)}`);
    if (++this.added === REDUCE_EVERY) this.reduce();
  }

  merge(hex: string): void {
    this.sum += BigInt(`0x${hex}`);
    this.reduce();
  }

  hex(): string {
    this.reduce();
    return this.sum.toString(16).padStart(64, '0');
  }

  private reduce(): void {
    this.sum %= MOD;
    this.added = 0;
  }
}

/** A part file's name, exactly as `partFileName` writes it: no folder, no dot segment, no other file. */
export const PART_KEY = /^part-(\d{5})-(\d{3})-[0-9a-f]{8}\.jsonl\.gz$/;
/** Bounds no backup of ours comes near (S3's largest object; records a part can hold at all). */
const MAX_PART_BYTES = 5 * 2 ** 40;
const MAX_PART_RECORDS = 2 ** 40;
const count = (max: number) => z.number().int().min(0).max(max);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** A part's fields as a manifest lists them (`partSchema` adds the rules between them). */
export const partFields = z.strictObject({
  key: z.string().regex(PART_KEY, 'must be a part file name of this format'),
  shard: z.number().int().min(0).max(255),
  segment: z.number().int().min(0).max(999).default(0),
  records: count(MAX_PART_RECORDS),
  vertices: count(MAX_PART_RECORDS),
  edges: count(MAX_PART_RECORDS),
  bytes: count(MAX_PART_BYTES),
  sha256: hex64,
  contentDigest: hex64,
});
export const partSchema = partFields
  .refine((p) => p.records === p.vertices + p.edges, 'records must be vertices + edges')
  .refine((p) => {
    const [, shard, segment] = PART_KEY.exec(p.key) ?? [];
    return Number(shard) === p.shard && Number(segment) === p.segment;
  }, "the key must name the part's shard and segment");
export type PartInfo = z.infer<typeof partSchema>;

const sum = (files: PartInfo[], field: 'vertices' | 'edges' | 'bytes') =>
  files.reduce((n, f) => n + f[field], 0);
const name = z.string().min(1).max(128);

/**
 * A manifest is read from storage a caller may control (an import's folder): every name in it is
 * checked to be exactly what our own backups write before anything is copied or read by it.
 */
export const manifestSchema = z
  .strictObject({
    formatVersion: z.literal(FORMAT_VERSION),
    projectId: name,
    graphId: name,
    graphName: name,
    backupId: name,
    jobId: name,
    backupMethod: z.enum(['manual', 'auto', 'import']),
    createdTimestamp: z.number().int(),
    shards: z.number().int().min(1).max(256),
    counts: z.strictObject({
      vertices: count(Number.MAX_SAFE_INTEGER),
      edges: count(Number.MAX_SAFE_INTEGER),
    }),
    totalBytes: count(Number.MAX_SAFE_INTEGER),
    contentDigest: z.strictObject({ algorithm: z.literal('sha256-sum-mod-2^256'), value: hex64 }),
    files: z.array(partSchema).max(256 * 1000),
  })
  .refine((m) => new Set(m.files.map((f) => f.key)).size === m.files.length, 'a part is listed twice')
  .refine((m) => m.files.every((f) => f.shard < m.shards), 'a part names a shard the backup does not have')
  .refine(
    (m) =>
      sum(m.files, 'vertices') === m.counts.vertices &&
      sum(m.files, 'edges') === m.counts.edges &&
      sum(m.files, 'bytes') === m.totalBytes,
    'the parts do not add up to the counts and the size',
  );
export type Manifest = z.infer<typeof manifestSchema>;
