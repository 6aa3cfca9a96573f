import { describe, expect, it } from 'vitest';
import routes from '../../functions/routes.json' with { type: 'json' };
import { httpApi } from '../../lib/http/api.js';

const authenticate = async () => ({ projectId: 'p', roles: ['admin' as const] });
const ok = async () => ({});

describe('an HTTP function', () => {
  it('refuses, at init, to serve a route list other than the one declared for it', () => {
    const declared = routes.jobs;
    const table = Object.fromEntries(declared.map((key) => [key, ok]));
    expect(() => httpApi(declared, table, authenticate)).not.toThrow();
    expect(() => httpApi(declared, { ...table, 'GET /v1.0/{projectId}/extra': ok }, authenticate)).toThrow(
      /not those declared/,
    );
    const [, ...fewer] = declared;
    expect(() => httpApi(declared, Object.fromEntries(fewer.map((k) => [k, ok])), authenticate)).toThrow(
      /not those declared/,
    );
  });

  it('declares every route once, across all functions', () => {
    const all = Object.values(routes).flat();
    expect(new Set(all).size).toBe(all.length);
  });
});
