import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { MANIFEST_FILE, type Manifest, manifestSchema } from './backup-format.js';
import type { Api, Json } from './client.js';
import { CliError, Exit } from './errors.js';

export type DownloadedFile = { key: string; bytes: number; action: 'downloaded' | 'skipped' };
export type DownloadReport = { dir: string; backupId: string; graphId: string; files: DownloadedFile[] };

const CONCURRENCY = 4;

/**
 * Fetches a backup's files through the presigned links of `backup-files` into `dir`. Resumable: a
 * file already there whose SHA-256 matches the manifest is kept; each file is written to a
 * `.partial` name and renamed once its checksum is proven; the manifest is written last.
 */
export async function downloadBackup(
  api: Api,
  graphId: string,
  backupId: string,
  dir: string,
  options: { json?: boolean; stream?: NodeJS.WriteStream } = {},
): Promise<DownloadReport> {
  const stream = options.stream ?? process.stderr;
  const links: Json = await api.request('GET', `graphs/${graphId}/backup-files`, {
    tree: 'v2',
    query: { backup_id: backupId },
  });
  const byName = new Map<string, string>(
    (links.files ?? []).map((f: Json) => [String(f.name), String(f.download_link)]),
  );
  const manifestLink = byName.get(MANIFEST_FILE);
  if (!manifestLink) throw new CliError(`backup ${backupId} has no ${MANIFEST_FILE} to download`, Exit.api);
  const manifestText = await fetchText(manifestLink, MANIFEST_FILE);
  const manifest = parseManifest(manifestText);

  await mkdir(dir, { recursive: true });
  const total = manifest.files.reduce((n, f) => n + f.bytes, 0);
  const bar =
    !options.json && stream.isTTY
      ? new cliProgress.SingleBar(
          {
            stream,
            format:
              '{bar} {percentage}% | {value}/{total} bytes | {files}/{count} files | ETA {eta_formatted} | {key}',
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(total, 0, { files: 0, count: manifest.files.length, key: '' });
  let filesDone = 0;
  const log = (line: string) => {
    if (!options.json && !bar) stream.write(`${line}\n`);
  };

  const results: DownloadedFile[] = [];
  const queue = [...manifest.files];
  const worker = async () => {
    for (let part = queue.shift(); part; part = queue.shift()) {
      const path = join(dir, part.key);
      let action: DownloadedFile['action'];
      if ((await fileSha256(path)) === part.sha256) {
        action = 'skipped';
        bar?.increment(part.bytes);
        log(`skipped    ${part.key} (${part.bytes} bytes, already here: SHA-256 matches)`);
      } else {
        const link = byName.get(part.key);
        if (!link) throw new CliError(`the service gave no link for ${part.key}`, Exit.api);
        await fetchToFile(link, path, part.sha256, part.key, (n) => bar?.increment(n));
        action = 'downloaded';
        log(`downloaded ${part.key} (${part.bytes} bytes, SHA-256 ok)`);
      }
      results.push({ key: part.key, bytes: part.bytes, action });
      bar?.update({ files: ++filesDone, key: part.key });
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    bar?.stop();
  }
  await writeFile(join(dir, MANIFEST_FILE), manifestText);
  log(`wrote      ${MANIFEST_FILE}`);
  results.sort((a, b) => a.key.localeCompare(b.key));
  return { dir, backupId, graphId, files: results };
}

function parseManifest(text: string): Manifest {
  try {
    return manifestSchema.parse(JSON.parse(text));
  } catch {
    throw new CliError(`the backup's ${MANIFEST_FILE} is not a valid manifest`, Exit.api);
  }
}

async function fetchText(link: string, key: string): Promise<string> {
  const response = await get(link, key);
  return response.text();
}

async function get(link: string, key: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(link);
  } catch (error) {
    throw new CliError(`cannot download ${key}: ${(error as Error).message}`, Exit.unavailable);
  }
  if (!response.ok || !response.body) {
    throw new CliError(
      `cannot download ${key}: HTTP ${response.status}`,
      response.status >= 500 ? Exit.unavailable : Exit.api,
    );
  }
  return response;
}

async function fetchToFile(
  link: string,
  path: string,
  sha256: string,
  key: string,
  progress: (bytes: number) => void,
): Promise<void> {
  const response = await get(link, key);
  const hash = createHash('sha256');
  const partial = `${path}.partial`;
  await pipeline(
    Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        progress(chunk.length);
        done(null, chunk);
      },
    }),
    createWriteStream(partial),
  );
  const got = hash.digest('hex');
  if (got !== sha256) {
    await rm(partial, { force: true });
    throw new CliError(`${key} arrived with SHA-256 ${got}, the manifest says ${sha256}`, Exit.api);
  }
  await rename(partial, path);
}

/** The SHA-256 of a file, or undefined when there is none. */
async function fileSha256(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}
