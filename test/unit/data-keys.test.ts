import { describe, expect, it } from 'vitest';
import { fnv1a, fromItem, shardOf, toItem } from '../../lib/records/graphs/data-keys.js';

describe('graph data keys', () => {
  it('computes FNV-1a as published (test vectors)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('keeps an edge in its source vertex shard', () => {
    const edge = toItem('g', 3, 16, { source: 'alice', target: 'bob', label: 'knows', properties: {} });
    const source = toItem('g', 3, 16, { vertex: 'alice', label: 'user', properties: {} });
    expect(edge.pk).toBe(source.pk);
    expect(edge.pk).toBe(`g#3#${shardOf('alice', 16)}`);
  });

  it('escapes # and % so that a sort key parses one way only', () => {
    const a = toItem('g', 1, 1, { source: 'a#b', target: 'c', label: 'l', properties: {} });
    const b = toItem('g', 1, 1, { source: 'a', target: 'c', label: 'b#l', properties: {} });
    expect(a.sk).toBe('E#a%23b#l#c');
    expect(a.sk).not.toBe(b.sk);
    expect(toItem('g', 1, 1, { vertex: '100%', label: 'l', properties: {} }).sk).toBe('V#100%25');
  });

  it('round-trips an element through its item, non-ASCII included', () => {
    const vertex = { vertex: '東京', label: 'city', properties: { name: ['Tōkyō', ''], tags: [] } };
    expect(fromItem(toItem('g', 1, 8, vertex))).toEqual(vertex);
  });
});
