import type { Edge, GraphElement, Vertex } from './model.js';
import { isVertex } from './model.js';

/**
 * The key scheme of the graph data table, a sharded adjacency list:
 * - pk `{graphId}#{generation}#{shard}` with `shard = fnv1a(vertexId) mod shards`;
 * - sk `V#{vertexId}` for a vertex, `E#{source}#{label}#{target}` for an edge, kept in its source's shard.
 * `#` and `%` inside ids and labels are percent-escaped so that the sort key parses one way only.
 * Each shard is one unit of parallel work for snapshot and restore.
 */
export const shardKey = (graphId: string, generation: number, shard: number) =>
  `${graphId}#${generation}#${shard}`;

const escapeKeyPart = (s: string) => s.replaceAll('%', '%25').replaceAll('#', '%23');

/** 32-bit FNV-1a over the UTF-8 bytes: stable across runtimes and cheap. */
export function fnv1a(s: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(s, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export const shardOf = (vertexId: string, shards: number) => fnv1a(vertexId) % shards;

export type DataItem = {
  pk: string;
  sk: string;
  /** `V` or `E` */
  k: 'V' | 'E';
  /** vertex id, or the edge's source */
  s: string;
  /** the edge's target (edges only) */
  t?: string;
  l: string;
  /** properties as JSON: stored whole, restored exactly */
  p: string;
};

export function toItem(graphId: string, generation: number, shards: number, e: GraphElement): DataItem {
  if (isVertex(e)) {
    return {
      pk: shardKey(graphId, generation, shardOf(e.vertex, shards)),
      sk: `V#${escapeKeyPart(e.vertex)}`,
      k: 'V',
      s: e.vertex,
      l: e.label,
      p: JSON.stringify(e.properties),
    };
  }
  return {
    pk: shardKey(graphId, generation, shardOf(e.source, shards)),
    sk: `E#${escapeKeyPart(e.source)}#${escapeKeyPart(e.label)}#${escapeKeyPart(e.target)}`,
    k: 'E',
    s: e.source,
    t: e.target,
    l: e.label,
    p: JSON.stringify(e.properties),
  };
}

/** What an element is, as stored: its item without the keys (which a read may leave out). */
export type StoredElement = Pick<DataItem, 'k' | 's' | 't' | 'l' | 'p'>;
/** The attributes of a StoredElement: what a reader of whole elements asks DynamoDB for. */
export const ELEMENT_ATTRIBUTES = ['k', 's', 't', 'l', 'p'] as const;

export function fromItem(item: StoredElement): Vertex | Edge {
  const properties = JSON.parse(item.p) as Record<string, string[]>;
  return item.k === 'V'
    ? { vertex: item.s, label: item.l, properties }
    : { source: item.s, target: item.t ?? '', label: item.l, properties };
}
