import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type EventPublisher } from '../core/ports.js';
import { translateAwsError } from './aws-errors.js';

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(detailType: string, detail: Record<string, unknown>): Promise<void> {
    let failed: number | undefined;
    try {
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: this.busName,
              Source: EVENT_SOURCE,
              DetailType: detailType,
              Detail: JSON.stringify(detail),
            },
          ],
        }),
      );
      failed = out.FailedEntryCount;
    } catch (e) {
      throw translateAwsError('EventBridge', e);
    }
    if (failed) throw new Error(`EventBridge refused the ${detailType} event`);
  }
}
