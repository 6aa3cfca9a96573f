import type { ApiVersion } from './responses.js';

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** v2 spells every key of a management-plane body in snake_case: `jobId` → `job_id`. */
export function toSnakeCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toSnakeCase);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), toSnakeCase(v)]));
  }
  return value;
}

/** The body a route returns, in the spelling of the tree it was called on. */
export const onTheWire = (body: unknown, version: ApiVersion) =>
  version === 'v2' ? toSnakeCase(body) : body;
