// A plugin of ours: on a stage whose API is a REST API (`localstack`, see http-events.cjs), what API
// Gateway answers itself (an unknown path or method, a request it refuses before any function runs)
// is a GES error body too, as the functions' own errors are, not API Gateway's `{"message": ...}`.
// A body over its 10 MB limit is 400 GES.7016, as GES answers an oversized body.
// A REST API answers an unknown path or method 403 MISSING_AUTHENTICATION_TOKEN; GES says an unknown
// route is 404, so those two are 404. The HTTP API of the other stages has no gateway responses.
//
// The body is the v1 spelling whatever the tree: a gateway response belongs to the whole API, and a
// static body is what every emulator renders alike.
//
// A plugin rather than `resources` in serverless.yml: these resources name the REST API osls makes
// from the `http` events (ApiGatewayRestApi), which exists on that stage only, and `resources` is the
// same for every stage (local/resources.ts reads it through `osls print`).
const GES_NOT_SUPPORTED = {
  errorCode: 'GES.0001',
  errorMessage: 'Incorrect parameter. The API does not support this method and path.',
};
const GES_INTERNAL = {
  errorCode: 'GES.7006',
  errorMessage: 'An internal error occurs in the underlying service of the graph engine.',
};

// A body over API Gateway's 10 MB: GES answers an oversized body 400 GES.7016, as the functions do for
// one over Lambda's 6 MB (lib/http/request.ts), and serverless/offline-body-limit.cjs locally.
const GES_BODY_TOO_LARGE = {
  errorCode: 'GES.7016',
  errorMessage: 'The request body or header is invalid. The body is too large.',
};

/** Logical id, response type, status (none: API Gateway's own for that response) and body. */
const RESPONSES = [
  ['GatewayResponseRequestTooLarge', 'REQUEST_TOO_LARGE', '400', GES_BODY_TOO_LARGE],
  ['GatewayResponseMissingAuthenticationToken', 'MISSING_AUTHENTICATION_TOKEN', '404', GES_NOT_SUPPORTED],
  ['GatewayResponseResourceNotFound', 'RESOURCE_NOT_FOUND', '404', GES_NOT_SUPPORTED],
  ['GatewayResponseDefault4XX', 'DEFAULT_4XX', undefined, GES_NOT_SUPPORTED],
  ['GatewayResponseDefault5XX', 'DEFAULT_5XX', undefined, GES_INTERNAL],
];

class GatewayResponses {
  constructor(serverless) {
    this.serverless = serverless;
    // After osls's own `package:compileEvents` hooks (core plugins run first): the REST API exists then.
    this.hooks = { 'package:compileEvents': () => this.add() };
  }

  add() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    if (!template.Resources.ApiGatewayRestApi) return;
    for (const [logicalId, type, status, body] of RESPONSES) {
      template.Resources[logicalId] = {
        Type: 'AWS::ApiGateway::GatewayResponse',
        Properties: {
          RestApiId: { Ref: 'ApiGatewayRestApi' },
          ResponseType: type,
          ...(status ? { StatusCode: status } : {}),
          ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/json'" },
          ResponseTemplates: { 'application/json': JSON.stringify(body) },
        },
      };
    }
    // A stage serves the gateway responses that existed when it was deployed: deploy after them.
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::ApiGateway::Deployment') continue;
      const before = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
      resource.DependsOn = [...before, ...RESPONSES.map(([logicalId]) => logicalId)];
    }
  }
}

module.exports = GatewayResponses;
