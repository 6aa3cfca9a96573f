import type { Item } from '../../core/store.js';
import type { DataItem } from './data-keys.js';

/**
 * Element counts kept by the writes themselves, so that GET graph, the summary and a backup's expected
 * counts read a handful of items instead of counting the data.
 *
 * All the counters of one generation of a graph live in one partition of the graph table,
 * `{graphId}#{generation}#counts` (never a data shard's key: shards are numbers), so that dropping the
 * generation drops them too. Its items:
 * - `w#{n}`, n < COUNTER_SHARDS: changed by data-plane writes, an `add` in the same transaction as the
 *   puts (each transaction picks one, so concurrent batches do not all queue on one hot item);
 * - `load#{part}`: set (not added) by a restore for each part it loaded, so a part loaded twice
 *   counts once.
 * Every item holds one number per kind and label, `V#{label}` / `E#{label}`; the counts of the
 * generation are the sums over its items (a `w#` entry may be negative: a vertex relabelled).
 */
export const COUNTER_SHARDS = 16;

export type LabelCounts = { vertex: Record<string, number>; edge: Record<string, number> };

export const emptyCounts = (): LabelCounts => ({ vertex: {}, edge: {} });

export const countsKey = (graphId: string, generation: number) => `${graphId}#${generation}#counts`;
export const writeCounterKey = (graphId: string, generation: number, shard: number) => ({
  pk: countsKey(graphId, generation),
  sk: `w#${String(shard).padStart(2, '0')}`,
});
export const loadCounterKey = (graphId: string, generation: number, part: string) => ({
  pk: countsKey(graphId, generation),
  sk: `load#${part}`,
});

/**
 * The attribute that counts one kind and label. The store reads a dot as "an entry of a map", so `.`
 * (and `%`, the escape) are percent-escaped; `labelOf` reads it back in one pass.
 */
export const counterAttribute = (kind: 'V' | 'E', label: string) =>
  `${kind}#${label.replaceAll('%', '%25').replaceAll('.', '%2E')}`;
const labelOf = (s: string) => s.replace(/%(25|2E)/g, (m) => (m === '%25' ? '%' : '.'));

/** Adds `n` of one kind and label to `counts`. */
export function tally(counts: LabelCounts, kind: 'V' | 'E', label: string, n = 1): void {
  const byLabel = kind === 'V' ? counts.vertex : counts.edge;
  const value = (Object.hasOwn(byLabel, label) ? (byLabel[label] as number) : 0) + n;
  // An own property, so that a label such as `__proto__` is counted like any other.
  Object.defineProperty(byLabel, label, { value, writable: true, enumerable: true, configurable: true });
}

/** The counts of some items, by kind and label. */
export function countItems(items: Pick<DataItem, 'k' | 'l'>[], into: LabelCounts = emptyCounts()) {
  for (const item of items) tally(into, item.k, item.l);
  return into;
}

/** Counts as counter attributes, zero entries left out. */
export function counterAttributes(counts: LabelCounts): Record<string, number> {
  const attributes: Record<string, number> = {};
  for (const [label, n] of Object.entries(counts.vertex)) if (n) attributes[counterAttribute('V', label)] = n;
  for (const [label, n] of Object.entries(counts.edge)) if (n) attributes[counterAttribute('E', label)] = n;
  return attributes;
}

/** The sums over counter items, labels with nothing left out. */
export function sumCounters(items: Item[]): LabelCounts {
  const counts = emptyCounts();
  for (const item of items) {
    for (const [name, n] of Object.entries(item)) {
      if (typeof n !== 'number' || !(name.startsWith('V#') || name.startsWith('E#'))) continue;
      tally(counts, name[0] as 'V' | 'E', labelOf(name.slice(2)), n);
    }
  }
  for (const byLabel of [counts.vertex, counts.edge])
    for (const [label, n] of Object.entries(byLabel)) if (!n) delete byLabel[label];
  return counts;
}

const total = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
export const totals = (counts: LabelCounts) => ({
  vertices: total(counts.vertex),
  edges: total(counts.edge),
});
