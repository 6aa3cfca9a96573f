import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import {
  ContentDigest,
  canonicalLine,
  edgeSchema,
  MANIFEST_FILE,
  type Manifest,
  manifestSchema,
  type PartInfo,
  vertexSchema,
} from './backup-format.js';

/** One thing wrong with a backup folder: which file, which check, what was found. */
export type Problem = { file: string; check: string; message: string };

export type VerifyReport = {
  dir: string;
  ok: boolean;
  manifest?: Pick<Manifest, 'backupId' | 'graphName' | 'counts' | 'formatVersion'> & {
    files: number;
    contentDigest: string;
  };
  problems: Problem[];
};

const recordSchema = z.union([vertexSchema, edgeSchema]);

/**
 * Checks a downloaded backup folder with no service at all: the manifest (JSON, format 1.0, its
 * schema), then every file it lists (present, size, SHA-256, gzip, each record valid, the counts and
 * the content digest of its records), then the whole (counts, bytes and digest add up), and files
 * that the manifest does not list.
 */
export async function verifyBackup(dir: string): Promise<VerifyReport> {
  const problems: Problem[] = [];
  const manifest = await readManifestFile(dir, problems);
  if (!manifest) return { dir, ok: false, problems };

  const total = new ContentDigest();
  const counts = { vertices: 0, edges: 0, bytes: 0 };
  const seen = new Set<string>();
  for (const part of manifest.files) {
    if (seen.has(part.key)) problems.push({ file: part.key, check: 'manifest', message: 'listed twice' });
    seen.add(part.key);
    if (!/^[^/\\]+$/.test(part.key) || part.key === '..' || part.key === MANIFEST_FILE) {
      problems.push({ file: part.key, check: 'manifest', message: 'is not a plain file name' });
      continue;
    }
    total.merge(part.contentDigest);
    counts.vertices += part.vertices;
    counts.edges += part.edges;
    counts.bytes += part.bytes;
    problems.push(...(await verifyPart(dir, part)));
  }

  const whole = (check: string, expected: unknown, got: unknown) => {
    if (expected !== got) {
      problems.push({
        file: MANIFEST_FILE,
        check,
        message: `the manifest says ${expected}, its parts add up to ${got}`,
      });
    }
  };
  whole('counts.vertices', manifest.counts.vertices, counts.vertices);
  whole('counts.edges', manifest.counts.edges, counts.edges);
  whole('totalBytes', manifest.totalBytes, counts.bytes);
  whole('contentDigest', manifest.contentDigest.value, total.hex());

  for (const name of (await readdir(dir)).sort()) {
    if (name !== MANIFEST_FILE && !seen.has(name)) {
      problems.push({ file: name, check: 'extra', message: 'is not listed in the manifest' });
    }
  }

  return {
    dir,
    ok: problems.length === 0,
    manifest: {
      formatVersion: manifest.formatVersion,
      backupId: manifest.backupId,
      graphName: manifest.graphName,
      counts: manifest.counts,
      files: manifest.files.length,
      contentDigest: manifest.contentDigest.value,
    },
    problems,
  };
}

async function readManifestFile(dir: string, problems: Problem[]): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push({
      file: MANIFEST_FILE,
      check: 'exists',
      message:
        code === 'ENOENT' ? 'is missing: without it the backup does not exist' : `cannot be read (${code})`,
    });
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    problems.push({
      file: MANIFEST_FILE,
      check: 'json',
      message: `is not JSON: ${(error as Error).message}`,
    });
    return undefined;
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push({
        file: MANIFEST_FILE,
        check: 'format',
        message: `${issue.path.join('.') || '(root)'}: ${issue.message}`,
      });
    }
    return undefined;
  }
  return parsed.data;
}

/** One part file against its manifest entry; every mismatch is a problem of its own. */
export async function verifyPart(dir: string, part: PartInfo): Promise<Problem[]> {
  const problems: Problem[] = [];
  const say = (check: string, message: string) => problems.push({ file: part.key, check, message });
  const path = join(dir, part.key);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    say('exists', 'is missing');
    return problems;
  }
  if (size !== part.bytes) say('size', `is ${size} bytes, the manifest says ${part.bytes}`);

  // The checksum of the whole file, apart from reading its records (which may stop at damaged bytes).
  const sha256 = createHash('sha256');
  for await (const chunk of createReadStream(path)) sha256.update(chunk as Buffer);
  const got = sha256.digest('hex');
  if (got !== part.sha256) say('sha256', `is ${got}, the manifest says ${part.sha256}`);

  const counts = { records: 0, vertices: 0, edges: 0 };
  const digest = new ContentDigest();
  let invalid = 0;
  let firstInvalid = 0;
  let lineNo = 0;
  try {
    const gunzip = createGunzip();
    const lines = createInterface({
      input: createReadStream(path).pipe(gunzip),
      crlfDelay: Infinity,
    });
    const failed = new Promise<never>((_, reject) => {
      gunzip.once('error', reject);
    });
    const reading = (async () => {
      for await (const line of lines) {
        lineNo++;
        if (!line) continue;
        let record: z.infer<typeof recordSchema>;
        try {
          record = recordSchema.parse(JSON.parse(line));
        } catch {
          if (invalid++ === 0) firstInvalid = lineNo;
          continue;
        }
        counts.records++;
        if ('vertex' in record) counts.vertices++;
        else counts.edges++;
        digest.add(canonicalLine(record));
      }
    })();
    await Promise.race([reading, failed]);
  } catch (error) {
    say('gzip', `cannot be read as gzip: ${(error as Error).message}`);
  }
  if (problems.some((p) => p.check === 'gzip')) return problems;
  if (invalid) say('records', `${invalid} line(s) are not valid records (first at line ${firstInvalid})`);
  for (const key of ['records', 'vertices', 'edges'] as const) {
    if (counts[key] !== part[key]) say(key, `holds ${counts[key]} ${key}, the manifest says ${part[key]}`);
  }
  const hex = digest.hex();
  if (hex !== part.contentDigest) say('contentDigest', `is ${hex}, the manifest says ${part.contentDigest}`);
  return problems;
}
