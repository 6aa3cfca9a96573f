import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, type TransactItem } from '../dynamo.js';
import { translateAwsError } from '../errors.js';
import { ACTIVE_JOBS, activeJobKeys, jobIndexKeys, jobKey, jobListKey, overdueBefore } from '../keys.js';
import { isTerminal, type JobDetail, type JobRecord, type RecordedPart } from './model.js';

/** How a job ends: success, or failure with a GES code and a reason fit for the client. */
export type JobEnd = { status: 'success' } | { status: 'failed'; code: string; message: string };

/** Job records in the control table. Changes that span records are composed by the use cases. */
export class JobRepo {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays: number,
  ) {}

  /** Creates a job; fails if the id exists. */
  putAction(job: JobRecord): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: {
          ...jobKey(job.projectId, job.jobId),
          ...jobIndexKeys(job.projectId, job.createdAt, job.jobId),
          ...(!isTerminal(job.status) && activeJobKeys(job.projectId, job.deadlineAt, job.jobId)),
          ...job,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /**
   * Ends a job that has not ended. With `runId`, only while that worker run owns it (the fence that
   * keeps a late or duplicate run from ending a job twice). Ended jobs expire by TTL later.
   */
  endAction(
    job: Pick<JobRecord, 'projectId' | 'jobId'>,
    end: JobEnd,
    at: number,
    runId?: string,
  ): TransactItem {
    const failed = end.status === 'failed';
    return {
      Update: {
        TableName: this.table,
        Key: jobKey(job.projectId, job.jobId),
        UpdateExpression: failed
          ? 'SET #status = :status, endAt = :at, expiresAt = :expires, errorCode = :code, failReason = :reason REMOVE leaseUntil, gsi2pk, gsi2sk'
          : 'SET #status = :status, endAt = :at, expiresAt = :expires, progress = :full REMOVE leaseUntil, gsi2pk, gsi2sk',
        ConditionExpression: runId
          ? '#status = :running AND runId = :run'
          : '#status IN (:pending, :running)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': end.status,
          ':at': at,
          ':expires': Math.floor(at / 1000) + this.retentionDays * 86_400,
          ':running': 'running',
          ...(runId ? { ':run': runId } : { ':pending': 'pending' }),
          ...(failed ? { ':code': end.code, ':reason': end.message } : { ':full': 100 }),
        },
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
   * A project's jobs, newest first, created within [from, to] (epoch ms). Pages through the index
   * and yields job by job, so a caller can stop as soon as its page is full.
   */
  async *listNewestFirst(
    projectId: string,
    from = 0,
    to = Number.MAX_SAFE_INTEGER,
  ): AsyncGenerator<JobRecord> {
    const range = jobListKey(projectId, from, to);
    let start: Record<string, unknown> | undefined;
    do {
      let out: QueryCommandOutput;
      try {
        out = await this.ddb.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': range.pk, ':from': range.from, ':to': range.to },
            ScanIndexForward: false,
            ExclusiveStartKey: start,
          }),
        );
      } catch (e) {
        throw translateAwsError('DynamoDB', e);
      }
      for (const item of out.Items ?? []) yield toJob(item);
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /** Jobs of every project that have not ended and are past their deadline, oldest deadline first. */
  async overdue(now: number, limit: number): Promise<JobRecord[]> {
    try {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :active AND gsi2sk < :now',
          ExpressionAttributeValues: { ':active': ACTIVE_JOBS, ':now': overdueBefore(now) },
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map(toJob);
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
    return this.updateOwned(projectId, jobId, runId, 'SET progress = :progress, detail = :detail', {
      ':progress': progress,
      ':detail': detail,
    });
  }

  /** A run splits its job into `tasks` tasks: the record starts counting them. */
  async startTasks(projectId: string, jobId: string, runId: string, tasks: number, detail: JobDetail) {
    return this.updateOwned(
      projectId,
      jobId,
      runId,
      'SET tasks = :tasks, parts = :none, detail = :detail, progress = :zero REMOVE tasksDone',
      { ':tasks': tasks, ':none': {}, ':detail': detail, ':zero': 0 },
    );
  }

  /** Records one part file of a task; idempotent (a part's key names its shard and segment). */
  async recordPart(projectId: string, jobId: string, runId: string, part: RecordedPart) {
    return this.updateOwnedReturning(
      projectId,
      jobId,
      runId,
      'SET parts.#part = :part',
      { ':part': part },
      {
        '#part': `${part.shard}.${part.segment}`,
      },
    );
  }

  /** Counts a task done (a set, so a duplicate delivery counts once); returns the job as it now is. */
  async finishTask(projectId: string, jobId: string, runId: string, task: string) {
    return this.updateOwnedReturning(projectId, jobId, runId, 'ADD tasksDone :task', {
      ':task': new Set([task]),
    });
  }

  /**
   * Gives the job back after a retryable fault, so the next delivery can take it at once instead of
   * waiting for the lease to run out.
   */
  async releaseLease(projectId: string, jobId: string, runId: string): Promise<void> {
    await this.updateOwned(projectId, jobId, runId, 'SET leaseUntil = :zero', { ':zero': 0 });
  }

  private async updateOwnedReturning(
    projectId: string,
    jobId: string,
    runId: string,
    UpdateExpression: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
  ): Promise<JobRecord | undefined> {
    try {
      const out = await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(projectId, jobId),
          UpdateExpression,
          ConditionExpression: '#status = :running AND runId = :run',
          ExpressionAttributeNames: { '#status': 'status', ...names },
          ExpressionAttributeValues: { ...values, ':running': 'running', ':run': runId },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toJob(out.Attributes ?? {});
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw translateAwsError('DynamoDB', e);
    }
  }

  private async updateOwned(
    projectId: string,
    jobId: string,
    runId: string,
    UpdateExpression: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(projectId, jobId),
          UpdateExpression,
          ConditionExpression: '#status = :running AND runId = :run',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...values, ':running': 'running', ':run': runId },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw translateAwsError('DynamoDB', e);
    }
  }
}

export function toJob(item: Record<string, unknown>): JobRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g1s, gsi2pk: _g2, gsi2sk: _g2s, ...job } = item;
  return job as JobRecord;
}
