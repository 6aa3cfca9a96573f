import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import declaredRoutes from '../../functions/routes.json' with { type: 'json' };
import coverage from '../../localstack/coverage.json' with { type: 'json' };
import { osls, ROOT, type Run, scratchService } from '../support/osls.js';
import { freePorts } from '../support/ports.js';

/**
 * The localstack stage as it deploys: `osls package --stage localstack` on a copy of the service, no
 * credentials, and no LocalStack (the endpoint it is given is a port nothing listens on). It must
 * end by itself (it used to hang after "Service packaged", see `esbuild.skipRebuild` in
 * serverless.yml), and the CloudFormation it writes may only use what LocalStack's free plan has
 * (localstack/coverage.json).
 */

type CfnResource = { Type: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, CfnResource> };
type Service = { free: boolean; lookedUp: string; sources: string[]; facts: string };

/** Far above what packaging takes here (about 20 s, 60 s beside the other osls tests); it hung forever. */
const TIME_LIMIT_MS = 150_000;

let run: Run;
let template: Template | undefined;
let remove: () => Promise<void> = async () => {};

beforeAll(async () => {
  const scratch = await scratchService('ges-localstack-');
  remove = scratch.remove;
  const { endpointPort } = await freePorts(['endpointPort']);
  const output = join(scratch.dir, 'package');
  run = await osls(
    scratch.service,
    ['package', '--stage', 'localstack', '--package', output],
    { ...scratch.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${endpointPort}` },
    { timeoutMs: TIME_LIMIT_MS, stopOnError: false },
  );
  if (run.code !== 0 || run.timedOut) return;
  template = JSON.parse(
    await readFile(join(output, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
}, TIME_LIMIT_MS + 30_000);

afterAll(() => remove());

const services = coverage.services as Record<string, Service>;
const resourceTypes = coverage.resourceTypes as Record<string, { service: string; operations: string[] }>;
/** The packaged template's resources (none if packaging failed or hung: the first test says why). */
const resources = (): Record<string, CfnResource> => {
  if (!template) throw new Error('no template: osls package --stage localstack did not succeed');
  return template.Resources;
};
const ofType = (type: string) => Object.entries(resources()).filter(([, r]) => r.Type === type);

describe('osls package --stage localstack', () => {
  it('ends by itself, with no LocalStack to talk to', () => {
    expect(run.timedOut, `still running after ${TIME_LIMIT_MS} ms:\n${run.stdout}\n${run.stderr}`).toBe(
      false,
    );
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/Using serverless-localstack/);
    expect(run.stdout + run.stderr).toMatch(/Service packaged/);
  });
});

describe('what the localstack stage deploys', () => {
  it('uses only resource types whose service LocalStack has on its free plan', () => {
    const used = [...new Set(Object.values(resources()).map((r) => r.Type))].sort();
    expect(used.length).toBeGreaterThan(10);
    const unlisted = used.filter((type) => !(type in resourceTypes));
    expect(unlisted, 'add them to localstack/coverage.json, with the facts, or do not deploy them').toEqual(
      [],
    );
    for (const type of used) {
      const service = services[resourceTypes[type]?.service ?? ''];
      expect(service?.free, `${type}: ${resourceTypes[type]?.service}`).toBe(true);
      expect(type in coverage.notOnTheFreePlan, type).toBe(false);
    }
  });

  it('keeps a source and the date of each coverage fact', () => {
    expect(coverage.lookedUp).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const [name, service] of Object.entries(services)) {
      expect(service.sources.length, name).toBeGreaterThan(0);
      for (const source of service.sources) expect(source, name).toMatch(/^https:\/\//);
      expect(service.facts.length, name).toBeGreaterThan(0);
      expect(service.lookedUp, name).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    for (const [type, entry] of Object.entries(resourceTypes)) {
      expect(services[entry.service], type).toBeDefined();
      expect(entry.operations.length, type).toBeGreaterThan(0);
    }
    for (const service of Object.values(coverage.notOnTheFreePlan)) {
      expect(services[service]?.free, service).toBe(false);
    }
  });

  it('lists every AWS SDK command lib/ sends, on a free service', async () => {
    const sources = await tsFiles(join(ROOT, 'lib'));
    const commands = new Set<string>();
    for (const file of sources) {
      for (const [, command] of (await readFile(file, 'utf8')).matchAll(/new (\w+Command)\(/g)) {
        commands.add(command as string);
      }
    }
    expect(commands.size).toBeGreaterThan(10);
    const listed = coverage.sdkCommands as Record<string, string>;
    for (const command of commands) {
      const operation = listed[command];
      expect(operation, `${command}: add it to sdkCommands in localstack/coverage.json`).toBeDefined();
      expect(services[String(operation).split(':')[0] ?? '']?.free, `${command}: ${operation}`).toBe(true);
    }
  });

  it('serves every declared route from a REST API (no HTTP API), by the function that declares it', () => {
    expect(ofType('AWS::ApiGatewayV2::Api')).toEqual([]);
    expect(ofType('AWS::ApiGateway::RestApi')).toHaveLength(1);
    const pathOf = (resourceId: string): string => {
      const r = resources()[resourceId]?.Properties;
      if (!r) throw new Error(`no resource ${resourceId}`);
      const parent = r.ParentId as { Ref?: string };
      const above = parent.Ref ? pathOf(parent.Ref) : '';
      return `${above}/${r.PathPart}`;
    };
    const served = new Map<string, string>();
    for (const [id, method] of ofType('AWS::ApiGateway::Method')) {
      const p = method.Properties as {
        HttpMethod: string;
        ResourceId: { Ref: string };
        AuthorizationType: string;
        Integration: { Type: string; Uri: unknown };
      };
      // Lambda proxy integration, and authorization left to the functions (lib/http/api.ts).
      expect(p.Integration.Type, id).toBe('AWS_PROXY');
      expect(p.AuthorizationType, id).toBe('NONE');
      const lambdaId = JSON.stringify(p.Integration.Uri).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/)?.[1] ?? '';
      const functionName = String(resources()[lambdaId]?.Properties.FunctionName).replace(
        'ges-backup-localstack-',
        '',
      );
      served.set(`${p.HttpMethod} ${pathOf(p.ResourceId.Ref)}`, functionName);
    }
    const declared = new Map(
      // `*` is the HTTP API's catch-all; a REST API answers the rest by its gateway responses.
      Object.entries(declaredRoutes).flatMap(([fn, keys]) =>
        keys.filter((key) => key !== '*').map((key): [string, string] => [key, fn]),
      ),
    );
    expect(new Map([...served].sort())).toEqual(new Map([...declared].sort()));
  });

  it('answers an unknown route 404 with a GES body, and its other refusals with GES bodies', () => {
    const responses = new Map(
      ofType('AWS::ApiGateway::GatewayResponse').map(([, r]) => [
        String(r.Properties.ResponseType),
        r.Properties as {
          RestApiId: unknown;
          StatusCode?: string;
          ResponseTemplates: Record<string, string>;
        },
      ]),
    );
    for (const type of ['MISSING_AUTHENTICATION_TOKEN', 'RESOURCE_NOT_FOUND', 'DEFAULT_4XX', 'DEFAULT_5XX']) {
      const response = responses.get(type);
      expect(response?.RestApiId, type).toEqual({ Ref: 'ApiGatewayRestApi' });
      const body = JSON.parse(response?.ResponseTemplates['application/json'] ?? '{}');
      expect(body, type).toEqual({
        errorCode: expect.stringMatching(/^GES\.\d{4}$/),
        errorMessage: expect.any(String),
      });
    }
    // The stage is deployed after them, or it would not serve them.
    const deployments = ofType('AWS::ApiGateway::Deployment') as [
      string,
      CfnResource & { DependsOn?: string | string[] },
    ][];
    expect(deployments).toHaveLength(1);
    const gatewayResponseIds = ofType('AWS::ApiGateway::GatewayResponse').map(([id]) => id);
    expect([deployments[0]?.[1].DependsOn ?? []].flat()).toEqual(expect.arrayContaining(gatewayResponseIds));
    // A REST API answers a path or method it does not have 403 MISSING_AUTHENTICATION_TOKEN.
    for (const type of ['MISSING_AUTHENTICATION_TOKEN', 'RESOURCE_NOT_FOUND']) {
      expect(responses.get(type)?.StatusCode, type).toBe('404');
      expect(JSON.parse(responses.get(type)?.ResponseTemplates['application/json'] ?? '{}').errorCode).toBe(
        'GES.0001',
      );
    }
    // A body over API Gateway's 10 MB is an oversized body: 400 GES.7016, as the functions answer one.
    const tooLarge = responses.get('REQUEST_TOO_LARGE');
    expect(tooLarge?.StatusCode).toBe('400');
    expect(JSON.parse(tooLarge?.ResponseTemplates['application/json'] ?? '{}').errorCode).toBe('GES.7016');
  });
});

async function tsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? tsFiles(join(dir, e.name))
        : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []),
    ),
  );
  return nested.flat();
}
