import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';

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
