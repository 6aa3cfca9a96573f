import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import type { Config } from '../core/config.js';
import type { EventPublisher } from '../core/ports.js';
import { withRecorder } from './recorder.js';

/** The service's event bus, for the Lambdas that announce how jobs end. */
export const eventDeps = (config: Config): { events: EventPublisher } => ({
  events: new EventBridgePublisher(withRecorder(new EventBridgeClient({}), config), config.eventBusName),
});
