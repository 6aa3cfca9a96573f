import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { translateAwsError } from '../../lib/adapters/aws-errors.js';
import { DependencyUnavailable } from '../../lib/core/errors.js';

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

describe('AWS errors at the adapter edge', () => {
  it('make a transaction that lost to a concurrent one retryable (503), not an internal fault', () => {
    expect(translateAwsError('DynamoDB', cancelled('None', 'TransactionConflict'))).toBeInstanceOf(
      DependencyUnavailable,
    );
  });

  it('make network and throttling faults retryable', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    expect(translateAwsError('S3', reset)).toBeInstanceOf(DependencyUnavailable);
    expect(translateAwsError('SQS', throttled)).toBeInstanceOf(DependencyUnavailable);
  });

  it('leave other errors as they are, for the caller to judge', () => {
    const validation = Object.assign(new Error('bad key'), { name: 'ValidationException' });
    expect(translateAwsError('DynamoDB', validation)).toBe(validation);
    expect(translateAwsError('DynamoDB', cancelled('ConditionalCheckFailed'))).not.toBeInstanceOf(
      DependencyUnavailable,
    );
  });
});
