import type { Item } from '../../core/store.js';
import type { DataItem } from './data-keys.js';

/**
 * Element counts kept by the writes themselves, so that GET graph, the summary and a backup's expected
 * counts read a handful of items instead of counting the data.
 *
 * A generation of a graph has COUNTER_SHARDS counter items in the control table, pk
 * `COUNTS#{graphId}#{generation}`, sk `COUNTS#{n}`: fixed keys, read with as many GetItems, and
 * changed where every function that writes data may change them (UpdateItem on the control table).
 * Every write transaction adds its change to one of them (consecutive chunks of a batch, different
 * ones: no hot item). An item holds:
 * - `V#{label}` / `E#{label}`: what the writes added, a number per kind and label (an entry may be
 *   negative: a vertex relabelled);
 * - `P#{part}#{V|E}#{label}`: what a restore loaded from one part, set (not added), so a part loaded
 *   twice counts once; a part's entries live on the item its name hashes to;
 * - `settled#{batchId}`: a dead batch's change was counted by the job that settled it (once).
 * The counts of the generation are the sums over its items.
 */
export const COUNTER_SHARDS = 8;

export type LabelCounts = { vertex: Record<string, number>; edge: Record<string, number> };

export const emptyCounts = (): LabelCounts => ({ vertex: {}, edge: {} });

export const counterKey = (graphId: string, generation: number, shard: number) => ({
  pk: `COUNTS#${graphId}#${generation}`,
  sk: `COUNTS#${shard % COUNTER_SHARDS}`,
});
export const counterKeys = (graphId: string, generation: number) =>
  Array.from({ length: COUNTER_SHARDS }, (_, shard) => counterKey(graphId, generation, shard));

/** The store reads a dot in an attribute name as "an entry of a map": `.` and `%` are escaped. */
const escaped = (s: string) => s.replaceAll('%', '%25').replaceAll('.', '%2E');
const unescaped = (s: string) => s.replace(/%(25|2E)/g, (m) => (m === '%25' ? '%' : '.'));

/** The attribute that counts one kind and label. */
export const counterAttribute = (kind: 'V' | 'E', label: string) => `${kind}#${escaped(label)}`;

/** The marker of a settled batch on its counter item. */
export const settledAttribute = (batchId: string) => `settled#${escaped(batchId)}`;

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

/** Counts as counter attributes, zero entries left out; with `part`, as that part's entries. */
export function counterAttributes(counts: LabelCounts, part?: string): Record<string, number> {
  const prefix = part === undefined ? '' : `P#${escaped(part)}#`;
  const attributes: Record<string, number> = {};
  for (const [label, n] of Object.entries(counts.vertex))
    if (n) attributes[prefix + counterAttribute('V', label)] = n;
  for (const [label, n] of Object.entries(counts.edge))
    if (n) attributes[prefix + counterAttribute('E', label)] = n;
  return attributes;
}

/** The kind and label an attribute counts (a part's entry or a write's), or undefined. */
function counted(name: string): { kind: 'V' | 'E'; label: string } | undefined {
  // A part's name holds no `#` (it is `format.ts`'s PART_KEY): its entry is P#{part}#{kind}#{label}.
  const rest = name.startsWith('P#') ? name.slice(name.indexOf('#', 2) + 1) : name;
  const kind = rest[0];
  if ((kind !== 'V' && kind !== 'E') || rest[1] !== '#') return undefined;
  return { kind, label: unescaped(rest.slice(2)) };
}

/** The sums over counter items, labels with nothing left out. */
export function sumCounters(items: Item[]): LabelCounts {
  const counts = emptyCounts();
  for (const item of items) {
    for (const [name, n] of Object.entries(item)) {
      const what = typeof n === 'number' ? counted(name) : undefined;
      if (what) tally(counts, what.kind, what.label, n as number);
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
