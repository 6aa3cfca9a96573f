/**
 * The one error taxonomy: every error the service raises on purpose is defined here. Domain code
 * throws these and knows nothing of HTTP; `lib/http/responses.ts` maps them to the wire once, and the
 * worker decides from `isRetryable` whether SQS should try again.
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

/** A transaction cancelled (not for a condition) because another one was writing the same item. */
export function isTransactionConflict(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name === 'TransactionConflictException') return true;
  const reasons = (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return e.name === 'TransactionCanceledException' && reasons.some((r) => r.Code === 'TransactionConflict');
}

/** Worth another delivery: a dependency that is down, or a fault of the network on the way. */
export const isRetryable = (e: unknown): boolean =>
  e instanceof DependencyUnavailable || isTransientAwsError(e);

/** 401: the caller is not who it says (missing, malformed, badly signed or expired credentials). */
export class Unauthenticated extends Error {
  override readonly name = 'Unauthenticated';
}

/**
 * A path or method this service does not serve (GES has many more operations than a backup service
 * keeps): 404 with a GES error body, as Huawei Cloud's API Gateway answers for an API it does not
 * have (APIGW.0101). `message` names the request.
 */
export class RouteNotFound extends Error {
  override readonly name = 'RouteNotFound';
}

/** The job is running under another run's live lease: this delivery should come back later. */
export class JobHeldElsewhere extends Error {
  override readonly name = 'JobHeldElsewhere';
}

/** The run no longer owns the job (a later run took it over): stop quietly, the owner finishes. */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
}

/** A data write lost the race against a job that took the graph meanwhile. */
export class GraphNotWritable extends Error {
  override readonly name = 'GraphNotWritable';
}

/** A schedule expression EventBridge would not accept. */
export class InvalidSchedule extends Error {
  override readonly name = 'InvalidSchedule';
}
