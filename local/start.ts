import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { issueToken } from './auth.js';
import { PROJECT_ROOT } from './resources.js';
import { type Stack, startStack } from './stack.js';

/**
 * `npm start`: the whole service on this machine, a demo graph in it, and the commands to back it
 * up. Ports come from PORT (HTTP API, 3000), LAMBDA_PORT (3002), DYNAMODB_PORT (8000) and
 * FAUXQS_PORT (SQS and S3, 4566) and EVENTS_PORT (the local EventBridge, 4010). Ctrl-C stops everything.
 * Tables and bucket objects are kept in .local/dynamodb and .local/s3 across restarts;
 * `npm start -- --fresh` starts empty. Queues are not kept: a job whose message was in flight is
 * failed by the sweeper at its deadline.
 */

// Node 20 here is deliberate (DESIGN.md); the SDK's reminder that it will need Node 22 is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const PROJECT = 'demo';
const GRAPH = 'movies';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const DATA_DIR = join(PROJECT_ROOT, '.local');
const fresh = process.argv.includes('--fresh');
if (fresh) {
  for (const kept of ['dynamodb', 's3']) await rm(join(DATA_DIR, kept), { recursive: true, force: true });
}

const stack = await startStack({
  dataDir: DATA_DIR,
  httpPort: port('PORT', 3000),
  lambdaPort: port('LAMBDA_PORT', 3002),
  dynamoPort: port('DYNAMODB_PORT', 8000),
  fauxqsPort: port('FAUXQS_PORT', 4566),
  eventsPort: port('EVENTS_PORT', 4010),
});
stopOnSignal(stack);
// An admin of the demo project for a day: `npm run token` makes others.
const token = await issueToken({ projectId: PROJECT, roles: ['admin'], expiresIn: '24h' });

try {
  printUsage(stack, await seedDemoGraph(stack.baseUrl));
} catch (error) {
  console.error(`\nSeeding the demo graph failed; the stack is still running.\n${(error as Error).message}`);
  printUsage(stack, '<graphId>');
}

function stopOnSignal(stack: Stack): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack...`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** A graph of users rating movies, made through the public API as a client would (once: it is kept). */
async function seedDemoGraph(baseUrl: string): Promise<string> {
  const existing = await findGraph(baseUrl, GRAPH);
  if (existing) {
    console.log(
      `\nGraph "${GRAPH}" (${existing}) is still here from the last run (npm start -- --fresh starts empty).`,
    );
    return existing;
  }
  const { id } = (await post(`${baseUrl}/v1.0/${PROJECT}/graphs`, { graph: { name: GRAPH } })) as {
    id: string;
  };
  const users = Array.from({ length: 20 }, (_, i) => String(i + 1));
  const movies = Array.from({ length: 15 }, (_, i) => `m${i + 1}`);
  const vertices = [
    ...users.map((vertex, i) => ({ vertex, label: 'user', properties: { age: [String(18 + i)] } })),
    ...movies.map((vertex) => ({ vertex, label: 'movie', properties: { title: [`Movie ${vertex}`] } })),
  ];
  const edges = users.flatMap((source, i) =>
    [0, 1].map((k) => ({
      source,
      target: movies[(i * 2 + k) % movies.length] ?? 'm1',
      label: 'rate',
      properties: { score: [String(((i + k) % 5) + 1)] },
    })),
  );
  const data = `${baseUrl}/ges/v1.0/${PROJECT}/graphs/${GRAPH}`;
  await post(`${data}/vertices/action?action_id=batch-add`, { vertices });
  await post(`${data}/edges/action?action_id=batch-add`, { edges });
  console.log(`\nSeeded graph "${GRAPH}" (${id}): ${vertices.length} vertices, ${edges.length} edges.`);
  return id;
}

async function findGraph(baseUrl: string, name: string): Promise<string | undefined> {
  for (let offset = 0; ; offset += 100) {
    const response = await fetch(`${baseUrl}/v1.0/${PROJECT}/graphs?offset=${offset}&limit=100`, {
      headers: { 'x-auth-token': token },
    });
    if (!response.ok) throw new Error(`GET graphs answered ${response.status}: ${await response.text()}`);
    const { graphs } = (await response.json()) as { graphs: { id: string; name: string }[] };
    const found = graphs.find((g) => g.name === name);
    if (found || graphs.length < 100) return found?.id;
  }
}

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-auth-token': token },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  // serverless-offline answers 200 even when a handler crashes at load: look for an error body too.
  if (!response.ok || /"(errorCode|errorMessage|errorType)"/.test(text)) {
    throw new Error(`POST ${url} answered ${response.status}: ${text}`);
  }
  return JSON.parse(text);
}

function printUsage(stack: Stack, graphId: string): void {
  const graphs = `${stack.baseUrl}/v1.0/${PROJECT}/graphs`;
  console.log(`
The backup service is running at ${stack.baseUrl}
  Web console: ${stack.consoleUrl}  (project "${PROJECT}", the token below)
  OpenAPI: ${stack.openapiUrl}
  DynamoDB Local: ${stack.endpoints.dynamodb}    SQS and S3 (fauxqs): ${stack.endpoints.sqs}
  Tables and backups are kept in ${DATA_DIR} across restarts (npm start -- --fresh starts empty).

Every call carries a token (an admin of project "${PROJECT}" for 24 hours; \`npm run token\` makes others):

  export TOKEN=${token}

Back up the demo graph, then follow the job:

  curl -s -X POST -H "X-Auth-Token: $TOKEN" ${graphs}/${graphId}/backups
  # → {"jobId":"…","backupId":"…"}
  curl -s -H "X-Auth-Token: $TOKEN" ${graphs}/${graphId}/jobs/<jobId>/status

Or in one go:

  JOB=$(curl -s -X POST -H "X-Auth-Token: $TOKEN" ${graphs}/${graphId}/backups | sed -E 's/.*"jobId":"([^"]+)".*/\\1/')
  until curl -s -H "X-Auth-Token: $TOKEN" ${graphs}/${graphId}/jobs/$JOB/status | tee /dev/stderr | grep -qE '"status":"(success|failed)"|errorCode'; do sleep 1; done

Backups without a person: a policy that backs the graph up every minute, keeping 3 automatic ones,

  curl -s -X PUT -H "X-Auth-Token: $TOKEN" -H 'content-type: application/json' \\
    -d '{"enabled":true,"schedule":"rate(1 minute)","keepAuto":3}' ${graphs}/${graphId}/backup-policy

or an event, as another system would put it on EventBridge (the local one: ${stack.eventBus.endpoint}):

  npm run event -- --project ${PROJECT} --graph ${graphId}
  npm run event -- --list          # every event, "Graph Backup Succeeded" and the like included

GES's own SDKs sign with an access key instead of a token: make one (shown once), then give the SDK
AK, SK, project id "${PROJECT}" and the endpoint ${stack.baseUrl} (README, "Using the official GES SDK"):

  npm run access-key -- --project ${PROJECT} --role operator

Press Ctrl-C to stop.`);
}
