/**
 * The one error taxonomy. Domain code throws these; it knows nothing of HTTP. `lib/http/errors.ts`
 * maps them to the wire once, and the worker decides from `retryable` whether SQS should try again.
 */
export const GES_ERRORS = {
  'GES.0001': { status: 400, message: 'Incorrect parameter.' },
  'GES.7000': { status: 400, message: 'The graph does not exist or has been deleted.' },
  'GES.7001': { status: 400, message: 'The graph is not running.' },
  'GES.7002': { status: 400, message: 'The graph is being backed up.' },
  'GES.7003': { status: 400, message: 'The graph is being stopped or is stopped.' },
  'GES.7005': { status: 408, message: 'The underlying service of the graph engine is unavailable.' },
  'GES.7006': {
    status: 400,
    message: 'An internal error occurs in the underlying service of the graph engine.',
  },
  'GES.7016': { status: 400, message: 'The request body or header is invalid.' },
  'GES.7019': { status: 400, message: 'The number of graph backups reaches the upper limit.' },
  'GES.7024': { status: 400, message: 'The graph backup does not exist or has been deleted.' },
  'GES.7037': { status: 400, message: 'The graph is not in the Stopped state.' },
  'GES.7040': { status: 400, message: 'Failed to back up a graph.' },
  'GES.7041': { status: 403, message: 'Insufficient permission.' },
  'GES.7048': { status: 400, message: 'Invalid graph operation.' },
  'GES.7049': { status: 400, message: 'The parameter does not exist.' },
  'GES.8301': { status: 400, message: 'can not find job' },
} as const;

export type GesCode = keyof typeof GES_ERRORS;

/** A business error with its GES code. `message` is what the client reads: never a stack or SDK text. */
export class GesError extends Error {
  override readonly name = 'GesError';
  constructor(
    readonly code: GesCode,
    message: string = GES_ERRORS[code].message,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get status(): number {
    return GES_ERRORS[this.code].status;
  }
}

export const badParameter = (detail?: string) =>
  new GesError('GES.0001', detail ? `Incorrect parameter. ${detail}` : undefined);
export const invalidBody = (detail?: string) =>
  new GesError('GES.7016', detail ? `The request body or header is invalid. ${detail}` : undefined);
export const graphNotFound = () => new GesError('GES.7000');
export const jobNotFound = (jobId: string) => new GesError('GES.8301', `can not find job, jobId is ${jobId}`);

/** A dependency (DynamoDB, SQS, S3) is down or throttling: HTTP 503, and the worker lets SQS retry. */
export class DependencyUnavailable extends Error {
  override readonly name = 'DependencyUnavailable';
  constructor(
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable`, options);
  }
}

/** Faults of the network or of a throttled service: worth retrying, never the caller's fault. */
export function isTransientAwsError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const meta = (e as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown }).$metadata;
  if ((e as { $retryable?: unknown }).$retryable) return true;
  if (meta?.httpStatusCode !== undefined && meta.httpStatusCode >= 500) return true;
  const transientNames = [
    'ProvisionedThroughputExceededException',
    'ThrottlingException',
    'RequestLimitExceeded',
    'InternalServerError',
    'ServiceUnavailable',
    'SlowDown',
    'TimeoutError',
  ];
  if (transientNames.includes(e.name)) return true;
  const code = (e as { code?: string }).code;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code ?? '');
}

/** At the adapter edge, network and throttling faults become one typed error; others pass through. */
export function translateAwsError(dependency: string, e: unknown): unknown {
  return isTransientAwsError(e) || isTransactionConflict(e)
    ? new DependencyUnavailable(dependency, { cause: e })
    : e;
}

/** A transaction cancelled (not for a condition) because another one was writing the same item. */
export function isTransactionConflict(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name === 'TransactionConflictException') return true;
  const reasons = (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return e.name === 'TransactionCanceledException' && reasons.some((r) => r.Code === 'TransactionConflict');
}
