import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../dynamo.js';
import { translateAwsError } from '../errors.js';
import { projectKey } from '../keys.js';

export type Counter = 'graphCount' | 'backupCount';

/**
 * The project's counters, kept exact by riding in the same transactions as the records they count:
 * a quota holds even under concurrent requests.
 */
export class ProjectRepo {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Counts one more, on condition that the count is below `limit`. */
  reserveAction(projectId: string, counter: Counter, limit: number): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: projectKey(projectId),
        UpdateExpression: 'ADD #counter :one',
        ConditionExpression: 'attribute_not_exists(#counter) OR #counter < :limit',
        ExpressionAttributeNames: { '#counter': counter },
        ExpressionAttributeValues: { ':one': 1, ':limit': limit },
      },
    };
  }

  /** Counts one less. */
  returnAction(projectId: string, counter: Counter, howMany = 1): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: projectKey(projectId),
        UpdateExpression: 'ADD #counter :minus',
        ExpressionAttributeNames: { '#counter': counter },
        ExpressionAttributeValues: { ':minus': -howMany },
      },
    };
  }

  async counts(projectId: string): Promise<Record<Counter, number>> {
    try {
      const out = await this.ddb.send(
        new GetCommand({ TableName: this.table, Key: projectKey(projectId), ConsistentRead: true }),
      );
      return {
        graphCount: Number(out.Item?.graphCount ?? 0),
        backupCount: Number(out.Item?.backupCount ?? 0),
      };
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
  }
}
