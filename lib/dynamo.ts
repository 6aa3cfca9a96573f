import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { isTransactionConflict, translateAwsError } from './errors.js';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Which items of a cancelled transaction failed their condition, by position; `undefined` when the
 * error is not a transaction cancelled by conditions (a conflict or throttle is retryable instead).
 */
export function failedConditions(e: unknown): boolean[] | undefined {
  if (!(e instanceof TransactionCanceledException)) return undefined;
  const reasons = e.CancellationReasons ?? [];
  if (!reasons.some((r) => r.Code === 'ConditionalCheckFailed')) return undefined;
  return reasons.map((r) => r.Code === 'ConditionalCheckFailed');
}

export const isConditionFailure = (e: unknown): boolean =>
  e instanceof Error && e.name === 'ConditionalCheckFailedException';

/**
 * Writes all items or none. Resolves false when a condition did not hold (nothing was written):
 * every state change here is conditional on the state it expects, and losing a race is no fault.
 */
export async function transact(ddb: DynamoDBDocumentClient, items: TransactItem[]): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ddb.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (e) {
      if (failedConditions(e)) return false;
      // Another transaction held one of the items: try again shortly, as DynamoDB advises.
      if (isTransactionConflict(e) && attempt < CONFLICT_ATTEMPTS) {
        await sleep(20 * 2 ** attempt * (0.5 + Math.random()));
        continue;
      }
      throw translateAwsError('DynamoDB', e);
    }
  }
}

const CONFLICT_ATTEMPTS = 4;
