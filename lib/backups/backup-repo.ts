import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { failedConditions } from '../dynamo.js';
import { translateAwsError } from '../errors.js';
import { GraphStatus } from '../graphs/model.js';
import type { JobRepo } from '../jobs/job-repo.js';
import type { JobRecord } from '../jobs/model.js';
import { backupIndexKeys, backupKey, graphKey, jobKey } from '../keys.js';
import type { BackupRecord } from './model.js';

export type BackupOutcome = {
  endAt: number;
  sizeBytes: number;
  vertexNum: number;
  edgeNum: number;
};

/**
 * Backup records, and the transactions that move a backup job, its backup and its graph's lock
 * together: a job never ends without its backup and its lock following in the same write.
 */
export class BackupRepo {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly jobs: JobRepo,
    private readonly retentionDays: number,
  ) {}

  async get(projectId: string, backupId: string): Promise<BackupRecord | undefined> {
    try {
      const out = await this.ddb.send(
        new GetCommand({ TableName: this.table, Key: backupKey(projectId, backupId), ConsistentRead: true }),
      );
      if (!out.Item) return undefined;
      const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...backup } = out.Item;
      return backup as BackupRecord;
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
  }

  /**
   * One transaction: the PENDING job, the `backing_up` backup and the graph's lock (status 903).
   * Returns false when the graph was not free and running at that instant.
   */
  async begin(job: JobRecord, backup: BackupRecord): Promise<boolean> {
    try {
      await this.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: graphKey(job.projectId, job.graphId),
                UpdateExpression: 'SET #status = :backingUp, lockJobId = :job',
                ConditionExpression:
                  '#status = :running AND attribute_not_exists(lockJobId) AND generation = :gen',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':backingUp': GraphStatus.backingUp,
                  ':running': GraphStatus.running,
                  ':job': job.jobId,
                  ':gen': backup.generation,
                },
              },
            },
            this.jobs.putAction(job),
            {
              Put: {
                TableName: this.table,
                Item: {
                  ...backupKey(backup.projectId, backup.backupId),
                  ...backupIndexKeys(backup.projectId, backup.graphId, backup.startAt, backup.backupId),
                  ...backup,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return true;
    } catch (e) {
      if (failedConditions(e)?.[0]) return false;
      throw translateAwsError('DynamoDB', e);
    }
  }

  /**
   * The run's last write: job `success`, backup `success` with its figures, graph free again.
   * Conditional on the run still owning the job; false when it does not (nothing is changed).
   */
  async complete(job: JobRecord, runId: string, outcome: BackupOutcome): Promise<boolean> {
    const backupId = job.backupId as string;
    try {
      await this.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: jobKey(job.projectId, job.jobId),
                UpdateExpression:
                  'SET #status = :success, endAt = :end, progress = :full, expiresAt = :expires REMOVE leaseUntil',
                ConditionExpression: '#status = :running AND runId = :run',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':success': 'success',
                  ':running': 'running',
                  ':run': runId,
                  ':end': outcome.endAt,
                  ':full': 100,
                  ':expires': this.expiry(outcome.endAt),
                },
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: backupKey(job.projectId, backupId),
                UpdateExpression:
                  'SET #status = :success, endAt = :end, sizeBytes = :size, vertexNum = :v, edgeNum = :e',
                ConditionExpression: '#status = :backingUp',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':success': 'success',
                  ':backingUp': 'backing_up',
                  ':end': outcome.endAt,
                  ':size': outcome.sizeBytes,
                  ':v': outcome.vertexNum,
                  ':e': outcome.edgeNum,
                },
              },
            },
            this.releaseGraph(job),
          ],
        }),
      );
      return true;
    } catch (e) {
      if (failedConditions(e)) return false;
      throw translateAwsError('DynamoDB', e);
    }
  }

  /**
   * Fails a job that has not ended, its backup with it, and frees the graph. With `runId`, only if
   * that run still owns the job. False when the job had already ended or changed hands.
   */
  async fail(job: JobRecord, reason: { code: string; message: string }, now: number, runId?: string) {
    const backupId = job.backupId as string;
    try {
      await this.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: jobKey(job.projectId, job.jobId),
                UpdateExpression:
                  'SET #status = :failed, endAt = :end, errorCode = :code, failReason = :reason, expiresAt = :expires REMOVE leaseUntil',
                ConditionExpression: runId
                  ? '#status = :running AND runId = :run'
                  : '#status IN (:pending, :running)',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':failed': 'failed',
                  ':running': 'running',
                  ...(runId ? { ':run': runId } : { ':pending': 'pending' }),
                  ':end': now,
                  ':code': reason.code,
                  ':reason': reason.message,
                  ':expires': this.expiry(now),
                },
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: backupKey(job.projectId, backupId),
                UpdateExpression: 'SET #status = :failed, endAt = :end',
                ConditionExpression: '#status = :backingUp',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':failed': 'failed', ':backingUp': 'backing_up', ':end': now },
              },
            },
            this.releaseGraph(job),
          ],
        }),
      );
      return true;
    } catch (e) {
      if (failedConditions(e)) return false;
      throw translateAwsError('DynamoDB', e);
    }
  }

  private releaseGraph(job: JobRecord) {
    return {
      Update: {
        TableName: this.table,
        Key: graphKey(job.projectId, job.graphId),
        UpdateExpression: 'SET #status = :running REMOVE lockJobId',
        ConditionExpression: 'lockJobId = :job',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':running': GraphStatus.running, ':job': job.jobId },
      },
    };
  }

  private expiry(endAt: number) {
    return Math.floor(endAt / 1000) + this.retentionDays * 86_400;
  }
}
