import {
  type Action,
  type Condition,
  type Item,
  indexKeys,
  type Key,
  type Outcome,
  type Page,
  type Query,
  type Store,
  type Table,
  type Update,
} from '../core/store.js';

/** DynamoDB's own page size bound, in items here (it counts bytes): enough to make paging real. */
const DEFAULT_PAGE = 1000;

const itemId = (key: Key) => `${key.pk}\u0000${key.sk}`;
const keyOf = (action: Action): Key => {
  if ('put' in action) return { pk: String(action.put.pk), sk: String(action.put.sk) };
  if ('update' in action) return action.update;
  if ('delete' in action) return action.delete;
  return action.check;
};

/** DynamoDB orders string keys by their UTF-8 bytes. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

function holds(c: Condition, item: Item | undefined): boolean {
  const value = (path: string) => {
    const dot = path.indexOf('.');
    if (dot < 0) return item?.[path];
    const map = item?.[path.slice(0, dot)];
    return map && typeof map === 'object' ? (map as Item)[path.slice(dot + 1)] : undefined;
  };
  if ('exists' in c) return value(c.exists) !== undefined;
  if ('absent' in c) return value(c.absent) === undefined;
  if ('eq' in c) return value(c.eq[0]) !== undefined && same(value(c.eq[0]), c.eq[1]);
  // DynamoDB: `a <> v` is true when `a` is absent.
  if ('ne' in c) return !same(value(c.ne[0]), c.ne[1]);
  if ('lt' in c) return typeof value(c.lt[0]) === 'number' && (value(c.lt[0]) as number) < c.lt[1];
  if ('le' in c) return typeof value(c.le[0]) === 'number' && (value(c.le[0]) as number) <= c.le[1];
  if ('in' in c) return c.in[1].some((v) => value(c.in[0]) !== undefined && same(value(c.in[0]), v));
  if ('and' in c) return c.and.every((x) => holds(x, item));
  return c.or.some((x) => holds(x, item));
}

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

function applyUpdate(before: Item | undefined, key: Key, u: Update): Item {
  const item: Item = structuredClone(before ?? { pk: key.pk, sk: key.sk });
  const at = (path: string): [Item, string] => {
    const dot = path.indexOf('.');
    if (dot < 0) return [item, path];
    const map = item[path.slice(0, dot)];
    if (!map || typeof map !== 'object') throw new Error(`ValidationException: no map at ${path}`);
    return [map as Item, path.slice(dot + 1)];
  };
  for (const [path, v] of Object.entries(u.set ?? {})) {
    if (v === undefined) continue;
    const [target, name] = at(path);
    target[name] = structuredClone(v);
  }
  for (const [path, v] of Object.entries(u.add ?? {})) {
    const [target, name] = at(path);
    const current = target[name];
    if (typeof v === 'number') target[name] = (typeof current === 'number' ? current : 0) + v;
    else target[name] = new Set([...((current as Set<string> | undefined) ?? []), ...v]);
  }
  for (const path of u.remove ?? []) {
    const [target, name] = at(path);
    delete target[name];
  }
  return item;
}

/**
 * The store in memory, for unit tests of the rules above it: the same semantics as DynamoDB for
 * everything the port offers (conditions on absent items, all-or-nothing transactions, one action per
 * item, sets, key order, paging), proven by running the same contract suite as `DynamoStore`.
 */
export class MemoryStore implements Store {
  private readonly tables: Record<Table, Map<string, Item>> = { control: new Map(), graph: new Map() };

  async transact(actions: Action[]): Promise<Outcome> {
    if (actions.length > 100) throw new Error('ValidationException: more than 100 actions');
    const ids = actions.map((a) => `${a.table}\u0000${itemId(keyOf(a))}`);
    if (new Set(ids).size !== ids.length) {
      throw new Error('ValidationException: two actions on one item in a transaction');
    }
    const refused = actions.flatMap((a) => {
      const item = this.tables[a.table].get(itemId(keyOf(a)));
      return a.if && !holds(a.if, item) ? [{ name: a.name, item: item && structuredClone(item) }] : [];
    });
    if (refused.length) return { ok: false, refused };
    for (const a of actions) this.write(a);
    return { ok: true };
  }

  apply(action: Action): Promise<Outcome> {
    return this.transact([action]);
  }

  async updateReturning(action: Extract<Action, { update: Key }>): Promise<Item | undefined> {
    const outcome = await this.transact([action]);
    return outcome.ok ? structuredClone(this.tables[action.table].get(itemId(action.update))) : undefined;
  }

  async get(table: Table, key: Key): Promise<Item | undefined> {
    const item = this.tables[table].get(itemId(key));
    return item && structuredClone(item);
  }

  async query(query: Query): Promise<Page> {
    const keys = indexKeys(query.index);
    const sortKey = (item: Item) => String(item[keys.sk]);
    const inRange = (sk: string) => {
      const r = query.range;
      if (!r) return true;
      if ('beginsWith' in r) return sk.startsWith(r.beginsWith);
      if ('between' in r) return byBytes(sk, r.between[0]) >= 0 && byBytes(sk, r.between[1]) <= 0;
      if ('below' in r) return byBytes(sk, r.below) < 0;
      return byBytes(sk, r.upTo) <= 0;
    };
    // An item is in an index only when it has both of the index's keys (sparse indexes).
    let matching = [...this.tables[query.table].values()]
      .filter((item) => item[keys.pk] === query.pk && item[keys.sk] !== undefined && inRange(sortKey(item)))
      .sort((a, b) => byBytes(sortKey(a), sortKey(b)) || byBytes(String(a.sk), String(b.sk)));
    if (query.forward === false) matching.reverse();
    if (query.startKey) {
      const start = query.startKey;
      const at = matching.findIndex((item) => item.pk === start.pk && item.sk === start.sk);
      matching = at < 0 ? [] : matching.slice(at + 1);
    }
    const limit = query.limit ?? DEFAULT_PAGE;
    const page = matching.slice(0, limit);
    const last = page.at(-1);
    const nextKey =
      last && matching.length > limit
        ? Object.fromEntries([...new Set(['pk', 'sk', keys.pk, keys.sk])].map((k) => [k, last[k]] as const))
        : undefined;
    const project = (item: Item): Item => {
      if (!query.attributes) return structuredClone(item);
      return Object.fromEntries(
        [...new Set([...query.attributes])]
          .filter((a) => a in item)
          .map((a) => [a, structuredClone(item[a])]),
      );
    };
    return { items: query.count ? [] : page.map(project), count: page.length, nextKey };
  }

  async writeMany(table: Table, writes: { put: Item[]; delete: Key[] }): Promise<void> {
    for (const put of writes.put) this.write({ name: 'put', table, put });
    for (const key of writes.delete) this.write({ name: 'delete', table, delete: key });
  }

  /** Every item of a table, for tests that look at what is stored. */
  items(table: Table): Item[] {
    return [...this.tables[table].values()].map((item) => structuredClone(item));
  }

  private write(a: Action): void {
    const items = this.tables[a.table];
    const id = itemId(keyOf(a));
    if ('put' in a) items.set(id, structuredClone(a.put));
    else if ('delete' in a) items.delete(id);
    else if ('update' in a) items.set(id, applyUpdate(items.get(id), a.update, a.change));
  }
}
