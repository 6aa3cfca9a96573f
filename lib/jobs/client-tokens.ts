import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { TransactItem } from '../dynamo.js';
import { translateAwsError } from '../errors.js';
import { clientTokenKey } from '../keys.js';

/** How long a retried request with the same `X-Client-Token` gets the same job back. */
export const CLIENT_TOKEN_SECONDS = 8 * 3600;
export const clientTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export type TokenUse = { graphId: string; jobId: string; backupId: string };

/**
 * Idempotency records (like AWS Backup's IdempotencyToken): a token written in the same transaction
 * as the job it started. Expired records are treated as absent before DynamoDB's TTL removes them.
 */
export class ClientTokenRepo {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(projectId: string, token: string, now: number): Promise<TokenUse | undefined> {
    try {
      const out = await this.ddb.send(
        new GetCommand({
          TableName: this.table,
          Key: clientTokenKey(projectId, token),
          ConsistentRead: true,
        }),
      );
      const item = out.Item;
      if (!item || Number(item.expiresAt) * 1000 <= now) return undefined;
      return { graphId: item.graphId, jobId: item.jobId, backupId: item.backupId };
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
  }

  putAction(projectId: string, token: string, use: TokenUse, now: number): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: {
          ...clientTokenKey(projectId, token),
          ...use,
          expiresAt: Math.floor(now / 1000) + CLIENT_TOKEN_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': Math.floor(now / 1000) },
      },
    };
  }
}
