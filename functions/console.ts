import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import css from '../console/dist/app.css.txt';
import js from '../console/dist/app.js.txt';
import { consoleHandler } from '../console/serve.js';
import { isRestEvent, toHttpApiEvent } from '../lib/http/event.js';
import openapi from '../openapi.json' with { type: 'json' };

const serve = consoleHandler({ js, css, openapi: JSON.stringify(openapi) });

/**
 * The web console: its files, built by console/build.ts and embedded here as text, on the routes
 * functions/routes.json declares for it (`console`), and the API's OpenAPI document (openapi.json,
 * bundled as JSON) at `/openapi.json`. No credentials needed. A REST API's event
 * (the localstack stage) is read in the HTTP API's shape, as every API function reads it.
 */
export const handler = async (event: APIGatewayProxyEvent | APIGatewayProxyEventV2) =>
  serve(isRestEvent(event) ? toHttpApiEvent(event) : event);
