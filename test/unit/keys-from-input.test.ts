import { describe, expect, it } from 'vitest';
import { GesError } from '../../lib/core/errors.js';
import { backupPath, graphPath, projectPath } from '../../lib/http/params.js';
import { FORMAT_VERSION, manifestSchema, partFileName } from '../../lib/records/backups/format.js';
import { backupPrefix } from '../../lib/records/backups/model.js';
import { parseBucketPath } from '../../lib/records/backups/transfer-paths.js';
import { clientTokenSchema } from '../../lib/records/jobs/client-tokens.js';

/**
 * Every storage key or path the service builds from something it was given: each of them refuses
 * what would leave its folder (dot segments, other prefixes, separators in a name).
 */
const HOSTILE = [
  '..',
  '.',
  '../other',
  'a/../b',
  'a/b',
  '%2e%2e',
  'a\\b',
  '',
  ' ',
  'manifest.json/..',
  'x\u0000',
];

const rules = {
  projectId: 'proj1',
  allowed: 'ges-backup-local-transfer-*',
  backupBucket: 'ges-backup-local-backups',
};
const bucket = 'ges-backup-local-transfer-x';

describe('keys built from input', () => {
  it('backup folders: project, graph and backup ids come only through the path schemas', () => {
    for (const bad of HOSTILE) {
      expect(projectPath.safeParse({ projectId: bad }).success, bad).toBe(false);
      expect(graphPath.safeParse({ projectId: 'p', graphId: bad }).success, bad).toBe(false);
      expect(
        backupPath.safeParse({
          projectId: 'p',
          graphId: '00000000-0000-4000-8000-000000000000',
          backupId: bad,
        }).success,
      ).toBe(false);
      expect(clientTokenSchema.safeParse(bad).success, bad).toBe(false);
    }
    const ids = backupPath.parse({
      projectId: 'p1',
      graphId: '00000000-0000-4000-8000-000000000001',
      backupId: '00000000-0000-4000-8000-000000000002',
    });
    expect(backupPrefix(ids)).toBe(
      'p1/00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000002/',
    );
  });

  it('transfer paths: only below the caller project, folder names only, no dot segments', () => {
    expect(parseBucketPath(`${bucket}/proj1/nightly/2026`, rules)).toEqual({
      bucket,
      folder: 'proj1/nightly/2026/',
    });
    // Folder names are free text (the SDK sends `ä ö`), but never a way out of the folder.
    expect(parseBucketPath(`${bucket}/proj1/exports/ä ö`, rules)).toEqual({
      bucket,
      folder: 'proj1/exports/ä ö/',
    });
    for (const bad of HOSTILE.filter(Boolean)) {
      const path = `${bucket}/proj1/${bad}/x`;
      if (['a/b', '%2e%2e', ' '].includes(bad)) continue; // folder names S3 keeps as they are
      expect(() => parseBucketPath(path, rules), path).toThrow(GesError);
    }
    expect(() => parseBucketPath(`${bucket}/proj2/x`, rules)).toThrow(GesError);
    expect(() => parseBucketPath(`${bucket}/../proj1/x`, rules)).toThrow(GesError);
    expect(() => parseBucketPath('ges-backup-local-backups/proj1/x', rules)).toThrow(GesError);
  });

  it('part files named in a manifest: exactly our file names, each once, adding up to the whole', () => {
    const part = {
      key: partFileName(0, 0, 'a1b2c3d4e5f6'),
      shard: 0,
      segment: 0,
      records: 2,
      vertices: 1,
      edges: 1,
      bytes: 10,
      sha256: 'a'.repeat(64),
      contentDigest: 'b'.repeat(64),
    };
    const manifest = {
      formatVersion: FORMAT_VERSION,
      projectId: 'p',
      graphId: 'g',
      graphName: 'movies',
      backupId: 'b',
      jobId: 'j',
      backupMethod: 'manual',
      createdTimestamp: 1,
      shards: 8,
      counts: { vertices: 1, edges: 1 },
      totalBytes: 10,
      contentDigest: { algorithm: 'sha256-sum-mod-2^256', value: 'c'.repeat(64) },
      files: [part],
    };
    expect(manifestSchema.safeParse(manifest).success).toBe(true);
    const refused = (files: unknown[], extra: object = {}) =>
      manifestSchema.safeParse({ ...manifest, ...extra, files }).success;
    for (const key of [
      '../../p2/g/b/part-00000-000-a1b2c3d4.jsonl.gz',
      'other/part-00000-000-a1b2c3d4.jsonl.gz',
      'manifest.json',
      'part-00000-000-a1b2c3d4.jsonl.gz/../x',
      'part-00001-000-a1b2c3d4.jsonl.gz', // names shard 1, says shard 0
    ]) {
      expect(refused([{ ...part, key }]), key).toBe(false);
    }
    expect(refused([part, part], { counts: { vertices: 2, edges: 2 }, totalBytes: 20 })).toBe(false);
    expect(refused([{ ...part, shard: 9, key: partFileName(9, 0, 'a1b2c3d4') }])).toBe(false);
    expect(refused([{ ...part, records: 3 }])).toBe(false);
    expect(refused([part], { counts: { vertices: 5, edges: 1 } })).toBe(false);
    expect(refused([{ ...part, bytes: -1 }])).toBe(false);
  });
});
