import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SQSClient } from '@aws-sdk/client-sqs';
import { buildConsole } from '../console/build.js';
import { localKeys, localSealKeyFile } from './auth.js';
import { killWithParent, LOCAL_AWS, startDynamoDb, startFauxqs } from './emulators.js';
import { type LocalEventBus, startEventBus } from './event-bus.js';
import {
  createLocalResources,
  type Endpoints,
  type LocalResources,
  PROJECT_ROOT,
  readServiceDefinition,
  type ServiceDefinition,
} from './resources.js';
import { type SqsHandler, startSqsPoller } from './sqs-poller.js';

/**
 * The whole service on this machine: DynamoDB Local and fauxqs, the resources serverless.yml
 * defines, serverless-offline serving the HTTP API from the same esbuild bundles Lambda gets, and
 * the worker fed by a poller that follows Lambda's SQS rules.
 */

export type Services = {
  endpoints: Endpoints;
  definition: ServiceDefinition;
  resources: LocalResources;
  /** Everything a function needs to run against the emulators: its configuration and AWS_*. */
  env: Record<string, string>;
  stop(): Promise<void>;
};

export type Stack = Services & {
  baseUrl: string;
  /** The web console, served by the `console` function. */
  consoleUrl: string;
  /** The API's OpenAPI document (openapi.json), served by the `console` function. */
  openapiUrl: string;
  /** The local EventBridge: where PutEvents goes, and every event put so far. */
  eventBus: Pick<LocalEventBus, 'endpoint' | 'events'>;
  /** Resolves when the worker has nothing in flight and the job queue has nothing visible. */
  idle(): Promise<void>;
};

export type StackOptions = {
  httpPort: number;
  lambdaPort: number;
  dynamoPort: number;
  fauxqsPort: number;
  eventsPort: number;
  /** A short one lets tests see redelivery and the DLQ in seconds. */
  visibilityTimeoutSeconds?: number;
  /** Don't echo serverless-offline's output (it is still shown if it fails to start). */
  quiet?: boolean;
  /** Keep the tables (`<dataDir>/dynamodb`) and the buckets (`<dataDir>/s3`) across restarts; in memory without. */
  dataDir?: string;
};

const OFFLINE_READY_TIMEOUT_MS = 60_000;

