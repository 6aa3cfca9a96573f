/**
 * The OpenAPI 3.1 document of the whole API (`npm run openapi` writes openapi.json): every route of
 * functions/routes.json, described from the zod schemas the handlers validate with
 * (lib/http/params.ts, and the data plane's in lib/records/graphs/model.ts) and the schemas their
 * answers are typed against (lib/http/response-schemas.ts), by @asteasolutions/zod-to-openapi.
 * test/unit/openapi.test.ts fails while the committed openapi.json differs from what this makes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type RouteConfig,
  zodToOpenAPIRegistry,
} from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import routes from '../functions/routes.json' with { type: 'json' };
import {
  accessKeyPath,
  backupFilesQuery,
  backupPath,
  batchAddQuery,
  createAccessKeyBody,
  createGraphBody,
  deleteGraphQuery,
  exportBody,
  graphActionQuery,
  graphNamePath,
  graphPath,
  importBody,
  jobListQuery,
  jobPath,
  pageQuery,
  policyBody,
  projectPath,
  startBody,
} from '../lib/http/params.js';
import * as answers from '../lib/http/response-schemas.js';
import { snakeCased } from '../lib/http/response-schemas.js';
import { edgeBatchSchema, vertexBatchSchema } from '../lib/records/graphs/model.js';
import { clientTokenSchema } from '../lib/records/jobs/client-tokens.js';
import pkg from '../package.json' with { type: 'json' };

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi.json', import.meta.url));

type Tree = 'v1' | 'v2';
type Operation = {
  summary: string;
  description?: string;
  params?: z.ZodObject;
  query?: z.ZodType;
  headers?: z.ZodObject;
  body?: { schema: z.ZodType; required: boolean };
  /** The 200 answer in v1 spelling; the v2 tree's is its snake_case twin unless `v2` names another. */
  answer: z.ZodType;
  v2?: z.ZodType;
};

/**
 * Each route of functions/routes.json by its shape, the tree taken out (`POST /{projectId}/graphs`
 * for `/v1.0/...` and `/v2/...`); the data plane keeps its `/ges/v1.0`.
 */
