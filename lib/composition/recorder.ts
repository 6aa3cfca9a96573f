import { appendFileSync } from 'node:fs';
import type { Config } from '../core/config.js';
import { withMeter } from './meter.js';

/** One AWS call as a function made it: what test/unit/iam.test.ts holds against the function's role. */
export type RecordedCall = {
  /** The function's name (serverless.yml's key, or Lambda's `<service>-<stage>-<key>`). */
  function: string;
  /** The SDK client: DynamoDB, SQS, S3, EventBridge. */
  service: string;
  /** The command without its `Command` suffix: `TransactWriteItems`, `PutObject`, ... */
  command: string;
  /** What the input names, and for transactions and batches what each item does to which table. */
  resources: Record<string, unknown>;
};

type Stack = {
  add(
    middleware: (
      next: (args: { input: object }) => Promise<unknown>,
      context: { clientName?: string; commandName?: string },
    ) => (args: { input: object }) => Promise<unknown>,
    options: { step: 'initialize'; name: string; priority: 'high' },
  ): void;
};

/**
 * With `AWS_CALL_LOG` set (tests only), every command the client sends is appended to that file as
 * a JSON line before it goes out, presigned ones included (a presigned GET works only while the role
 * may GetObject). Unset, the client is returned as it is: nothing is added to its stack.
 */
export function withRecorder<C extends { middlewareStack: unknown }>(client: C, config: Config): C {
  // The benchmark's usage meter (bench/cost.ts), off unless AWS_USAGE_METER=true.
  if (config.usageMeter) withMeter(client);
  const path = config.callLog;
  if (!path) return client;
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      const call: RecordedCall = {
        function: config.functionName,
        service: (context.clientName ?? '').replace(/Client$/, ''),
        command: (context.commandName ?? '').replace(/Command$/, ''),
        resources: resourcesOf(args.input as Input),
      };
      appendFileSync(path, `${JSON.stringify(call)}\n`);
      return next(args);
    },
    { step: 'initialize', name: 'recordAwsCall', priority: 'high' },
  );
  return client;
}

type Input = Record<string, unknown>;
const NAMES = ['TableName', 'IndexName', 'QueueUrl', 'Bucket', 'Key', 'CopySource', 'Prefix'] as const;

function resourcesOf(input: Input): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  for (const name of NAMES) if (typeof input[name] === 'string') named[name] = input[name];
  // DeleteObjects is authorized per key, as s3:DeleteObject.
  const deleted = (input.Delete as { Objects?: { Key?: string }[] } | undefined)?.Objects;
  if (deleted?.length) named.Key = deleted[0]?.Key;
  // DynamoDB authorizes a transaction's items one by one, as the action each one is.
  if (Array.isArray(input.TransactItems)) {
    named.TransactItems = (input.TransactItems as Input[]).map((item) => {
      const [action, body] = Object.entries(item)[0] ?? ['', {}];
      return { [action]: (body as Input).TableName };
    });
  }
  // BatchWriteItem: by table, each request a PutRequest or a DeleteRequest.
  if (input.RequestItems && typeof input.RequestItems === 'object') {
    named.RequestItems = Object.fromEntries(
      Object.entries(input.RequestItems as Record<string, Input[]>).map(([table, requests]) => [
        table,
        [...new Set(requests.flatMap((request) => Object.keys(request)))].sort(),
      ]),
    );
  }
  // PutEvents: each entry names its bus.
  if (Array.isArray(input.Entries)) {
    const buses = (input.Entries as Input[]).map((entry) => entry.EventBusName).filter(Boolean);
    if (buses.length) named.EventBusNames = [...new Set(buses)];
  }
  return named;
}
