import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import {
  DependencyUnavailable,
  GES_ERRORS,
  GesError,
  RouteNotFound,
  Unauthenticated,
} from '../core/errors.js';

/** The two wire shapes of the API: v1 (camelCase) and v2 (snake_case) share one domain core. */
export type ApiVersion = 'v1' | 'v2';

export const apiVersionOf = (rawPath: string): ApiVersion => (rawPath.startsWith('/v2/') ? 'v2' : 'v1');

export function json(statusCode: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function errorBody(version: ApiVersion, code: string, message: string) {
  return version === 'v2'
    ? { error_code: code, error_msg: message }
    : { errorCode: code, errorMessage: message };
}

/**
 * The one place errors meet the wire. Business errors carry their GES code and status; a dependency
 * that is down is 503; anything else is a 500 with a generic message (`internal: true` tells the
 * caller to log the cause, which never reaches the client).
 */
export function errorResponse(
  error: unknown,
  version: ApiVersion,
): { response: APIGatewayProxyResultV2; internal: boolean } {
  if (error instanceof GesError) {
    return { response: json(error.status, errorBody(version, error.code, error.message)), internal: false };
  }
  if (error instanceof Unauthenticated) {
    const message = `Incorrect IAM authentication information: ${error.message}`;
    return { response: json(401, errorBody(version, 'APIGW.0301', message)), internal: false };
  }
  if (error instanceof RouteNotFound) {
    const message = `The API does not exist or has not been published in the environment: this service does not support ${error.message || 'this operation'}.`;
    return { response: json(404, errorBody(version, 'APIGW.0101', message)), internal: false };
  }
  if (error instanceof DependencyUnavailable) {
    return {
      response: json(503, errorBody(version, 'GES.7005', GES_ERRORS['GES.7005'].message)),
      internal: true,
    };
  }
  return {
    response: json(500, errorBody(version, 'GES.7006', GES_ERRORS['GES.7006'].message)),
    internal: true,
  };
}
