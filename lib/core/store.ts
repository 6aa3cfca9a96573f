/**
 * The store port: the records of the service as items in two tables, changed by *named actions*.
 * A use case asks for "put the job", "lock the graph if it runs", "take a quota unit" and learns
 * *which* of them did not hold. One adapter speaks DynamoDB (`adapters/dynamo-store.ts`); an
 * in-memory one (`adapters/memory-store.ts`) passes the same contract suite
 * (`test/contract/store.contract.ts`), so the rules above it can be unit-tested in milliseconds.
 *
 * Conditions and updates are a small language of their own rather than DynamoDB expression strings,
 * so that both adapters can evaluate them and no record module writes an expression.
 */

/** `control`: graphs, jobs, backups, policies, tokens, counters. `graph`: the graphs' elements. */
export type Table = 'control' | 'graph';
export type Key = { pk: string; sk: string };
export type Item = Record<string, unknown>;

/**
 * A condition on the item as it is before the action (absent item: every attribute is absent). An
 * attribute `map.entry` names one entry of a map attribute, as in updates.
 */
export type Condition =
  | { exists: string }
  | { absent: string }
  | { eq: [string, unknown] }
  | { ne: [string, unknown] }
  | { lt: [string, number] }
  | { le: [string, number] }
  | { in: [string, unknown[]] }
  | { and: Condition[] }
  | { or: Condition[] };

export const when = {
  exists: (attribute: string): Condition => ({ exists: attribute }),
  absent: (attribute: string): Condition => ({ absent: attribute }),
  eq: (attribute: string, value: unknown): Condition => ({ eq: [attribute, value] }),
  ne: (attribute: string, value: unknown): Condition => ({ ne: [attribute, value] }),
  lt: (attribute: string, value: number): Condition => ({ lt: [attribute, value] }),
  le: (attribute: string, value: number): Condition => ({ le: [attribute, value] }),
  in: (attribute: string, values: unknown[]): Condition => ({ in: [attribute, values] }),
  and: (...all: Condition[]): Condition => ({ and: all }),
  or: (...any: Condition[]): Condition => ({ or: any }),
};

/**
 * `set` writes attributes; a key `map.entry` writes one entry of a map attribute (the part after the
 * first dot is the entry's name, dots and all). `add` adds to a number (absent counts as 0) or joins
 * a string set. `remove` deletes attributes.
 */
export type Update = {
  set?: Item;
  add?: Record<string, number | Set<string>>;
  remove?: string[];
};

export type Action =
  | { name: string; table: Table; put: Item; if?: Condition }
  | { name: string; table: Table; update: Key; change: Update; if?: Condition }
  | { name: string; table: Table; delete: Key; if?: Condition }
  | { name: string; table: Table; check: Key; if: Condition };

/** Which named actions did not hold, each with the item as it was (when the store can tell). */
export type Refused = { name: string; item: Item | undefined }[];

/** All actions were applied, or none and `refused` says which conditions failed. */
export type Outcome = { ok: true } | { ok: false; refused: Refused };

export type Index = 'gsi1' | 'gsi2';
/** A sort-key range: the whole partition when absent. */
export type Range =
  | { beginsWith: string }
  | { between: [string, string] }
  | { below: string }
  | { upTo: string };

export type Query = {
  table: Table;
  /** the base table's keys when absent */
  index?: Index;
  pk: string;
  range?: Range;
  /** newest (largest key) first when false */
  forward?: boolean;
  /** items per page at most (DynamoDB's 1 MB pages otherwise) */
  limit?: number;
  startKey?: Item | undefined;
  /** only these attributes (with the keys) */
  attributes?: string[];
  /** count the items without returning them */
  count?: boolean;
};

export type Page = { items: Item[]; count: number; nextKey: Item | undefined };

export type Store = {
  /** Applies every action or none; more than 100 actions or two on one item is a programming error. */
  transact(actions: Action[]): Promise<Outcome>;
  /** One update, returning the item as it now is; undefined when its condition did not hold. */
  updateReturning(action: Extract<Action, { update: Key }>): Promise<Item | undefined>;
  /** One action on its own (cheaper than a transaction of one). */
  apply(action: Action): Promise<Outcome>;
  get(table: Table, key: Key): Promise<Item | undefined>;
  /** One page of a query. */
  query(query: Query): Promise<Page>;
  /** Unconditional puts and deletes, batched and retried until every one is applied. */
  writeMany(table: Table, writes: { put: Item[]; delete: Key[] }): Promise<void>;
};

/** Every page of a query, one after another. */
export async function* pages(store: Pick<Store, 'query'>, query: Query): AsyncGenerator<Page> {
  let startKey = query.startKey;
  do {
    const page = await store.query({ ...query, startKey });
    yield page;
    startKey = page.nextKey;
  } while (startKey);
}

/** Every item of a query. */
export async function queryAll(store: Pick<Store, 'query'>, query: Query): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of pages(store, query)) items.push(...page.items);
  return items;
}

/** Was this action among the refused? */
export const refusedAction = (outcome: Outcome, name: string) =>
  outcome.ok ? undefined : outcome.refused.find((r) => r.name === name);

/** The key attributes of an index: `pk`/`sk` on the table itself. */
export const indexKeys = (index: Index | undefined) =>
  index ? { pk: `${index}pk`, sk: `${index}sk` } : { pk: 'pk', sk: 'sk' };

/** The attribute names a store keeps out of records: keys of the table and of its indexes. */
export const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'] as const;

/** An item without its key attributes: the record it stores. */
export function withoutKeys(item: Item): Item {
  const record: Item = { ...item };
  for (const key of KEY_ATTRIBUTES) delete record[key];
  return record;
}
