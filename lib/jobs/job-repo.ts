import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../dynamo.js';
import { translateAwsError } from '../errors.js';
import { jobIndexKeys, jobKey } from '../keys.js';
import type { JobDetail, JobRecord } from './model.js';

/** Job records in the control table. State changes that span records live with their use case. */
export class JobRepo {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The transaction item that creates a job; fails if the id exists. */
  putAction(job: JobRecord) {
    return {
      Put: {
        TableName: this.table,
        Item: {
          ...jobKey(job.projectId, job.jobId),
          ...jobIndexKeys(job.projectId, job.createdAt, job.jobId),
          ...job,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  async get(projectId: string, jobId: string): Promise<JobRecord | undefined> {
    try {
      const out = await this.ddb.send(
        new GetCommand({ TableName: this.table, Key: jobKey(projectId, jobId), ConsistentRead: true }),
      );
      return out.Item ? toJob(out.Item) : undefined;
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
  }

  /**
   * Takes a job for a worker run: a pending job, or a running one whose owner's lease has run out
   * (its Lambda died or timed out). Returns the job as taken, or undefined when it is not takeable.
   */
  async take(projectId: string, jobId: string, runId: string, now: number, leaseMs: number) {
    try {
      const out = await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(projectId, jobId),
          UpdateExpression: 'SET #status = :running, runId = :run, leaseUntil = :lease ADD attempts :one',
          ConditionExpression:
            'attribute_exists(pk) AND (#status = :pending OR (#status = :running AND leaseUntil < :now))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':running': 'running',
            ':pending': 'pending',
            ':run': runId,
            ':lease': now + leaseMs,
            ':now': now,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toJob(out.Attributes ?? {});
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw translateAwsError('DynamoDB', e);
    }
  }

  /** Records progress; false when the run no longer owns the job (another run took it over). */
  async progress(projectId: string, jobId: string, runId: string, progress: number, detail: JobDetail) {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(projectId, jobId),
          UpdateExpression: 'SET progress = :progress, detail = :detail',
          ConditionExpression: '#status = :running AND runId = :run',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':progress': progress,
            ':detail': detail,
            ':running': 'running',
            ':run': runId,
          },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw translateAwsError('DynamoDB', e);
    }
  }

  /**
   * Gives the job back after a retryable fault, so the next delivery can take it at once instead of
   * waiting for the lease to run out. Best effort: if it fails, the lease simply expires.
   */
  async releaseLease(projectId: string, jobId: string, runId: string): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(projectId, jobId),
          UpdateExpression: 'SET leaseUntil = :zero',
          ConditionExpression: '#status = :running AND runId = :run',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':zero': 0, ':running': 'running', ':run': runId },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw translateAwsError('DynamoDB', e);
    }
  }
}

export function toJob(item: Record<string, unknown>): JobRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g1s, ...job } = item;
  return job as JobRecord;
}
