import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type TransactItem, transact } from '../dynamo.js';
import { translateAwsError } from '../errors.js';
import { backupIndexKeys, backupKey, backupListKey } from '../keys.js';
import type { BackupRecord } from './model.js';

export type BackupOutcome = { endAt: number; sizeBytes: number; vertexNum: number; edgeNum: number };
export type BackupScope = { projectId: string } | { projectId: string; graphId: string };

type Ids = Pick<BackupRecord, 'projectId' | 'backupId'>;

/** Backup records in the control table, and the transaction items that change them. */
export class BackupRepo {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  putAction(backup: BackupRecord): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: {
          ...backupKey(backup.projectId, backup.backupId),
          ...backupIndexKeys(backup.projectId, backup.graphId, backup.startAt, backup.backupId),
          ...backup,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** A backup being written ends well, with its figures. */
  completeAction(backup: Ids, outcome: BackupOutcome): TransactItem {
    return this.update(
      backup,
      'SET #status = :success, endAt = :end, sizeBytes = :size, vertexNum = :v, edgeNum = :e',
      '#status = :backingUp',
      {
        ':success': 'success',
        ':backingUp': 'backing_up',
        ':end': outcome.endAt,
        ':size': outcome.sizeBytes,
        ':v': outcome.vertexNum,
        ':e': outcome.edgeNum,
      },
    );
  }

  /** A backup being written ends badly. */
  failAction(backup: Ids, at: number): TransactItem {
    return this.update(backup, 'SET #status = :failed, endAt = :end', '#status = :backingUp', {
      ':failed': 'failed',
      ':backingUp': 'backing_up',
      ':end': at,
    });
  }

  /** A job (restore, export) reads a good backup: while it does, the backup cannot be deleted. */
  useAction(backup: Ids, jobId: string): TransactItem {
    return this.update(
      backup,
      'SET usedByJobId = :job',
      '#status = :success AND attribute_not_exists(usedByJobId) AND attribute_not_exists(deleting)',
      { ':job': jobId, ':success': 'success' },
    );
  }

  /** The first step of a delete: from here on no job may use the backup. */
  async markDeleting(backup: Ids): Promise<boolean> {
    return transact(this.ddb, [
      this.update(
        backup,
        'SET deleting = :yes',
        'attribute_exists(pk) AND #status <> :backingUp AND attribute_not_exists(usedByJobId)',
        { ':yes': true, ':backingUp': 'backing_up' },
      ),
    ]);
  }

  unuseAction(backup: Ids, jobId: string): TransactItem {
    return this.update(backup, 'REMOVE usedByJobId', 'usedByJobId = :job', { ':job': jobId });
  }

  /** The last step of a delete, once its files are gone. */
  deleteAction(backup: Ids): TransactItem {
    return {
      Delete: {
        TableName: this.table,
        Key: backupKey(backup.projectId, backup.backupId),
        ConditionExpression: 'deleting = :yes',
        ExpressionAttributeValues: { ':yes': true },
      },
    };
  }

  async get(projectId: string, backupId: string): Promise<BackupRecord | undefined> {
    try {
      const out = await this.ddb.send(
        new GetCommand({ TableName: this.table, Key: backupKey(projectId, backupId), ConsistentRead: true }),
      );
      return out.Item ? toBackup(out.Item) : undefined;
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
  }

  /** A project's or a graph's backups, newest first, with the total count. */
  async list(scope: BackupScope, offset: number, limit: number) {
    const key =
      'graphId' in scope ? backupListKey.graph(scope.graphId) : backupListKey.project(scope.projectId);
    const all = (await this.queryAll(key.index, key.pk)).filter((b) => !b.deleting);
    return { total: all.length, page: all.slice(offset, offset + limit) };
  }

  /**
   * Every record in one list partition, newest first. A project's backups are bounded by its quota
   * (20 by default), so reading them whole is cheaper than paging twice for a count.
   */
  private async queryAll(index: string, pk: string): Promise<BackupRecord[]> {
    const backups: BackupRecord[] = [];
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const out = await this.ddb.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: index,
            KeyConditionExpression: `${index}pk = :pk`,
            ExpressionAttributeValues: { ':pk': pk },
            ScanIndexForward: false,
            ExclusiveStartKey: start,
          }),
        );
        backups.push(...(out.Items ?? []).map(toBackup));
        start = out.LastEvaluatedKey;
      } while (start);
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
    return backups;
  }

  private update(
    backup: Ids,
    UpdateExpression: string,
    ConditionExpression: string,
    values: Record<string, unknown>,
  ): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: backupKey(backup.projectId, backup.backupId),
        UpdateExpression,
        ConditionExpression,
        ...(/#status/.test(UpdateExpression + ConditionExpression) && {
          ExpressionAttributeNames: { '#status': 'status' },
        }),
        ExpressionAttributeValues: values,
      },
    };
  }
}

function toBackup(item: Record<string, unknown>): BackupRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...backup } = item;
  return backup as BackupRecord;
}
