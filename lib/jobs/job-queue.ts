import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { DependencyUnavailable, translateAwsError } from '../errors.js';

/**
 * What goes on the queue for the worker: ids only, the job record says the rest. A job that fans out
 * (a backup) also sends `step` messages, each one part of the work, fenced by the run that sent it.
 */
export const jobMessageSchema = z.strictObject({
  projectId: z.string().min(1),
  jobId: z.string().min(1),
  step: z.looseObject({ runId: z.string().min(1) }).optional(),
});
export type JobMessage = z.infer<typeof jobMessageSchema>;

export type JobQueue = {
  send(message: JobMessage, requestId?: string): Promise<void>;
  /** Sends several messages, ten to a batch; a message SQS refuses makes the call throw. */
  sendAll(messages: JobMessage[], requestId?: string): Promise<void>;
};

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
}
