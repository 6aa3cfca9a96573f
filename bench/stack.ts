import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { workerDeps } from '../lib/composition/worker.js';
import { parseConfig } from '../lib/core/config.js';
import type { Deps } from '../lib/runtime/deps.js';
import { localKeys, localSealKeyFile } from '../local/auth.js';
import { type Emulator, LOCAL_AWS, startDynamoDb, startFauxqs } from '../local/emulators.js';
import { startEventBus } from '../local/event-bus.js';
import {
  createLocalResources,
  type LocalResources,
  readServiceDefinition,
  type ServiceDefinition,
} from '../local/resources.js';
import { freePorts } from '../test/support/ports.js';

/**
 * The benchmark's own local stack: DynamoDB Local, fauxqs and the local EventBridge on free ports (so
 * it runs beside `npm start` or `npm test`), the resources serverless.yml defines, and the service's
 * `Deps` pointed at them, built exactly as a function builds them at cold start.
 */
export type BenchStack = {
  deps: Deps;
  /** the same, its clients metered (lib/composition/meter.ts): what submits the jobs whose cost is measured */
  metered: Deps;
  /** the API functions' memory as deployed (provider.memorySize): what an API call is billed at */
  apiMemoryMB: number;
  resources: LocalResources;
  /** Everything a function (in this process or a child) needs to run against the emulators. */
  env: Record<string, string>;
  /** Raw clients for the baselines: the same SDK and settings as the service's own. */
  raw: { ddb: DynamoDBDocumentClient; sqs: SQSClient; s3: S3Client };
  /** Drops and recreates the graph table: a clean slate (and freed emulator memory) between sizes. */
  resetGraphTable(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Quotas are raised so that hundreds of graphs and backups fit in one project: the API benchmark
 * creates a fresh graph per request, and the quotas' counter transaction is what is being measured,
 * not its limit.
 */
const BENCH_CONFIG = {
  BACKUP_QUOTA: '1000000',
  GRAPH_QUOTA: '1000000',
  // The service logs JSON to stdout; a benchmark prints a table. Warnings and errors still show.
  POWERTOOLS_LOG_LEVEL: 'WARN',
  LOG_LEVEL: 'WARN',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/**
 * The local stage gives the worker a 120 s timeout and lease and a 60 s task budget, sized for demos;
 * a restore of a million elements on DynamoDB Local runs longer than that in one invocation. The
 * benchmark gives the worker what serverless.yml deploys to AWS instead (its timeout, and the
 * settings that follow from it), so that it measures the service rather than a demo setting.
 */
const DEPLOYED_SETTINGS = ['JOB_LEASE_SECONDS', 'TASK_BUDGET_SECONDS'];

function asDeployed(resources: LocalResources, deployed: ServiceDefinition): LocalResources {
  const worker = Object.values(deployed.functions).find((f) => f.handler === resources.worker.handler);
  const environment = deployed.provider.environment ?? {};
  const settings = DEPLOYED_SETTINGS.flatMap((name) => {
    const value = environment[name];
    return typeof value === 'number' || typeof value === 'string' ? [[name, String(value)]] : [];
  });
  return {
    ...resources,
    env: { ...resources.env, ...Object.fromEntries(settings) },
    worker: {
      ...resources.worker,
      timeoutSeconds: worker?.timeout ?? resources.worker.timeoutSeconds,
      // What Lambda bills the worker's time at (GB-seconds), as the aws stage configures it.
      memorySize: worker?.memorySize ?? deployed.provider.memorySize ?? resources.worker.memorySize,
    },
  };
}

export async function startBenchStack(): Promise<BenchStack> {
  const ports = await freePorts(['dynamo', 'fauxqs', 'events']);
  const emulators: Emulator[] = [];
  const stopEmulators = async () => {
    for (const e of emulators.splice(0).reverse()) await e.stop().catch(() => undefined);
  };
  // Kept as each comes up, so that whichever started is stopped if another fails.
  const started = (e: Emulator) => {
    emulators.push(e);
    return e;
  };
  try {
    const [definition, deployed, dynamo, fauxqs] = await Promise.all([
      readServiceDefinition('local'),
      readServiceDefinition('aws'),
      startDynamoDb({ port: ports.dynamo }).then(started),
      startFauxqs({ port: ports.fauxqs }).then(started),
    ]);
    const endpoints = { dynamodb: dynamo.endpoint, sqs: fauxqs.endpoint, s3: fauxqs.endpoint };
    const resources = asDeployed(await createLocalResources(definition, endpoints), deployed);
    // The worker announces every backup and restore it ends (PutEvents), so EventBridge must answer,
    // as it would on AWS; no function of the benchmark's subscribes to those events.
    const bus = await startEventBus({
      port: ports.events,
      definition,
      importHandler: async () => async () => undefined,
    });
    emulators.push(bus);
    const { publicKeyPem } = await localKeys();
    const env: Record<string, string> = {
      ...resources.env,
      ...BENCH_CONFIG,
      AUTH_PUBLIC_KEY: publicKeyPem,
      // The local stage seals access keys' secrets under a key file (every API function reads it at init).
      LOCAL_SEAL_KEY_FILE: await localSealKeyFile(),
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    };
    // The SDK reads endpoints and credentials from the environment when a client is made, and the
    // handler modules read their configuration when imported: both happen in this process.
    Object.assign(process.env, env);
    const deps = workerDeps(parseConfig(env));
    const metered = workerDeps(parseConfig({ ...env, AWS_USAGE_METER: 'true' }));
    const rawDynamo = new DynamoDBClient({});
    const raw = {
      ddb: DynamoDBDocumentClient.from(rawDynamo, { marshallOptions: { removeUndefinedValues: true } }),
      sqs: new SQSClient({}),
      s3: new S3Client({ forcePathStyle: true }),
    };
    const resetGraphTable = async () => {
      await raw.ddb.send(new DeleteTableCommand({ TableName: deps.config.graphTable }));
      await createLocalResources(definition, endpoints);
    };
    return {
      deps,
      metered,
      apiMemoryMB: deployed.provider.memorySize ?? 1024,
      resources,
      env,
      raw,
      resetGraphTable,
      stop: async () => {
        rawDynamo.destroy();
        raw.sqs.destroy();
        raw.s3.destroy();
        await stopEmulators();
      },
    };
  } catch (error) {
    await stopEmulators();
    throw error;
  }
}
