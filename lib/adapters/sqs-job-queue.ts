import {
  ChangeMessageVisibilityBatchCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DependencyUnavailable } from '../core/errors.js';
import type { JobMessage, JobQueue } from '../core/ports.js';
import { translateAwsError } from './aws-errors.js';

export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async sendAll(messages: JobMessage[], requestId?: string): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      let failed: number;
      try {
        const out = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: batch.map((message, n) => ({ Id: String(n), ...this.entry(message, requestId) })),
          }),
        );
        failed = out.Failed?.length ?? 0;
      } catch (e) {
        throw translateAwsError('SQS', e);
      }
      if (failed) throw new DependencyUnavailable('SQS');
    }
  }

  private entry(message: JobMessage, requestId?: string) {
    return {
      MessageBody: JSON.stringify(message),
      ...(requestId && { MessageAttributes: { requestId: { DataType: 'String', StringValue: requestId } } }),
    };
  }

  /** The API's request id travels as a message attribute, so one id links the API and the worker logs. */
  async send(message: JobMessage, requestId?: string): Promise<void> {
    try {
      await this.sqs.send(
        new SendMessageCommand({ QueueUrl: this.queueUrl, ...this.entry(message, requestId) }),
      );
    } catch (e) {
      throw translateAwsError('SQS', e);
    }
  }

  async hideFor(receiptHandles: string[], seconds: number): Promise<{ failed: string[] }> {
    const failed: string[] = [];
    // SQS takes whole seconds, 0 to 12 hours.
    const VisibilityTimeout = Math.min(43_200, Math.max(0, Math.ceil(seconds)));
    for (let i = 0; i < receiptHandles.length; i += 10) {
      const batch = receiptHandles.slice(i, i + 10);
      try {
        const out = await this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: batch.map((ReceiptHandle, n) => ({ Id: String(n), ReceiptHandle, VisibilityTimeout })),
          }),
        );
        for (const f of out.Failed ?? []) failed.push(batch[Number(f.Id)] ?? '');
      } catch (e) {
        throw translateAwsError('SQS', e);
      }
    }
    return { failed };
  }
}
