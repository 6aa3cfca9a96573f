import css from '../console/dist/app.css.txt';
import js from '../console/dist/app.js.txt';
import { consoleHandler } from '../console/serve.js';

/**
 * The web console: its files, built by console/build.ts and embedded here as text, on the routes
 * functions/routes.json declares for it (`console`). No credentials needed.
 */
export const handler = consoleHandler({ js, css });
