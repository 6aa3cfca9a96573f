import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import { badParameter, invalidBody } from '../core/errors.js';

/** Lambda's synchronous payload limit: API Gateway would pass more, the function could not take it. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

const describe = (error: z.ZodError) =>
  error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');

/** Path parameters, validated before any storage is touched: anything malformed is GES.0001. */
export function pathParams<S extends z.ZodType>(event: APIGatewayProxyEventV2, schema: S): z.infer<S> {
  const parsed = schema.safeParse(event.pathParameters ?? {});
  if (!parsed.success) throw badParameter(describe(parsed.error));
  return parsed.data;
}

export function queryParams<S extends z.ZodType>(event: APIGatewayProxyEventV2, schema: S): z.infer<S> {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) throw badParameter(describe(parsed.error));
  return parsed.data;
}

/**
 * The JSON body, validated whole: a wrong content type, a malformed, oversized or ill-typed body is
 * GES.7016. Ours rather than middy's json-body-parser, which rejects bodiless GETs that share a
 * function with POSTs, and answers 415/422 where GES answers 400 GES.7016.
 */
export function jsonBody<S extends z.ZodType>(event: APIGatewayProxyEventV2, schema: S): z.infer<S> {
  if (!isJson(event.headers?.['content-type'])) throw invalidBody('Content-Type must be application/json.');
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) throw invalidBody('The body is too large.');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw invalidBody('The body is not valid JSON.');
  }
  if (!isWellFormedText(value)) throw invalidBody('The body holds a string that is not valid Unicode.');
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidBody(describe(parsed.error));
  return parsed.data;
}

/**
 * The media type, parameters aside, is exactly `application/json` (any case): `application/json;
 * charset=utf-8` is JSON, `application/json-patch+json` or `application/jsonl` are not.
 */
function isJson(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';', 1)[0] ?? '';
  return mediaType.trim().toLowerCase() === 'application/json';
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * No string of the value, key or element, holds an unpaired surrogate (`"\ud800"` is valid JSON but
 * no Unicode text: DynamoDB and S3 store UTF-8, which cannot encode it). Iterative: a deeply nested
 * body must not overflow the stack.
 */
function isWellFormedText(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (LONE_SURROGATE.test(next)) return false;
    } else if (Array.isArray(next)) {
      for (const child of next) pending.push(child);
    } else if (next && typeof next === 'object') {
      for (const [key, child] of Object.entries(next)) {
        if (LONE_SURROGATE.test(key)) return false;
        pending.push(child);
      }
    }
  }
  return true;
}

/** A body that may be left out (start without a backup): absent or empty is undefined. */
export function optionalJsonBody<S extends z.ZodType>(
  event: APIGatewayProxyEventV2,
  schema: S,
): z.infer<S> | undefined {
  return event.body ? jsonBody(event, schema) : undefined;
}

/** An optional header, validated: a malformed one is GES.7016 ("the request body or header is invalid"). */
export function header<S extends z.ZodType>(
  event: APIGatewayProxyEventV2,
  name: string,
  schema: S,
): z.infer<S> | undefined {
  const value = event.headers?.[name];
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidBody(`The ${name} header is malformed.`);
  return parsed.data;
}
