import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttribute, SQSRecord } from 'aws-lambda';

/**
 * Plays Lambda's SQS event source for a handler running in this process, by Lambda's rules:
 * - up to `batchSize` messages per invocation, `concurrency` invocations at once;
 * - the handler returns: every record not named in `batchItemFailures` is deleted;
 * - the handler throws or times out: nothing is deleted, and the messages come back after the
 *   queue's visibility timeout (the emulator moves them to the DLQ after maxReceiveCount);
 * - a `batchItemFailures` entry that names no record of the batch fails the whole batch.
 * serverless-offline-sqs deletes the whole batch whenever the handler returns, hence this.
 */

// biome-ignore lint/suspicious/noConfusingVoidType: the result type of aws-lambda's own SQSHandler
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export type PollerOptions = {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  handler: SqsHandler;
  functionName: string;
  timeoutSeconds: number;
  memorySize?: number;
  batchSize?: number;
  concurrency?: number;
  /** Long-poll wait of each ReceiveMessage; short, so that stop() is quick. */
  waitTimeSeconds?: number;
  log?: (message: string, error?: unknown) => void;
};

export type Poller = {
  /** Stops receiving and waits for the batches in flight to finish. */
  stop(): Promise<void>;
  /**
   * Resolves once no batch is in flight and every loop's latest receive, started after this call,
   * found nothing: the queue has no visible message left (in-flight ones may still come back).
   */
  idle(): Promise<void>;
};

export function startSqsPoller(options: PollerOptions): Poller {
  const { concurrency = 2, log = defaultLog } = options;
  const abort = new AbortController();
  let inFlight = 0;
  // When each loop's last receive that found nothing started (-1: it has found messages since).
  const emptySince = Array.from({ length: concurrency }, () => -1);

  const loop = async (_: unknown, index: number) => {
    while (!abort.signal.aborted) {
      const startedAt = performance.now();
      // Not aborted on stop: a long poll cut off on the client goes on at the server and may take a
      // message that then stays hidden for the queue's whole timeout. Let it end; give back what it got.
      const messages = await receive(options).catch(async (error: unknown) => {
        if (!abort.signal.aborted) {
          log('ReceiveMessage failed; retrying in 1 s', error);
          await sleep(1000);
        }
        return [];
      });
      if (messages.length === 0) {
        emptySince[index] = startedAt;
        continue;
      }
      if (abort.signal.aborted) {
        await release(options, messages).catch((error: unknown) => log('releasing messages failed', error));
        break;
      }
      emptySince[index] = -1;
      inFlight++;
      // A failed delete leaves the messages to come back after the visibility timeout: log it, go on.
      await invoke(options, messages, log).catch((error: unknown) =>
        log('acknowledging a batch failed', error),
      );
      inFlight--;
    }
  };
  const loops = Array.from({ length: concurrency }, loop);

  return {
    async stop() {
      abort.abort();
      await Promise.all(loops);
    },
    async idle() {
      const since = performance.now();
      while (!abort.signal.aborted && (inFlight > 0 || emptySince.some((t) => t < since))) {
        await sleep(25);
      }
    },
  };
}

/** Makes received messages visible again at once: a poller that stops hands back what it did not run. */
async function release(options: PollerOptions, messages: Message[]): Promise<void> {
  await options.sqs.send(
    new ChangeMessageVisibilityBatchCommand({
      QueueUrl: options.queueUrl,
      Entries: messages.map((m, n) => ({
        Id: String(n),
        ReceiptHandle: m.ReceiptHandle ?? '',
        VisibilityTimeout: 0,
      })),
    }),
  );
}

async function receive(options: PollerOptions): Promise<Message[]> {
  const { Messages = [] } = await options.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: options.queueUrl,
      MaxNumberOfMessages: options.batchSize ?? 10,
      WaitTimeSeconds: options.waitTimeSeconds ?? 1,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

/** One Lambda invocation: run the handler, then acknowledge what it did not report as failed. */
async function invoke(options: PollerOptions, messages: Message[], log: NonNullable<PollerOptions['log']>) {
  const records = messages.map((m) => toRecord(m, options));
  const context = lambdaContext(options);
  let failed: Set<string>;
  try {
    const response = await withTimeout(
      options.handler({ Records: records }, context),
      options.timeoutSeconds,
    );
    failed = failedIds(response, records);
  } catch (error) {
    log(
      `${options.functionName} ${context.awsRequestId} failed; its ${records.length} messages will be retried`,
      error,
    );
    return;
  }
  const done = records.filter((r) => !failed.has(r.messageId));
  if (done.length > 0) await deleteRecords(options, done, log);
}

/** Lambda's partial batch response rules; an identifier that names no record fails the whole batch. */
function failedIds(response: Awaited<ReturnType<SqsHandler>>, records: SQSRecord[]): Set<string> {
  const ids = new Set(records.map((r) => r.messageId));
  const failures = response?.batchItemFailures ?? [];
  const named = failures.map((f) => f.itemIdentifier);
  if (named.some((id) => !id || !ids.has(id))) return ids;
  return new Set(named);
}

async function deleteRecords(
  options: PollerOptions,
  records: SQSRecord[],
  log: NonNullable<PollerOptions['log']>,
) {
  const { Failed = [] } = await options.sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: options.queueUrl,
      Entries: records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
    }),
  );
  for (const f of Failed) log(`DeleteMessageBatch failed for entry ${f.Id}: ${f.Code} ${f.Message}`);
}

/** The record exactly as Lambda builds it from a received message. */
function toRecord(message: Message, options: PollerOptions): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ...attributes,
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        toLambdaAttribute(value),
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes && { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: options.queueArn,
    awsRegion: options.region,
  };
}

/** The SDK's `{StringValue, DataType}` becomes Lambda's `{stringValue, dataType}` (binary in base64). */
function toLambdaAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  return {
    ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
    ...(value.BinaryValue !== undefined && { binaryValue: base64(value.BinaryValue) }),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map(base64),
    dataType: value.DataType ?? 'String',
  };
}

function lambdaContext(options: PollerOptions): Context {
  const { functionName, region } = options;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const unsupported = () => {
    throw new Error('callback-style context methods are not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(options.memorySize ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * Lambda ends an invocation at its timeout; here the handler cannot be killed, so it runs on,
 * but the batch counts as failed, as on Lambda.
 */
async function withTimeout<T>(promise: Promise<T>, seconds: number): Promise<T> {
  const timeout = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(seconds * 1000, undefined, { signal: timeout.signal }).then(() => {
        throw new Error(`Task timed out after ${seconds} seconds`);
      }),
    ]);
  } finally {
    timeout.abort();
  }
}

function defaultLog(message: string, error?: unknown) {
  console.error(`[sqs-poller] ${message}`, ...(error === undefined ? [] : [error]));
}