const OPERATIONS: Record<string, Operation> = {
  'POST /{projectId}/graphs': {
    summary: 'Create a graph',
    description: 'The graph runs at once; its CreateGraph job is recorded as already ended.',
    params: projectPath,
    body: { schema: createGraphBody, required: true },
    answer: answers.createGraphAnswerSchema,
  },
  'GET /{projectId}/graphs': {
    summary: 'List graphs',
    params: projectPath,
    query: pageQuery,
    answer: answers.graphListSchema,
  },
  'GET /{projectId}/graphs/{graphId}': {
    summary: 'Show a graph',
    description: 'Its counts are read from the store.',
    params: graphPath,
    answer: answers.graphAnswerSchema,
  },
  'DELETE /{projectId}/graphs/{graphId}': {
    summary: 'Delete a graph',
    description:
      'Gone at once; the job removes its data and its backups, except the newest automatic one and ' +
      'the two newest manual ones with keepBackup (v1) or keep_backup (v2) true.',
    params: graphPath,
    query: deleteGraphQuery,
    answer: answers.jobIdAnswerSchema,
  },
  'POST /{projectId}/graphs/{graphId}/action': {
    summary: 'Stop or start a graph (action_id=stop|start)',
    description:
      'stop: status 900. start: with its own data or, given graph_backup_id, restored from that backup. ' +
      'Any other action_id is GES.7048.',
    params: graphPath,
    query: graphActionQuery,
    body: { schema: startBody, required: false },
    answer: answers.jobIdAnswerSchema,
  },
  'POST /{projectId}/graphs/{graphId}/stop': {
    summary: 'Stop a graph',
    params: graphPath,
    answer: answers.jobIdAnswerSchema,
  },
  'POST /{projectId}/graphs/{graphId}/start': {
    summary: 'Start a graph, or restore it from a backup',
    params: graphPath,
    body: { schema: startBody, required: false },
    answer: answers.jobIdAnswerSchema,
  },
  'POST /ges/v1.0/{projectId}/graphs/{graphName}/vertices/action': {
    summary: 'Add vertices (action_id=batch-add)',
    description:
      '1 to 1,000 vertices, validated whole before anything is written; one that exists is replaced.',
    params: graphNamePath,
    query: batchAddQuery,
    body: { schema: vertexBatchSchema, required: true },
    answer: answers.batchAddAnswerSchema,
  },
  'POST /ges/v1.0/{projectId}/graphs/{graphName}/edges/action': {
    summary: 'Add edges (action_id=batch-add)',
    description: '1 to 1,000 edges, validated whole before anything is written; one that exists is replaced.',
    params: graphNamePath,
    query: batchAddQuery,
    body: { schema: edgeBatchSchema, required: true },
    answer: answers.batchAddAnswerSchema,
  },
  'GET /ges/v1.0/{projectId}/graphs/{graphName}/summary': {
    summary: "A graph's counts, in all and by label",
    params: graphNamePath,
    answer: answers.summarySchema,
  },
  'POST /{projectId}/graphs/{graphId}/backups': {
    summary: 'Back up a graph',
    description: 'A retried request with the same X-Client-Token gets the same job back, for 8 hours.',
    params: graphPath,
    headers: z.object({ 'X-Client-Token': clientTokenSchema.optional() }),
    answer: answers.jobAndBackupAnswerSchema,
  },
  'GET /{projectId}/graphs/backups': {
    summary: "List the project's backups, newest first",
    params: projectPath,
    query: pageQuery,
    answer: answers.backupListSchema,
  },
  'GET /{projectId}/graphs/{graphId}/backups': {
    summary: "List a graph's backups, newest first",
    params: graphPath,
    query: pageQuery,
    answer: answers.backupListSchema,
  },
  'DELETE /{projectId}/graphs/{graphId}/backups/{backupId}': {
    summary: 'Delete a backup and its files',
    params: backupPath,
    answer: answers.emptyAnswerSchema,
  },
  'POST /{projectId}/access-keys': {
    summary: 'Create an access key (admin)',
    description: 'Its secret key is in this answer only; it is stored sealed (KMS on AWS).',
    params: projectPath,
    body: { schema: createAccessKeyBody, required: true },
    answer: answers.createdAccessKeySchema,
  },
  'GET /{projectId}/access-keys': {
    summary: "List the project's access keys (admin), never their secrets",
    params: projectPath,
    answer: answers.accessKeyListSchema,
  },
  'POST /{projectId}/access-keys/{accessKeyId}/disable': {
    summary: 'Disable an access key (admin): its signatures are refused from the next request on',
    params: accessKeyPath,
    answer: answers.accessKeyAnswerSchema,
  },
  'DELETE /{projectId}/access-keys/{accessKeyId}': {
    summary: 'Delete an access key (admin)',
    params: accessKeyPath,
    answer: answers.emptyAnswerSchema,
  },
  'GET /{projectId}/graphs/quotas': {
    summary: 'What the project may still create',
    params: projectPath,
    answer: answers.quotasSchema,
  },
  'POST /{projectId}/graphs/{graphId}/backups/export': {
    summary: 'Export a backup to a transfer bucket',
    params: graphPath,
    body: { schema: exportBody, required: true },
    answer: answers.jobIdAnswerSchema,
  },
  'POST /{projectId}/graphs/{graphId}/backups/import': {
    summary: 'Import a backup from a transfer bucket',
    params: graphPath,
    body: { schema: importBody, required: true },
    answer: answers.jobAndBackupAnswerSchema,
  },
  'GET /{projectId}/graphs/{graphId}/backup-files': {
    summary: "Presigned download links to a backup's files",
    params: graphPath,
    query: backupFilesQuery,
    answer: answers.backupFilesSchema,
  },
  'GET /{projectId}/graphs/{graphId}/jobs/{jobId}/status': {
    summary: 'A job',
    params: jobPath,
    answer: answers.jobSchema,
    v2: answers.jobV2Schema,
  },
  'GET /{projectId}/graphs/jobs': {
    summary: "List the project's jobs, newest first",
    description: 'Dates are yyyy-MM-dd (UTC, inclusive): startTime/endTime on v1, start_time/end_time on v2.',
    params: projectPath,
    query: jobListQuery,
    answer: answers.jobListSchema,
    v2: answers.jobListV2Schema,
  },
  'PUT /{projectId}/graphs/{graphId}/backup-policy': {
    summary: "Set a graph's backup policy",
    params: graphPath,
    body: { schema: policyBody, required: true },
    answer: answers.policySchema,
  },
  'GET /{projectId}/graphs/{graphId}/backup-policy': {
    summary: "A graph's backup policy",
    params: graphPath,
    answer: answers.policySchema,
  },
};

