import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../lib/core/ports.js';
import { ContentDigest, canonicalLine, type PartInfo } from '../../lib/records/backups/format.js';
import { readPart } from '../../lib/records/backups/read-part.js';
import type { GraphElement } from '../../lib/records/graphs/model.js';

/**
 * readPart on parts that are valid gzip, and valid records, but not what their manifest entry says:
 * each of its checks (checksum, size, counts, digest) is the only one that catches one of them.
 */

const vertex = (id: string): GraphElement => ({
  vertex: id,
  label: 'user',
  properties: { name: [`Zoë ${id}`] },
});
const edge = (source: string, target: string): GraphElement => ({
  source,
  target,
  label: 'follows',
  properties: {},
});
const RECORDS = [vertex('a'), vertex('b'), vertex('東京'), edge('a', 'b'), edge('b', '東京')];
const OTHER = [vertex('x'), vertex('y'), vertex('z'), edge('x', 'y'), edge('y', 'z')];

const KEY = 'part-00000-000-0123abcd.jsonl.gz';
const gz = (lines: string[], end = '\n') => gzipSync(Buffer.from(lines.join('\n') + end, 'utf8'));
const lines = (records: GraphElement[]) => records.map(canonicalLine);

/** The manifest entry that describes `body`, holding `records`. */
function entry(body: Buffer, records: GraphElement[]): PartInfo {
  const digest = new ContentDigest();
  for (const r of records) digest.add(canonicalLine(r));
  const vertices = records.filter((r) => 'vertex' in r).length;
  return {
    key: KEY,
    shard: 0,
    segment: 0,
    records: records.length,
    vertices,
    edges: records.length - vertices,
    bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    contentDigest: digest.hex(),
  };
}

/** Only `stream` is read; the body comes in `chunk`-byte pieces, to split lines and characters. */
function blobsWith(body: Buffer | undefined, chunk = 7): BlobStore {
  return {
    stream: async (key: string) => {
      expect(key).toBe(`folder/${KEY}`);
      if (!body) return undefined;
      const pieces: Buffer[] = [];
      for (let i = 0; i < body.length; i += chunk) pieces.push(body.subarray(i, i + chunk));
      return Readable.from(pieces);
    },
  } as unknown as BlobStore;
}

async function read(body: Buffer | undefined, part: PartInfo, chunk?: number) {
  const batches: GraphElement[][] = [];
  const { digest, ...counts } = await readPart(blobsWith(body, chunk), 'folder/', part, async (batch) => {
    batches.push(batch);
  });
  return { counts, digest, batches, records: batches.flat() };
}
const reason = (p: Promise<unknown>) =>
  p.then(
    () => 'read',
    (e: Error & { code?: string }) => `${e.code ?? e.name}: ${e.message}`,
  );
const damaged = (why: string) => `GES.7040: The backup is damaged: part file ${KEY} ${why}.`;