/** The emulators with the service's resources created: what integration tests need. */
export async function startServices(options: {
  dynamoPort: number;
  fauxqsPort: number;
  visibilityTimeoutSeconds?: number;
  dataDir?: string;
}): Promise<Services> {
  const cleanup = new Cleanup();
  try {
    // In parallel (`osls print` takes the longest); whichever started is stopped if another fails.
    const [definition, dynamo, fauxqs] = await Promise.allSettled([
      readServiceDefinition('local'),
      startDynamoDb({
        port: options.dynamoPort,
        ...(options.dataDir && { dataDir: join(options.dataDir, 'dynamodb') }),
      }),
      startFauxqs({
        port: options.fauxqsPort,
        ...(options.dataDir && { s3Dir: join(options.dataDir, 's3') }),
      }),
    ]);
    for (const emulator of [dynamo, fauxqs]) {
      if (emulator.status === 'fulfilled') cleanup.add(emulator.value.stop);
    }
    const sqsAndS3 = settledValue(fauxqs).endpoint;
    const endpoints = { dynamodb: settledValue(dynamo).endpoint, sqs: sqsAndS3, s3: sqsAndS3 };
    const resources = await createLocalResources(settledValue(definition), endpoints, options);
    return {
      endpoints,
      definition: settledValue(definition),
      resources,
      env: { ...resources.env, ...awsEnv(endpoints) },
      stop: () => cleanup.run(),
    };
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

/**
 * Starts everything and sets this process's environment for the in-process worker, whose module
 * reads its configuration once, when imported: one stack per process.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const services = await startServices(options);
  const cleanup = new Cleanup();
  cleanup.add(() => services.stop());
  try {
    const bus = await startEventBus({
      port: options.eventsPort,
      definition: services.definition,
      importHandler: (path) => importHandler(path),
    });
    cleanup.add(bus.stop);
    services.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.endpoint;
    // A quiet stack (the tests') logs errors only, from the functions and the in-process worker alike.
    if (options.quiet) services.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    Object.assign(process.env, services.env);
    const { publicKeyPem } = await localKeys();
    // The console's function embeds the built console: build it before serverless-offline bundles.
    await buildConsole();
    const offline = await startOffline(options, {
      ...services.env,
      AUTH_PUBLIC_KEY: publicKeyPem,
      LOCAL_SEAL_KEY_FILE: await localSealKeyFile(),
    });
    cleanup.add(offline.stop);
    const worker = await startWorker(services);
    cleanup.add(worker.stop);
    return {
      ...services,
      baseUrl: offline.baseUrl,
      consoleUrl: `${offline.baseUrl}/console/`,
      openapiUrl: `${offline.baseUrl}/openapi.json`,
      eventBus: { endpoint: bus.endpoint, events: () => bus.events() },
      idle: () => worker.idle(),
      stop: () => cleanup.run(),
    };
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

/**
 * The AWS SDK v3 reads a per-service endpoint from AWS_ENDPOINT_URL_<SERVICE ID> (DynamoDB and
 * SQS/S3 live on different emulators here). serverless-offline copies every AWS_* variable of its
 * own environment into the handlers' environment.
 */
function awsEnv(endpoints: Endpoints): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    // Node 20 here is deliberate (see DESIGN.md); the SDK's reminder would drown the logs.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** `osls offline start` in its own process group (its esbuild and watcher die with it). */
async function startOffline(options: StackOptions, env: Record<string, string>) {
  // A build folder per stack: two stacks (a test run beside `npm start`) must not share one.
  const workFolder = join('.local', `esbuild-${options.httpPort}`);
  await rm(join(PROJECT_ROOT, workFolder), { recursive: true, force: true });
  const osls = join(PROJECT_ROOT, 'node_modules/osls/bin/serverless.js');
  const child = spawn(process.execPath, [osls, 'offline', 'start', '--stage', 'local'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...env,
      PORT: String(options.httpPort),
      LAMBDA_PORT: String(options.lambdaPort),
      ESBUILD_WORK_FOLDER: workFolder,
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8192);
      if (!options.quiet) process.stdout.write(chunk);
    });
  }
  const kill = killWithParent(child, { group: true });
  const stop = async () => {
    await kill();
    await rm(join(PROJECT_ROOT, workFolder), { recursive: true, force: true });
  };
  const baseUrl = `http://127.0.0.1:${options.httpPort}`;
  try {
    await waitForHttp(baseUrl, () => child.exitCode !== null);
  } catch (error) {
    await stop();
    throw new Error(`serverless-offline did not start: ${(error as Error).message}\n${output}`);
  }
  return { baseUrl, stop };
}

/** Any HTTP answer (a 404 included) means the server is up. */
async function waitForHttp(url: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + OFFLINE_READY_TIMEOUT_MS;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (exited()) throw new Error('the process exited');
      if (Date.now() > deadline) throw new Error(`no answer on ${url} in ${OFFLINE_READY_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The function serverless.yml subscribes to the job queue, imported from source and polled for. */
async function startWorker({ resources, endpoints }: Services) {
  const { worker, jobQueue } = resources;
  const handler = await importHandler(worker.handler);
  const sqs = new SQSClient({ endpoint: endpoints.sqs, ...LOCAL_AWS });
  const poller = startSqsPoller({
    sqs,
    queueUrl: jobQueue.url,
    queueArn: jobQueue.arn,
    region: LOCAL_AWS.region,
    handler,
    functionName: worker.name,
    timeoutSeconds: worker.timeoutSeconds,
    memorySize: worker.memorySize,
    batchSize: worker.batchSize,
  });
  return {
    idle: () => poller.idle(),
    stop: async () => {
      await poller.stop();
      sqs.destroy();
    },
  };
}

/** `functions/run-jobs.handler` → the `handler` export of functions/run-jobs.ts. */
async function importHandler<H = SqsHandler>(handlerPath: string): Promise<H> {
  const dot = handlerPath.lastIndexOf('.');
  const [file, name] = [handlerPath.slice(0, dot), handlerPath.slice(dot + 1)];
  const module = (await import(pathToFileURL(join(PROJECT_ROOT, `${file}.ts`)).href)) as Record<
    string,
    unknown
  >;
  const handler = module[name];
  if (typeof handler !== 'function') throw new Error(`${file}.ts does not export a function '${name}'`);
  return handler as H;
}

function settledValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** Stops what was started, last first, each once. */
class Cleanup {
  #stops: (() => Promise<void>)[] = [];

  add(stop: () => Promise<void>): void {
    this.#stops.push(stop);
  }

  async run(): Promise<void> {
    for (const stop of this.#stops.splice(0).reverse()) {
      await stop().catch((error: unknown) => console.error('[stack] stopping failed', error));
    }
  }
}