/** Routes served without credentials: the console's files (HTML, script, style) and this document. */
const PUBLIC: Record<string, { summary: string; type: string; params?: z.ZodObject }> = {
  'GET /console': { summary: 'The web console', type: 'text/html' },
  'GET /console/{file+}': {
    summary: "The web console's page and files",
    type: '*/*',
    params: z.object({ file: z.string().describe('the rest of the path: index.html, app.<hash>.js, ...') }),
  },
  'GET /openapi.json': { summary: 'This document', type: 'application/json' },
};

/** The v1 spelling's names; the v2 twins are named `<name>V2`. */
const NAMED: Record<string, z.ZodType> = {
  Graph: answers.graphSchema,
  GraphAnswer: answers.graphAnswerSchema,
  GraphList: answers.graphListSchema,
  CreateGraphAnswer: answers.createGraphAnswerSchema,
  JobIdAnswer: answers.jobIdAnswerSchema,
  JobAndBackupAnswer: answers.jobAndBackupAnswerSchema,
  EmptyAnswer: answers.emptyAnswerSchema,
  Backup: answers.backupSchema,
  BackupList: answers.backupListSchema,
  JobDetail: answers.jobDetailSchema,
  Job: answers.jobSchema,
  JobList: answers.jobListSchema,
  Quotas: answers.quotasSchema,
  Policy: answers.policySchema,
  BackupFiles: answers.backupFilesSchema,
  BatchAddAnswer: answers.batchAddAnswerSchema,
  Summary: answers.summarySchema,
  ErrorV1: answers.errorV1Schema,
  ErrorV2: answers.errorV2Schema,
  GatewayNotFound: answers.gatewayNotFoundSchema,
};
const NAMED_V2: Record<string, z.ZodType> = {
  JobV2: answers.jobV2Schema,
  JobListV2: answers.jobListV2Schema,
};
/** No snake_case twin: the data plane's, the errors (spelled apart) and the jobs (NAMED_V2). */
const V1_ONLY = ['BatchAddAnswer', 'Summary', 'ErrorV1', 'ErrorV2', 'GatewayNotFound', 'Job', 'JobList'];

const ERRORS: Record<number, string> = {
  400: 'A GES business error: GES.0001 a malformed path or query, GES.7016 a malformed body or header, GES.7000 no such graph, ...',
  401: 'APIGW.0301: a missing, malformed, badly signed or expired token, or a bad signature',
  403: "GES.7041: another project's token, or a viewer that writes",
  404: "No such route: API Gateway's own answer",
  408: 'GES.7005: the job timed out',
  500: 'GES.7006: an internal error (the cause is logged, never sent)',
  503: 'GES.7005: a dependency is unavailable',
};

