import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContentDigest, partFileName, recordLine } from '../../lib/records/backups/format.js';
import { toItem } from '../../lib/records/graphs/data-keys.js';

const vertex = (id: string, props: Record<string, string[]> = {}) =>
  toItem('g', 1, 4, { vertex: id, label: 'user', properties: props });

describe('recordLine', () => {
  it('writes a vertex in the data-plane shape with its properties sorted by name', () => {
    const line = recordLine(vertex('1', { name: ['Zoë'], age: ['18', '19'] }));
    expect(line).toBe('{"vertex":"1","label":"user","properties":{"age":["18","19"],"name":["Zoë"]}}');
  });

  it('writes an edge in the data-plane shape', () => {
    const item = toItem('g', 1, 4, { source: 'a', target: 'b', label: 'rate', properties: { score: ['5'] } });
    expect(JSON.parse(recordLine(item))).toEqual({
      source: 'a',
      target: 'b',
      label: 'rate',
      properties: { score: ['5'] },
    });
  });

  it('gives two spellings of the same properties one line', () => {
    expect(recordLine(vertex('1', { a: ['1'], b: ['2'] }))).toBe(
      recordLine(vertex('1', { b: ['2'], a: ['1'] })),
    );
  });
});

describe('ContentDigest', () => {
  const digestOf = (lines: string[]) => {
    const d = new ContentDigest();
    for (const l of lines) d.add(l);
    return d.hex();
  };

  it('does not depend on the order of the records', () => {
    expect(digestOf(['a', 'b', 'c'])).toBe(digestOf(['c', 'a', 'b']));
  });

  it('adds up parts digested apart to the digest of the whole', () => {
    const whole = new ContentDigest();
    whole.merge(digestOf(['a', 'b']));
    whole.merge(digestOf(['c']));
    expect(whole.hex()).toBe(digestOf(['a', 'b', 'c']));
  });

  it('tells a record present twice from a record present once', () => {
    expect(digestOf(['a', 'a'])).not.toBe(digestOf(['a']));
    expect(digestOf(['a', 'a'])).not.toBe(digestOf([]));
  });

  it('is 64 hex characters, all zeros for nothing', () => {
    expect(digestOf([])).toBe('0'.repeat(64));
    expect(digestOf(['x'])).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the sum of the lines’ SHA-256 modulo 2^256, as the format defines it, over many lines', () => {
    // Enough lines that the sum wraps around 2^256 many times and is reduced on the way.
    const lines = Array.from({ length: 3000 }, (_, i) => `{"vertex":"${i}","label":"l","properties":{}}`);
    const sha = (line: string) => BigInt(`0x${createHash('sha256').update(line, 'utf8').digest('hex')}`);
    const sum = lines.reduce((n, line) => (n + sha(line)) % 2n ** 256n, 0n);
    expect(digestOf(lines)).toBe(sum.toString(16).padStart(64, '0'));
    // A digest merged into a sum near 2^256 wraps the same way.
    const near = new ContentDigest();
    near.merge('f'.repeat(64));
    near.merge(digestOf(['a']));
    expect(near.hex()).toBe(((2n ** 256n - 1n + sha('a')) % 2n ** 256n).toString(16).padStart(64, '0'));
  });
});

describe('partFileName', () => {
  it('names a part by its shard, its segment and the run that wrote it', () => {
    expect(partFileName(7, 2, '0123456789abcdef')).toBe('part-00007-002-01234567.jsonl.gz');
  });
});
