import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import css from '../console/dist/app.css.txt';
import js from '../console/dist/app.js.txt';
import { consoleHandler } from '../console/serve.js';
import { isRestEvent, toHttpApiEvent } from '../lib/http/event.js';

const serve = consoleHandler({ js, css });

/**
 * The web console: its files, built by console/build.ts and embedded here as text, on the routes
 * functions/routes.json declares for it (`console`). No credentials needed. A REST API's event
 * (the localstack stage) is read in the HTTP API's shape, as every API function reads it.
 */
export const handler = async (event: APIGatewayProxyEvent | APIGatewayProxyEventV2) =>
  serve(isRestEvent(event) ? toHttpApiEvent(event) : event);
