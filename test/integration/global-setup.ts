import type { TestProject } from 'vitest/node';
import { type Emulator, startDynamoDb, startFauxqs } from '../../local/emulators.js';
import { readServiceDefinition } from '../../local/resources.js';
import { deliverySettings, packageAwsStage } from '../support/deployed-settings.js';
import { freePorts } from '../support/ports.js';

/** The emulators, once for the whole run; each test file makes its own tables, queues and bucket. */
export default async function setup(project: TestProject) {
  const ports = await freePorts(['dynamo', 'fauxqs']);
  // The AWS stage's delivery timings, from its packaged CloudFormation, for the recovery tests.
  const aws = packageAwsStage().then(deliverySettings);
  aws.catch(() => undefined);
  const started = await Promise.allSettled([
    startDynamoDb({ port: ports.dynamo }),
    startFauxqs({ port: ports.fauxqs }),
  ]);
  const emulators = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stopAll = () => Promise.all(emulators.map((e: Emulator) => e.stop()));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stopAll(); // one came up without the other: leave nothing running
    throw failed.reason;
  }
  const [dynamo, fauxqs] = emulators as [Emulator, Emulator];
  project.provide('endpoints', { dynamodb: dynamo.endpoint, sqs: fauxqs.endpoint, s3: fauxqs.endpoint });
  try {
    project.provide('serviceDefinition', await readServiceDefinition('local'));
    project.provide('awsDelivery', await aws);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}

declare module 'vitest' {
  export interface ProvidedContext {
    endpoints: import('../../local/resources.js').Endpoints;
    serviceDefinition: import('../../local/resources.js').ServiceDefinition;
    awsDelivery: import('../support/deployed-settings.js').DeliverySettings;
  }
}
