import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { ServiceDefinition } from './resources.js';

/**
 * EventBridge for the local stack, just enough of it: `PutEvents` over the AWS JSON protocol (so the
 * real SDK client talks to it through AWS_ENDPOINT_URL_EVENTBRIDGE), delivery to the functions whose
 * `eventBridge` pattern in serverless.yml matches the detail-type, as EventBridge invokes them
 * (asynchronously), and `GET /events`, the list of every event put, for people and tests. Ours rather
 * than serverless-offline-aws-eventbridge (2.2.4, measured: shared/research/local-emulators.md §5): it
 * binds every interface (`*:4010`, `*:4011`) with no option to change that, gives scheduled events a
 * shape that is not AWS's, and its tarball ships 228 MB of examples.
 */
export type PutEvent = {
  id: string;
  time: string;
  source: string;
  'detail-type': string;
  detail: unknown;
  eventBusName?: string;
};
type Handler = (event: unknown, context: unknown) => Promise<unknown>;
type EventBridgeTrigger = { eventBridge?: { pattern?: { 'detail-type'?: string[]; source?: string[] } } };

export type LocalEventBus = { endpoint: string; events(): PutEvent[]; stop(): Promise<void> };

export async function startEventBus(options: {
  port: number;
  definition: ServiceDefinition;
  importHandler: (path: string) => Promise<Handler>;
  log?: (message: string, error?: unknown) => void;
}): Promise<LocalEventBus> {
  const log = options.log ?? ((message, error) => console.error(message, error ?? ''));
  const put: PutEvent[] = [];
  const routes = Object.values(options.definition.functions).flatMap((fn) =>
    (fn.events ?? []).flatMap((e) => {
      const pattern = (e as EventBridgeTrigger).eventBridge?.pattern;
      return pattern ? [{ fn, pattern }] : [];
    }),
  );
  const deliver = async (event: PutEvent) => {
    for (const { fn, pattern } of routes) {
      const matches =
        (!pattern['detail-type'] || pattern['detail-type'].includes(event['detail-type'])) &&
        (!pattern.source || pattern.source.includes(event.source));
      if (!matches) continue;
      const handler = await options.importHandler(fn.handler);
      const lambdaEvent = {
        version: '0',
        account: '000000000000',
        region: 'us-east-1',
        resources: [],
        ...event,
      };
      await handler(lambdaEvent, { functionName: fn.name, awsRequestId: randomUUID() }).catch(
        (error: unknown) => {
          log(`${fn.name} failed on event ${event.id}`, error);
        },
      );
    }
  };

  const server = createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/events') return reply(200, put);
    if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
      return reply(400, { __type: 'UnknownOperationException', message: 'only PutEvents is served here' });
    }
    const { Entries = [] } = JSON.parse(await body(req)) as {
      Entries?: { Source: string; DetailType: string; Detail: string; EventBusName?: string }[];
    };
    const accepted = Entries.map((entry) => ({
      id: randomUUID(),
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      source: entry.Source,
      'detail-type': entry.DetailType,
      detail: JSON.parse(entry.Detail ?? '{}'),
      ...(entry.EventBusName && { eventBusName: entry.EventBusName }),
    }));
    put.push(...accepted);
    reply(200, { FailedEntryCount: 0, Entries: accepted.map((e) => ({ EventId: e.id })) });
    for (const event of accepted) void deliver(event);
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${options.port}`,
    events: () => [...put],
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
