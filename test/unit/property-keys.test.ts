import { describe, expect, it } from 'vitest';
import { canonicalLine } from '../../lib/records/backups/format.js';
import { fromItem, toItem } from '../../lib/records/graphs/data-keys.js';
import { vertexBatchSchema } from '../../lib/records/graphs/model.js';

/** Keys that name something on Object.prototype, the ones a careless record builder loses. */
const TRICKY = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

describe('property keys', () => {
  it('are kept as sent, whatever they are named, from the body to the store and back', () => {
    const properties = Object.fromEntries(TRICKY.map((k, i) => [k, [`v${i}`]]));
    const body = `{"vertices":[{"vertex":"1","label":"l","properties":{${TRICKY.map((k, i) => `"${k}":["v${i}"]`).join(',')}}}]}`;
    const [vertex] = vertexBatchSchema.parse(JSON.parse(body)).vertices;
    expect(Object.keys(vertex?.properties ?? {}).sort()).toEqual([...TRICKY].sort());
    expect(Object.getPrototypeOf(vertex?.properties)).toBe(Object.prototype);
    const stored = fromItem(toItem('g', 1, 8, vertex as NonNullable<typeof vertex>));
    expect(Object.entries(stored.properties).sort()).toEqual(Object.entries(properties).sort());
    for (const key of TRICKY) expect(canonicalLine(stored)).toContain(`"${key}":[`);
  });

  it('are refused with a reason when they are not a name and a list of strings', () => {
    const bad = vertexBatchSchema.safeParse(
      JSON.parse('{"vertices":[{"vertex":"1","label":"l","properties":{"__proto__":"x"}}]}'),
    );
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('__proto__');
    expect(
      vertexBatchSchema.safeParse({ vertices: [{ vertex: '1', label: 'l', properties: [] }] }).success,
    ).toBe(false);
  });
});
