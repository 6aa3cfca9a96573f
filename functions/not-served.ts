import { notServed } from '../lib/http/api.js';

/** API Gateway's `$default` route: the GES 404 for every path and method no other function serves. */
export const handler = notServed();
