import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { translateAwsError } from '../errors.js';

/** What the API puts on the queue for the worker: ids only, the job record says the rest. */
export const jobMessageSchema = z.strictObject({ projectId: z.string().min(1), jobId: z.string().min(1) });
export type JobMessage = z.infer<typeof jobMessageSchema>;

export type JobQueue = { send(message: JobMessage, requestId?: string): Promise<void> };

export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** The API's request id travels as a message attribute, so one id links the API and the worker logs. */
  async send(message: JobMessage, requestId?: string): Promise<void> {
    try {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: JSON.stringify(message),
          ...(requestId && {
            MessageAttributes: { requestId: { DataType: 'String', StringValue: requestId } },
          }),
        }),
      );
    } catch (e) {
      throw translateAwsError('SQS', e);
    }
  }
}
