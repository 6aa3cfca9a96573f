import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import document from '../../openapi.json' with { type: 'json' };

/**
 * Every answer an end-to-end test sees is checked against openapi.json: the schema of its route's
 * operation for its status (draft 2020-12, as OpenAPI 3.1's schemas are). A request that names no
 * route of the document (an unknown path or method, which the tests send on purpose) has nothing to
 * be checked against.
 */

type Operation = { responses: Record<string, { content?: Record<string, { schema: object }> }> };
type Route = { method: string; path: string; segments: string[]; literals: number; op: Operation };

const ROUTES: Route[] = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(
  ([path, operations]) =>
    Object.entries(operations).map(([method, op]) => {
      const segments = path.split('/');
      const literals = segments.filter((s) => !/^\{\w+\}$/.test(s)).length;
      return { method: method.toUpperCase(), path, segments, literals, op };
    }),
);

const ajv = new Ajv2020({ allErrors: true, strict: true });
// ajv-formats is CommonJS: its plugin is the module itself or its default, as the loader hands it over.
((formats as unknown as { default?: typeof formats }).default ?? formats)(ajv);
ajv.addKeyword('components');
const validators = new Map<string, ValidateFunction | null>();

/**
 * The operation a request reaches, as API Gateway matches it: the same method, as many segments, a
 * parameter matching any one non-empty segment (`/console/{file}` stands for a greedy `{file+}`),
 * and the most literal segments winning (`/graphs/backups` over `/graphs/{graphId}`).
 */
export function routeOf(method: string, pathAndQuery: string): Route | undefined {
  const concrete = (pathAndQuery.split('?', 1)[0] ?? '').split('/');
  const fits = (route: Route) =>
    route.method === method &&
    (route.segments.length === concrete.length ||
      (route.path.startsWith('/console/') && concrete.length > route.segments.length)) &&
    route.segments.every((s, i) => (/^\{\w+\}$/.test(s) ? concrete[i] !== '' : s === concrete[i]));
  return ROUTES.filter(fits).sort((a, b) => b.literals - a.literals)[0];
}

/** Why the answer does not match the document, or undefined when it does (or names no route). */
export function mismatch(
  method: string,
  pathAndQuery: string,
  status: number,
  body: unknown,
): string | undefined {
  const route = routeOf(method, pathAndQuery);
  if (!route) return undefined;
  const where = `${method} ${route.path} (${pathAndQuery}) answered ${status}`;
  const key = `${route.method} ${route.path} ${status}`;
  if (!validators.has(key)) {
    const response = route.op.responses[String(status)];
    if (!response) {
      validators.set(key, null);
    } else {
      const content = response.content ?? {};
      const schema = (content['application/json'] ?? Object.values(content)[0])?.schema ?? {};
      const id = `https://ges-backup.invalid/openapi/${encodeURIComponent(key)}`;
      validators.set(key, ajv.compile({ $id: id, ...schema, components: document.components }));
    }
  }
  const validate = validators.get(key);
  if (!validate) return `${where}: openapi.json documents no ${status} for it`;
  if (validate(body)) return undefined;
  return `${where}, which openapi.json does not describe: ${ajv.errorsText(validate.errors)}; body ${JSON.stringify(body).slice(0, 500)}`;
}
