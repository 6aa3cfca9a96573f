import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../lib/core/ports.js';
import {
  FORMAT_VERSION,
  type Manifest,
  manifestSchema,
  partSchema,
} from '../../lib/records/backups/format.js';
import { readManifest } from '../../lib/records/backups/manifest.js';

/**
 * A manifest comes from storage a caller may control (an import's folder): every rule of its schema
 * refuses one way of lying, and readManifest says which.
 */

const HEX = 'ab'.repeat(32);
const part = (shard: number, segment = 0, fields: Record<string, unknown> = {}) => ({
  key: `part-${String(shard).padStart(5, '0')}-${String(segment).padStart(3, '0')}-0123abcd.jsonl.gz`,
  shard,
  segment,
  records: 5,
  vertices: 3,
  edges: 2,
  bytes: 100,
  sha256: HEX,
  contentDigest: HEX,
  ...fields,
});
const manifest = (fields: Record<string, unknown> = {}) => ({
  formatVersion: '1.0',
  projectId: 'p1',
  graphId: 'g1',
  graphName: 'movies',
  backupId: 'b1',
  jobId: 'j1',
  backupMethod: 'manual',
  createdTimestamp: 1_700_000_000_000,
  shards: 2,
  counts: { vertices: 6, edges: 4 },
  totalBytes: 200,
  contentDigest: { algorithm: 'sha256-sum-mod-2^256', value: HEX },
  files: [part(0), part(1)],
  ...fields,
});
const refusal = (value: unknown) => {
  const parsed = manifestSchema.safeParse(value);
  return parsed.success ? 'accepted' : (parsed.error.issues[0]?.message ?? 'refused');
};

describe('the manifest schema', () => {
  it(`accepts a manifest of format ${FORMAT_VERSION} made by each method`, () => {
    expect(FORMAT_VERSION).toBe('1.0');
    for (const backupMethod of ['manual', 'auto', 'import']) {
      expect(refusal(manifest({ backupMethod }))).toBe('accepted');
    }
  });

  it('refuses a digest or checksum with anything before or after its 64 hex digits', () => {
    for (const bad of [`x${HEX}`, `${HEX}x`, HEX.slice(1)]) {
      expect(refusal(manifest({ files: [part(0, 0, { sha256: bad }), part(1)] }))).not.toBe('accepted');
      expect(
        refusal(manifest({ contentDigest: { algorithm: 'sha256-sum-mod-2^256', value: bad } })),
      ).not.toBe('accepted');
    }
  });

  it("refuses a part whose key names another shard or segment than the part's", () => {
    const why = "the key must name the part's shard and segment";
    expect(partSchema.safeParse(part(1)).success).toBe(true);
    expect(partSchema.safeParse({ ...part(1), shard: 0 }).error?.issues[0]?.message).toBe(why);
    expect(partSchema.safeParse({ ...part(1, 2), segment: 3 }).error?.issues[0]?.message).toBe(why);
  });

  it('refuses a part key with anything before or after the name this format writes', () => {
    const key = part(0).key;
    for (const bad of [`x/${key}`, `${key}.bak`]) {
      expect(partSchema.safeParse(part(0, 0, { key: bad })).success).toBe(false);
    }
  });

  it('refuses a part whose records are not its vertices and edges', () => {
    expect(partSchema.safeParse(part(0, 0, { records: 6 })).error?.issues[0]?.message).toBe(
      'records must be vertices + edges',
    );
  });

  it('refuses a part listed twice, or of a shard the backup does not have', () => {
    expect(refusal(manifest({ files: [part(0), part(0)], counts: { vertices: 6, edges: 4 } }))).toBe(
      'a part is listed twice',
    );
    expect(refusal(manifest({ files: [part(0), part(2)] }))).toBe(
      'a part names a shard the backup does not have',
    );
    expect(refusal(manifest({ shards: 3, files: [part(0), part(2)] }))).toBe('accepted');
  });

  it('refuses parts that do not add up to the vertices, the edges or the size', () => {
    const why = 'the parts do not add up to the counts and the size';
    expect(refusal(manifest({ counts: { vertices: 7, edges: 4 } }))).toBe(why);
    expect(refusal(manifest({ counts: { vertices: 6, edges: 5 } }))).toBe(why);
    expect(refusal(manifest({ totalBytes: 201 }))).toBe(why);
  });
});

const blobsWith = (files: Record<string, string>) =>
  ({
    get: async (key: string) => (key in files ? Buffer.from(files[key] as string) : undefined),
  }) as BlobStore;
const reason = (p: Promise<unknown>) =>
  p.then(
    () => 'read',
    (e: Error & { code?: string }) => `${e.code}: ${e.message}`,
  );

describe('readManifest', () => {
  it("reads the folder's manifest.json, validated", async () => {
    const read: Manifest = await readManifest(
      blobsWith({ 'f/manifest.json': JSON.stringify(manifest()) }),
      'f/',
    );
    expect(read).toEqual(manifest());
  });

  it('says a backup without a manifest was never completed', async () => {
    expect(await reason(readManifest(blobsWith({ 'manifest.json': '{}' }), 'f/'))).toBe(
      'GES.7040: The backup has no manifest: it was never completed.',
    );
  });

  it('says a manifest that is not JSON is not valid JSON', async () => {
    expect(await reason(readManifest(blobsWith({ 'f/manifest.json': '{"formatVersion":' }), 'f/'))).toBe(
      'GES.7040: The backup manifest is not valid JSON.',
    );
  });

  it('names the first rule a manifest breaks, and where', async () => {
    const withBadKey = manifest({ files: [part(0, 0, { key: '../other/part.jsonl.gz' }), part(1)] });
    expect(
      await reason(readManifest(blobsWith({ 'f/manifest.json': JSON.stringify(withBadKey) }), 'f/')),
    ).toBe(
      'GES.7040: The backup manifest is not valid: must be a part file name of this format (files.0.key).',
    );
    const twice = manifest({ files: [part(0), part(0)] });
    expect(await reason(readManifest(blobsWith({ 'f/manifest.json': JSON.stringify(twice) }), 'f/'))).toBe(
      'GES.7040: The backup manifest is not valid: a part is listed twice.',
    );
  });
});
