// A plugin of ours, for the local stage: serverless-offline's HTTP server (hapi) refuses a body over
// its 10 MiB limit itself, with hapi's own `413 {"statusCode":413,"error":"Request Entity Too Large"}`,
// before any function runs. GES says an oversized body is `400 GES.7016` (shared spec, "Conventions"),
// which the functions already answer for the bodies between Lambda's 6 MB and that limit
// (lib/http/request.ts): this gives the larger ones the same answer, in the v1 or v2 spelling of the
// path's tree, as lib/http/responses.ts spells them.
//
// serverless-offline keeps its hapi server to itself, and imports hapi only when `offline start`
// begins: the plugin wraps hapi's `Server` before that (in its constructor, which osls runs when it
// loads the plugins), so that every server made afterwards has the extension. hapi is CommonJS, so the
// ES module import in serverless-offline sees the wrapped export.
//
// On AWS (`aws` stage) the HTTP API answers `413 {"message":"Request Entity Too Large"}` itself and
// an HTTP API's own answers cannot be changed (it has no gateway responses). The REST API of the
// localstack stage can: serverless/gateway-responses.cjs maps REQUEST_TOO_LARGE to the same body.
const MESSAGE = 'The request body or header is invalid. The body is too large.';

function bodyFor(path) {
  return path.startsWith('/v2/')
    ? { error_code: 'GES.7016', error_msg: MESSAGE }
    : { errorCode: 'GES.7016', errorMessage: MESSAGE };
}

let wrapped = false;

function wrapHapi() {
  if (wrapped) return;
  wrapped = true;
  const hapi = require('@hapi/hapi');
  const original = hapi.Server;
  // A function, not an arrow: serverless-offline calls it with `new` (what it returns is the server).
  function server(options) {
    const made = original(options);
    made.ext('onPreResponse', (request, h) => {
      const response = request.response;
      if (!response || !response.isBoom || response.output.statusCode !== 413) return h.continue;
      return h.response(JSON.stringify(bodyFor(request.path))).code(400).type('application/json');
    });
    return made;
  }
  hapi.Server = server;
  hapi.server = server;
}

class OfflineBodyLimit {
  constructor(serverless) {
    // Only for `offline`: other commands never start a server, and need not load hapi.
    const commands = serverless.processedInput?.commands ?? [];
    if (commands[0] === 'offline') wrapHapi();
  }
}

module.exports = OfflineBodyLimit;