describe('readPart', () => {
  it('hands every record over, in batches of at most 500 and never an empty one, counts them and sums their digest', async () => {
    const many = Array.from({ length: 1203 }, (_, i) => vertex(`v${i}`));
    const body = gz(lines(many));
    const part = entry(body, many);
    const { counts, digest, batches, records } = await read(body, part, 4096);
    expect(counts).toEqual({ vertices: 1203, edges: 0 });
    expect(digest).toBe(part.contentDigest);
    expect(records).toEqual(many);
    // A batch is handed over once it holds 500 or more (after the chunk that filled it), the rest at the end.
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(batches.slice(0, -1).every((b) => b.length >= 500)).toBe(true);
    expect(batches.every((b) => b.length > 0)).toBe(true);
  });

  it('reads lines and characters split across chunks, and a last line with no newline', async () => {
    const body = gz(lines(RECORDS), '');
    const { counts, records } = await read(body, entry(body, RECORDS), 3);
    expect(counts).toEqual({ vertices: 3, edges: 2 });
    expect(records).toEqual(RECORDS);
  });

  it('hands nothing over for an empty part', async () => {
    const body = gzipSync(Buffer.alloc(0));
    const { counts, batches } = await read(body, entry(body, []));
    expect(counts).toEqual({ vertices: 0, edges: 0 });
    expect(batches).toEqual([]);
  });

  it('refuses a missing part', async () => {
    const body = gz(lines(RECORDS));
    expect(await reason(read(undefined, entry(body, RECORDS)))).toBe(damaged('is missing'));
  });

  it('refuses a part with a byte changed inside a record, still valid gzip (the checksum)', async () => {
    const body = gz(lines(RECORDS));
    const changed = gz(lines(RECORDS).map((l) => l.replace('Zoë a', 'Zoë A')));
    expect(changed.length).toBe(body.length);
    expect(await reason(read(changed, entry(body, RECORDS)))).toBe(damaged('does not match its checksum'));
  });

  it("refuses another backup's part in its place (the checksum)", async () => {
    const body = gz(lines(RECORDS));
    const swapped = gz(lines(OTHER));
    expect(await reason(read(swapped, entry(body, RECORDS)))).toBe(damaged('does not match its checksum'));
  });

  it('refuses a part of another size than listed, even with the right SHA-256 (the size)', async () => {
    const body = gz(lines(RECORDS));
    const part = { ...entry(body, RECORDS), bytes: body.length + 1 };
    expect(await reason(read(body, part))).toBe(damaged('does not match its checksum'));
  });

  it('refuses a part re-encoded with a record removed, its checksum recomputed (the counts)', async () => {
    const body = gz(lines(RECORDS));
    const fewer = gz(lines(RECORDS.slice(1)));
    const part = { ...entry(body, RECORDS), bytes: fewer.length, sha256: entry(fewer, []).sha256 };
    expect(await reason(read(fewer, part))).toBe(damaged('does not hold the records its manifest lists'));
  });

  it('refuses a part re-encoded with a record duplicated, its checksum recomputed', async () => {
    const body = gz(lines(RECORDS));
    const twice = gz(lines([...RECORDS, RECORDS[4] as GraphElement]));
    const part = { ...entry(body, RECORDS), bytes: twice.length, sha256: entry(twice, []).sha256 };
    expect(await reason(read(twice, part))).toBe(damaged('does not hold the records its manifest lists'));
  });

  it('refuses a consistent re-encoding, same counts and recomputed SHA-256, with other records (the digest)', async () => {
    const body = gz(lines(RECORDS));
    const part = { ...entry(body, RECORDS), ...pick(entry(gz(lines(OTHER)), OTHER), ['bytes', 'sha256']) };
    expect(await reason(read(gz(lines(OTHER)), part))).toBe(
      damaged('does not hold the records its manifest lists'),
    );
  });

  it('refuses the right records under a manifest that miscounts vertices or edges (the counts)', async () => {
    const body = gz(lines(RECORDS));
    const part = entry(body, RECORDS);
    for (const wrong of [{ vertices: 4 }, { edges: 3 }, { vertices: 4, edges: 1 }]) {
      expect(await reason(read(body, { ...part, ...wrong }))).toBe(
        damaged('does not hold the records its manifest lists'),
      );
    }
  });

  it('refuses a part that is not gzip, or holds bytes that are not UTF-8, as unreadable', async () => {
    const plain = Buffer.from(`${lines(RECORDS).join('\n')}\n`);
    expect(await reason(read(plain, entry(plain, RECORDS)))).toBe(damaged('cannot be read'));
    const latin1 = gzipSync(Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
    for (const chunk of [3, 1 << 20])
      expect(await reason(read(latin1, entry(latin1, []), chunk))).toBe(damaged('cannot be read'));
  });

  it('refuses a line that is not a record, whether the part comes in one chunk or many', async () => {
    for (const chunk of [3, 1 << 20])
      for (const line of ['{"vertex":"a"}', 'not json', '{"source":"a","label":"x","properties":{}}']) {
        const body = gz([line]);
        expect(await reason(read(body, entry(body, []), chunk))).toBe(
          damaged('holds a record that is not valid'),
        );
      }
  });

  it("passes a transfer's own error on as it is, for a retry", async () => {
    const failing = {
      stream: async () =>
        new Readable({
          read() {
            this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
          },
        }),
    } as unknown as BlobStore;
    const part = entry(gz([]), []);
    expect(await reason(readPart(failing, 'folder/', part, async () => undefined))).toBe(
      'ECONNRESET: socket hang up',
    );
  });
});

const pick = <T extends object, K extends keyof T>(o: T, keys: K[]) =>
  Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
