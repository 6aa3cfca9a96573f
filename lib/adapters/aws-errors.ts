import { DependencyUnavailable, isTransactionConflict, isTransientAwsError } from '../core/errors.js';

/**
 * At the adapter edge, network and throttling faults (and transactions that lost to a concurrent
 * one) become one typed error, `DependencyUnavailable`; others pass through. Only adapters call this.
 */
export function translateAwsError(dependency: string, e: unknown): unknown {
  return isTransientAwsError(e) || isTransactionConflict(e)
    ? new DependencyUnavailable(dependency, { cause: e })
    : e;
}
