// The HTTP events of each API function, generated from functions/routes.json: the routes are declared
// once there, and each function's handler serves exactly its list (lib/http/api.ts checks at init).
const routes = require('../functions/routes.json');

module.exports = async () =>
  Object.fromEntries(
    Object.entries(routes).map(([fn, keys]) => [fn, keys.map((key) => ({ httpApi: key }))]),
  );
