// The HTTP events of each API function, generated from functions/routes.json: the routes are declared
// once there, and each function's handler serves exactly its list (lib/http/api.ts checks at init).
//
// The `aws` and `local` stages serve them from an HTTP API (`httpApi` events, payload 2.0). The
// `localstack` stage serves them from a REST API (`http` events, Lambda proxy integration): LocalStack's
// free edition has API Gateway V1 only (localstack/coverage.json). lib/http/event.ts turns the REST
// event into the HTTP API shape, so the handlers are the same.
const routes = require('../functions/routes.json');

/** The stages whose API is a REST API. */
const REST_API_STAGES = ['localstack'];

const restEvent = (key) => {
  const [method, path] = key.split(' ');
  return { http: { method: method.toLowerCase(), path } };
};

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const rest = REST_API_STAGES.includes(stage);
  // `*` is the HTTP API's catch-all (`$default`, to notServed); a REST API answers what it does not
  // serve by its gateway responses (serverless/gateway-responses.cjs) instead.
  const events = (keys) => (rest ? keys.filter((key) => key !== '*').map(restEvent) : keys.map((key) => ({ httpApi: key })));
  return Object.fromEntries(Object.entries(routes).map(([fn, keys]) => [fn, events(keys)]));
};
