import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { queryAll, type Store, when } from '../../lib/core/store.js';

/**
 * What every store must do: the one contract suite that both the DynamoDB adapter (integration) and
 * the in-memory store (unit) pass, so that unit tests on memory mean what they say of DynamoDB.
 * `make` gives a store on empty tables (or tables where this suite's random keys are unused).
 */
export function storeContract(name: string, make: () => Promise<Store>) {
  describe(`the store contract: ${name}`, () => {
    const fresh = () => `T${randomBytes(6).toString('hex')}`;

    it('puts on condition, and names the action that did not hold with the item as it was', async () => {
      const store = await make();
      const pk = fresh();
      const put = {
        name: 'put it',
        table: 'control' as const,
        put: { pk, sk: 'A', n: 1 },
        if: when.absent('pk'),
      };
      expect(await store.apply(put)).toEqual({ ok: true });
      const again = await store.apply({ ...put, put: { pk, sk: 'A', n: 2 } });
      expect(again.ok).toBe(false);
      expect(again.ok ? [] : again.refused).toEqual([{ name: 'put it', item: { pk, sk: 'A', n: 1 } }]);
      expect(await store.get('control', { pk, sk: 'A' })).toEqual({ pk, sk: 'A', n: 1 });
    });

    it('applies a transaction whole or not at all, naming every action whose condition failed', async () => {
      const store = await make();
      const pk = fresh();
      await store.apply({ name: 'seed', table: 'control', put: { pk, sk: 'held', status: 'busy' } });
      const outcome = await store.transact([
        { name: 'write a', table: 'control', put: { pk, sk: 'a' } },
        {
          name: 'lock b',
          table: 'control',
          update: { pk, sk: 'held' },
          change: { set: { status: 'mine' } },
          if: when.eq('status', 'free'),
        },
        { name: 'check c', table: 'control', check: { pk, sk: 'c' }, if: when.exists('pk') },
      ]);
      expect(outcome.ok).toBe(false);
      expect((outcome.ok ? [] : outcome.refused).map((r) => r.name).sort()).toEqual(['check c', 'lock b']);
      expect(await store.get('control', { pk, sk: 'a' })).toBeUndefined();
      expect(await store.get('control', { pk, sk: 'held' })).toMatchObject({ status: 'busy' });
      const ok = await store.transact([
        { name: 'write a', table: 'control', put: { pk, sk: 'a' } },
        {
          name: 'lock b',
          table: 'control',
          update: { pk, sk: 'held' },
          change: { set: { status: 'mine' } },
          if: when.eq('status', 'busy'),
        },
      ]);
      expect(ok).toEqual({ ok: true });
      expect(await store.get('control', { pk, sk: 'held' })).toMatchObject({ status: 'mine' });
    });

    it('refuses two actions on one item in one transaction', async () => {
      const store = await make();
      const pk = fresh();
      await expect(
        store.transact([
          { name: 'one', table: 'control', put: { pk, sk: 'x' } },
          { name: 'two', table: 'control', update: { pk, sk: 'x' }, change: { set: { a: 1 } } },
        ]),
      ).rejects.toThrow();
    });

    it('sets, adds, removes, writes map entries and joins string sets', async () => {
      const store = await make();
      const key = { pk: fresh(), sk: 'job' };
      const first = await store.updateReturning({
        name: 'start',
        table: 'control',
        update: key,
        change: { set: { status: 'running', parts: {}, gone: 'x' }, add: { attempts: 1 } },
      });
      expect(first).toMatchObject({ ...key, status: 'running', parts: {}, attempts: 1 });
      const second = await store.updateReturning({
        name: 'record',
        table: 'control',
        update: key,
        change: {
          set: { 'parts.3.0': { bytes: 5 } },
          add: { attempts: 1, done: new Set(['a']) },
          remove: ['gone'],
        },
        if: when.eq('status', 'running'),
      });
      expect(second).toMatchObject({ parts: { '3.0': { bytes: 5 } }, attempts: 2 });
      expect(second?.gone).toBeUndefined();
      const third = await store.updateReturning({
        name: 'again',
        table: 'control',
        update: key,
        change: { add: { done: new Set(['a', 'b']) } },
      });
      expect([...((third?.done as Set<string> | undefined) ?? [])].sort()).toEqual(['a', 'b']);
      expect(
        await store.updateReturning({
          name: 'fenced',
          table: 'control',
          update: key,
          change: { set: { x: 1 } },
          if: when.eq('status', 'pending'),
        }),
      ).toBeUndefined();
    });

    it('evaluates conditions as DynamoDB does on absent attributes', async () => {
      const store = await make();
      const key = { pk: fresh(), sk: 'c' };
      await store.apply({ name: 'seed', table: 'control', put: { ...key, n: 5, s: 'a' } });
      const holds = async (condition: Parameters<typeof when.and>[0]) =>
        (
          await store.apply({
            name: 'check',
            table: 'control',
            update: key,
            change: { set: { t: 1 } },
            if: condition,
          })
        ).ok;
      expect(await holds(when.ne('missing', 'x'))).toBe(true);
      expect(await holds(when.eq('missing', 'x'))).toBe(false);
      expect(await holds(when.lt('n', 6))).toBe(true);
      expect(await holds(when.lt('n', 5))).toBe(false);
      expect(await holds(when.le('n', 5))).toBe(true);
      expect(await holds(when.lt('missing', 6))).toBe(false);
      expect(await holds(when.in('s', ['b', 'a']))).toBe(true);
      expect(await holds(when.in('s', ['b']))).toBe(false);
      expect(await holds(when.or(when.absent('n'), when.lt('n', 1)))).toBe(false);
      expect(await holds(when.and(when.exists('pk'), when.eq('s', 'a')))).toBe(true);
      await store.apply({ name: 'map', table: 'control', update: key, change: { set: { m: { 'a.b': 1 } } } });
      expect(await holds(when.exists('m.a.b'))).toBe(true);
      expect(await holds(when.eq('m.a.b', 1))).toBe(true);
      expect(await holds(when.exists('m.c'))).toBe(false);
      expect(await holds(when.absent('m.c'))).toBe(true);
    });

    it('queries a partition in key order, by ranges, backwards, in pages, counted or projected', async () => {
      const store = await make();
      const pk = fresh();
      const sks = ['E#1', 'E#2', 'V#1', 'V#2', 'V#3'];
      await store.writeMany('graph', {
        put: sks.map((sk, i) => ({ pk, sk, k: sk[0], l: `l${i}`, p: '{}' })),
        delete: [],
      });
      const keys = (items: { sk?: unknown }[]) => items.map((i) => i.sk);
      expect(keys(await queryAll(store, { table: 'graph', pk }))).toEqual(sks);
      expect(keys(await queryAll(store, { table: 'graph', pk, range: { beginsWith: 'V#' } }))).toEqual([
        'V#1',
        'V#2',
        'V#3',
      ]);
      expect(keys(await queryAll(store, { table: 'graph', pk, range: { between: ['E#2', 'V#2'] } }))).toEqual(
        ['E#2', 'V#1', 'V#2'],
      );
      expect(keys(await queryAll(store, { table: 'graph', pk, range: { below: 'V#1' } }))).toEqual([
        'E#1',
        'E#2',
      ]);
      expect(keys(await queryAll(store, { table: 'graph', pk, range: { upTo: 'V#1' } }))).toEqual([
        'E#1',
        'E#2',
        'V#1',
      ]);
      expect(keys(await queryAll(store, { table: 'graph', pk, forward: false }))).toEqual([...sks].reverse());
      const first = await store.query({ table: 'graph', pk, limit: 2 });
      expect(keys(first.items)).toEqual(['E#1', 'E#2']);
      const second = await store.query({ table: 'graph', pk, limit: 2, startKey: first.nextKey });
      expect(keys(second.items)).toEqual(['V#1', 'V#2']);
      expect(keys(await queryAll(store, { table: 'graph', pk, limit: 2 }))).toEqual(sks);
      const counted = await store.query({ table: 'graph', pk, range: { beginsWith: 'V#' }, count: true });
      expect(counted.count).toBe(3);
      const projected = await store.query({ table: 'graph', pk, attributes: ['k', 'l'] });
      expect(projected.items[0]).toEqual({ k: 'E', l: 'l0' });
    });

    it('queries a sparse index only over the items that carry its keys', async () => {
      const store = await make();
      const pk = fresh();
      const index = `${pk}#DUE`;
      await store.transact([
        { name: 'a', table: 'control', put: { pk, sk: 'a', gsi2pk: index, gsi2sk: '002' } },
        { name: 'b', table: 'control', put: { pk, sk: 'b', gsi2pk: index, gsi2sk: '001' } },
        { name: 'c', table: 'control', put: { pk, sk: 'c' } },
      ]);
      expect(
        (await queryAll(store, { table: 'control', index: 'gsi2', pk: index })).map((i) => i.sk),
      ).toEqual(['b', 'a']);
      await store.apply({
        name: 'leave',
        table: 'control',
        update: { pk, sk: 'b' },
        change: { remove: ['gsi2pk', 'gsi2sk'] },
      });
      expect(
        (await queryAll(store, { table: 'control', index: 'gsi2', pk: index, range: { upTo: '003' } })).map(
          (i) => i.sk,
        ),
      ).toEqual(['a']);
    });

    it('writes and deletes many items in batches', async () => {
      const store = await make();
      const pk = fresh();
      const items = Array.from({ length: 60 }, (_, i) => ({ pk, sk: `V#${String(i).padStart(3, '0')}` }));
      await store.writeMany('graph', { put: items, delete: [] });
      expect((await queryAll(store, { table: 'graph', pk })).length).toBe(60);
      await store.writeMany('graph', {
        put: [],
        delete: items.slice(0, 55).map(({ pk, sk }) => ({ pk, sk })),
      });
      expect((await queryAll(store, { table: 'graph', pk })).map((i) => i.sk)).toEqual(
        items.slice(55).map((i) => i.sk),
      );
    });
  });
}
