import { inject } from 'vitest';
import declared from '../../functions/routes.json' with { type: 'json' };
import { readServiceDefinition } from '../../local/resources.js';
import { transferBucket } from './aws.js';

/** One `httpApi: METHOD /path` event of serverless.yml. */
export type HttpRoute = {
  method: string;
  /** As declared: `/v1.0/{projectId}/graphs/{graphId}` */
  path: string;
  /** `METHOD /path`, API Gateway's routeKey */
  key: string;
  /** The tree it belongs to, which decides the error body's spelling. */
  tree: 'v1' | 'v2';
};

export type Service = {
  routes: HttpRoute[];
  tables: { control: string; graph: string };
  /** A bucket v2 export and import may name (`TRANSFER_BUCKETS`, its `*` filled in). */
  transferBucket: string;
};

/**
 * The HTTP API as serverless.yml declares it (resolved for the local stage, as a deploy would), so
 * that tests which must cover every endpoint grow with the API instead of keeping a list of their own.
 * The routes that need no credentials (the `console` function's: the console's files and
 * openapi.json) are left out: these are the routes of a project, each behind its token.
 */
export async function readService(): Promise<Service> {
  const definition = await readServiceDefinition('local');
  const routes: HttpRoute[] = [];
  for (const [name, fn] of Object.entries(definition.functions)) {
    // The API's routes: the console's static files (functions/routes.json, `console`) take no credentials.
    if (name === 'console') continue;
    for (const event of fn.events ?? []) {
      const http = (event as { httpApi?: string | { method: string; path: string } }).httpApi;
      if (!http || http === '*') continue;
      const [method, path] = typeof http === 'string' ? http.split(/\s+/) : [http.method, http.path];
      if (!method || !path) throw new Error(`unreadable httpApi event: ${JSON.stringify(http)}`);
      const upper = method.toUpperCase();
      if (declared.console.includes(`${upper} ${path}`)) continue;
      routes.push({
        method: upper,
        path,
        key: `${upper} ${path}`,
        tree: path.startsWith('/v2/') ? 'v2' : 'v1',
      });
    }
  }
  // The routes are the same on every stage; the names are the target's (test/e2e/global-setup.ts).
  return { routes, tables: inject('tables'), transferBucket: transferBucket('e2e') };
}

/** The names of a route's path parameters, in order: `['projectId', 'graphId']`. */
export const pathParameters = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);

/** The route's path with every parameter filled (URI-encoded); a parameter not given is a phantom id. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(values[name] ?? PHANTOM[name] ?? NOBODY),
  );
}

/** A well-formed id of each kind that names nothing. */
export const NOBODY = '00000000-0000-4000-8000-000000000000';
export const PHANTOM: Record<string, string> = {
  graphId: NOBODY,
  backupId: NOBODY,
  jobId: '0'.repeat(32),
  graphName: 'nosuchgraph',
  accessKeyId: 'NOSUCHACCESSKEY00000',
};

/** Does a concrete path match a declared one (a parameter matches one non-empty segment)? */
export function matches(declared: string, concrete: string): boolean {
  const a = declared.split('/');
  const b = concrete.split('/');
  return a.length === b.length && a.every((s, i) => (/^\{\w+\}$/.test(s) ? b[i] !== '' : s === b[i]));
}

/** The route with the tree taken out: `POST /{projectId}/graphs` for both `/v1.0/...` and `/v2/...`. */
export const routeShape = (route: HttpRoute) =>
  `${route.method} ${route.path.replace(/^\/(v1\.0|v2)\//, '/')}`;

export type Ids = {
  projectId: string;
  graphId: string;
  graphName: string;
  backupId: string;
  jobId: string;
  accessKeyId: string;
};

/** `known`: whether this table knows the route (one it does not know gets its path only). */
export type WellFormed = { path: string; query: Record<string, string>; body?: unknown; known: boolean };

/**
 * A request each route would carry out if the caller were allowed: the path filled with `ids`, and the
 * query and body the route needs (export and import name a folder of the project in `transferBucket`).
 * Routes this table does not know get their path only.
 */
export function wellFormedRequest(route: HttpRoute, ids: Ids, transferBucket: string): WellFormed {
  const v2 = route.tree === 'v2';
  const query: Record<string, string> = {};
  let body: unknown;
  let known = true;
  switch (routeShape(route)) {
    case 'GET /{projectId}/graphs/{graphId}':
    case 'POST /{projectId}/graphs/{graphId}/backups':
    case 'DELETE /{projectId}/graphs/{graphId}/backups/{backupId}':
    case 'GET /{projectId}/graphs/quotas':
    case 'GET /{projectId}/access-keys':
    case 'POST /{projectId}/access-keys/{accessKeyId}/disable':
    case 'DELETE /{projectId}/access-keys/{accessKeyId}':
    case 'GET /{projectId}/graphs/{graphId}/jobs/{jobId}/status':
    case 'POST /{projectId}/graphs/{graphId}/stop':
    case 'GET /ges/v1.0/{projectId}/graphs/{graphName}/summary':
      break;
    case 'POST /{projectId}/graphs':
      body = { graph: { name: 'intruder_graph' } };
      break;
    case 'POST /{projectId}/access-keys':
      body = { role: 'admin' };
      break;
    case 'GET /{projectId}/graphs':
    case 'GET /{projectId}/graphs/backups':
    case 'GET /{projectId}/graphs/{graphId}/backups':
      Object.assign(query, { offset: '0', limit: '10' });
      break;
    case 'GET /{projectId}/graphs/jobs':
      Object.assign(query, { offset: '0', limit: '10', status: 'success' });
      break;
    case 'DELETE /{projectId}/graphs/{graphId}':
      query[v2 ? 'keep_backup' : 'keepBackup'] = 'false';
      break;
    case 'POST /{projectId}/graphs/{graphId}/action':
      query.action_id = 'stop';
      break;
    case 'POST /{projectId}/graphs/{graphId}/start':
      body = { graph_backup_id: ids.backupId };
      break;
    case 'POST /{projectId}/graphs/{graphId}/backups/export':
      body = { backup_id: ids.backupId, export_path: `${transferBucket}/${ids.projectId}/exported` };
      break;
    case 'POST /{projectId}/graphs/{graphId}/backups/import':
      body = { import_path: `${transferBucket}/${ids.projectId}/imported` };
      break;
    case 'GET /{projectId}/graphs/{graphId}/backup-files':
      query.backup_id = ids.backupId;
      break;
    case 'POST /ges/v1.0/{projectId}/graphs/{graphName}/vertices/action':
      query.action_id = 'batch-add';
      body = { vertices: [{ vertex: 'intruder', label: 'user', properties: {} }] };
      break;
    case 'POST /ges/v1.0/{projectId}/graphs/{graphName}/edges/action':
      query.action_id = 'batch-add';
      body = { edges: [{ source: 'intruder', target: 'intruder', label: 'knows', properties: {} }] };
      break;
    default:
      known = false;
  }
  return { path: fillPath(route.path, { ...ids }), query, ...(body !== undefined && { body }), known };
}

/** The routes that manage access (access keys): an admin's only, whatever the method. */
export const isAdminRoute = (route: HttpRoute) => route.path.includes('/access-keys');

/** `path?query` */
export const withQuery = (path: string, query: Record<string, string>) => {
  const q = new URLSearchParams(query).toString();
  return q ? `${path}?${q}` : path;
};
