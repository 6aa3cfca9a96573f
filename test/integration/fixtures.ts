import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { BlobStore } from '../../lib/core/ports.js';
import { addElements } from '../../lib/operations/graphs/data-plane.js';
import { createGraph } from '../../lib/operations/graphs/graphs.js';
import { MANIFEST_FILE, type Manifest, manifestSchema } from '../../lib/records/backups/format.js';
import { backupPrefix } from '../../lib/records/backups/model.js';
import type { Edge, Vertex } from '../../lib/records/graphs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';

export const PROJECT = 'proj1';

let graphCount = 0;
/** A graph with the given content, created through the service's own use cases. */
export async function seedGraph(deps: Deps, content: { vertices?: Vertex[]; edges?: Edge[] } = {}) {
  const name = `graph_${++graphCount}_${Math.random().toString(36).slice(2, 8)}`;
  const {
    graph: { graphId: id },
  } = await createGraph(deps, { projectId: PROJECT, name });
  if (content.vertices?.length)
    await addElements(deps, { projectId: PROJECT, graphName: name, elements: content.vertices });
  if (content.edges?.length)
    await addElements(deps, { projectId: PROJECT, graphName: name, elements: content.edges });
  return { graphId: id, name };
}

/** A small social graph: `n` users, each following the next, with non-ASCII text in places. */
export function socialGraph(n: number): { vertices: Vertex[]; edges: Edge[] } {
  const vertices = Array.from({ length: n }, (_, i) => ({
    vertex: `u${i}`,
    label: 'user',
    properties: { name: [i % 3 === 0 ? `Zoë ${i} 東京` : `user ${i}`], age: [String(18 + (i % 50))] },
  }));
  const edges = Array.from({ length: Math.max(0, n - 1) }, (_, i) => ({
    source: `u${i}`,
    target: `u${i + 1}`,
    label: 'follows',
    properties: { since: [String(2000 + (i % 25))] },
  }));
  return { vertices, edges };
}

export type StoredBackup = {
  manifest: Manifest;
  /** every part file's records, parsed */
  records: unknown[];
  /** key → SHA-256 and size of the bytes in S3 */
  files: Map<string, { sha256: string; bytes: number }>;
};

/** Reads a backup back from S3 exactly as a client of the format would; undefined without a manifest. */
export async function readBackup(
  deps: Deps,
  ids: { projectId: string; graphId: string; backupId: string },
): Promise<StoredBackup | undefined> {
  const folder = backupPrefix(ids);
  const raw = await deps.blobs.get(folder + MANIFEST_FILE);
  if (!raw) return undefined;
  const manifest = manifestSchema.parse(JSON.parse(raw.toString('utf8')));
  const records: unknown[] = [];
  const files = new Map<string, { sha256: string; bytes: number }>();
  for (const part of manifest.files) {
    const body = await deps.blobs.get(folder + part.key);
    if (!body) throw new Error(`part ${part.key} is missing`);
    files.set(part.key, { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length });
    const text = gunzipSync(body).toString('utf8');
    for (const line of text.split('\n')) if (line) records.push(JSON.parse(line));
  }
  return { manifest, records, files };
}

/** Sorts records so that two sets can be compared whatever order they were written in. */
export const sortRecords = <T>(records: T[]) =>
  [...records].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/**
 * The service's own S3 store, but the n-th part upload (1-based) fails with what `failure(n)`
 * returns, if anything: a fault injected at the adapter, the rest of the store untouched.
 */
export function failingUploads(blobs: BlobStore, failure: (n: number) => Error | undefined): BlobStore {
  let uploads = 0;
  const store = Object.create(blobs) as BlobStore;
  store.upload = async (key, body, type) => {
    const error = failure(++uploads);
    if (error) {
      body.resume(); // drain what the snapshot already streamed
      throw error;
    }
    return blobs.upload(key, body, type);
  };
  return store;
}
