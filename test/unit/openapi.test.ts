import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import routes from '../../functions/routes.json' with { type: 'json' };
import { buildDocument, OPENAPI_FILE, openApiPath, renderDocument } from '../../scripts/openapi.js';

const committed = () => readFileSync(OPENAPI_FILE, 'utf8');
type Doc = {
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
};

describe('openapi.json', () => {
  it('is what scripts/openapi.ts makes from the schemas (run npm run openapi after a change)', () => {
    expect(committed()).toBe(renderDocument());
  });

  it('describes every route of functions/routes.json, and no other', () => {
    const doc = JSON.parse(committed()) as Doc;
    const described = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // `*` is the catch-all (whatever no route serves): no operation of its own.
    const declared = Object.values(routes)
      .flat()
      .filter((key) => key !== '*')
      .map((key) => openApiPath(key));
    expect(described.sort()).toEqual(declared.sort());
  });

  it("gives every API route its tree's error bodies and credentials; only the public files need none", () => {
    const doc = buildDocument() as unknown as Doc;
    const errorOf = (path: string) => (path.startsWith('/v2/') ? 'ErrorV2' : 'ErrorV1');
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const key = `${method.toUpperCase()} ${path}`;
        if (routes.console.map(openApiPath).includes(key)) {
          expect(op.security, key).toEqual([]);
          continue;
        }
        expect(op.security, key).toBeUndefined();
        expect(Object.keys(op.responses).sort(), key).toEqual(
          ['200', '400', '401', '403', '404', '408', '500', '503'].sort(),
        );
        for (const status of ['400', '401', '403', '408', '500', '503']) {
          expect(JSON.stringify(op.responses[status]), `${key} ${status}`).toContain(
            `#/components/schemas/${errorOf(path)}"`,
          );
        }
      }
    }
    expect(JSON.stringify(buildDocument())).toContain('"security":[{"token":[]},{"akSk":[]}]');
  });
});