const treeOf = (path: string): Tree => (path.startsWith('/v2/') ? 'v2' : 'v1');
/** `POST /{projectId}/graphs` for both `POST /v1.0/{projectId}/graphs` and `POST /v2/...`. */
export const shapeOf = (key: string) => key.replace(/^(\w+) \/(v1\.0|v2)\//, '$1 /');
/** OpenAPI's path template: API Gateway's greedy `{file+}` is `{file}`. */
export const openApiPath = (path: string) => path.replace(/\{(\w+)\+\}/g, '{$1}');
const operationId = (key: string) =>
  key
    .replace(/[{}+]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^(\w+?)_/, (_, m: string) => `${m.toLowerCase()}_`);

/** The document, built afresh from the schemas. */
export function buildDocument() {
  // Components by name: the generator refers to a schema by its name wherever it is used.
  // Only those a route reaches are written.
  for (const [refId, schema] of Object.entries(NAMED)) {
    name(schema, refId);
    if (!V1_ONLY.includes(refId)) name(snakeCased(schema), `${refId}V2`);
  }
  for (const [refId, schema] of Object.entries(NAMED_V2)) name(schema, refId);

  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'token', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Auth-Token',
    description:
      "A signed JWT naming the project (project_id), the roles (roles: viewer, operator, admin) and an expiry (exp). The project must be the path's; a viewer may only read.",
  });
  registry.registerComponent('securitySchemes', 'akSk', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description:
      "An access key's signature, as Huawei Cloud's API Gateway defines AK/SK signing and GES's SDKs send it: `Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<...>, Signature=<hex>` with `X-Sdk-Date` within 15 minutes. The key's project and role decide 403 as a token's do.",
  });

  const seen = new Set<string>();
  for (const [tag, keys] of Object.entries(routes)) {
    for (const key of keys) {
      seen.add(key);
      // The catch-all: whatever no route serves gets the GES 404 of its tree (see the error bodies).
      if (key === '*') continue;
      const [method, path] = key.split(' ') as [string, string];
      const base = {
        method: method.toLowerCase() as RouteConfig['method'],
        path: openApiPath(path),
        operationId: operationId(key),
        tags: [tag],
      };
      const open = PUBLIC[key];
      if (open) {
        registry.registerPath({
          ...base,
          summary: open.summary,
          description: 'No credentials needed.',
          security: [],
          ...(open.params && { request: { params: open.params } }),
          responses: {
            200: {
              description: open.summary,
              content: {
                [open.type]: {
                  schema:
                    open.type === 'application/json' ? z.looseObject({ openapi: z.string() }) : z.string(),
                },
              },
            },
            404: { description: 'No such file', content: { 'text/plain': { schema: z.string() } } },
          },
        });
        continue;
      }
      const op = OPERATIONS[shapeOf(key)];
      if (!op)
        throw new Error(`${key}: functions/routes.json declares it, scripts/openapi.ts does not describe it`);
      const tree = treeOf(path);
      const answer = tree === 'v2' ? (op.v2 ?? snakeCased(op.answer)) : op.answer;
      const error = tree === 'v2' ? answers.errorV2Schema : answers.errorV1Schema;
      const notFound = z.union(
        tree === 'v2'
          ? [answers.errorV2Schema, answers.errorV1Schema, answers.gatewayNotFoundSchema]
          : [answers.errorV1Schema, answers.gatewayNotFoundSchema],
      );
      registry.registerPath({
        ...base,
        summary: op.summary,
        description: [
          op.description,
          tree === 'v2'
            ? 'v2: snake_case keys, errors as {error_code, error_msg}.'
            : path.startsWith('/ges/')
              ? 'The data plane: camelCase keys, errors as {errorCode, errorMessage}.'
              : 'v1: camelCase keys, errors as {errorCode, errorMessage}.',
        ]
          .filter(Boolean)
          .join(' '),
        request: {
          ...(op.params && { params: op.params }),
          ...(op.query && { query: op.query as z.ZodObject }),
          ...(op.headers && { headers: op.headers }),
          ...(op.body && {
            body: {
              required: op.body.required,
              content: { 'application/json': { schema: op.body.schema } },
            },
          }),
        },
        responses: {
          200: { description: 'Done', content: { 'application/json': { schema: answer } } },
          ...Object.fromEntries(
            Object.entries(ERRORS).map(([status, description]) => [
              status,
              {
                description,
                content: { 'application/json': { schema: status === '404' ? notFound : error } },
              },
            ]),
          ),
        },
      });
    }
  }
  for (const shape of Object.keys(OPERATIONS)) {
    if (![...seen].some((key) => shapeOf(key) === shape)) {
      throw new Error(`${shape}: described here, but no route of functions/routes.json has that shape`);
    }
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'GES graph backups',
      version: pkg.version,
      description:
        "A backup service for graphs that speaks the management API of Huawei Cloud's Graph Engine Service (GES). Two trees carry the same operations: v1 (/v1.0/{projectId}/..., camelCase JSON, errors as {errorCode, errorMessage}) and v2 (/v2/{projectId}/..., snake_case JSON, errors as {error_code, error_msg}). Generated by scripts/openapi.ts from the schemas the handlers validate with: do not edit.",
      license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'npm start' }],
    security: [{ token: [] }, { akSk: [] }],
    tags: Object.keys(routes).map((tag) => ({ name: tag, description: `The ${tag} function's routes` })),
  });
}

/**
 * Gives a schema its component name, in place: the generator's own `.openapi(name)` would make a
 * copy, which the schemas that hold the original (a list of backups) would not refer to.
 */
function name(schema: z.ZodType, refId: string) {
  zodToOpenAPIRegistry.add(schema, { ...zodToOpenAPIRegistry.get(schema), _internal: { refId } });
}

export const renderDocument = () => `${JSON.stringify(buildDocument(), null, 2)}\n`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(OPENAPI_FILE, renderDocument());
  console.log(`wrote ${OPENAPI_FILE}`);
}
