import { describe, expect, it } from 'vitest';
import { mismatch, routeOf } from '../e2e/openapi-check.js';

const G = '00000000-0000-4000-8000-000000000001';
const J = 'a'.repeat(32);

describe("the e2e client's check of every answer against openapi.json", () => {
  it('finds the route as API Gateway does: literal segments first, greedy console files', () => {
    expect(routeOf('GET', '/v1.0/p/graphs/backups?offset=0')?.path).toBe('/v1.0/{projectId}/graphs/backups');
    expect(routeOf('GET', `/v1.0/p/graphs/${G}`)?.path).toBe('/v1.0/{projectId}/graphs/{graphId}');
    expect(routeOf('GET', '/console/a/b')?.path).toBe('/console/{file}');
    expect(routeOf('GET', '/v1.0/p/graphs//backups')).toBeUndefined();
    expect(routeOf('PATCH', '/v1.0/p/graphs')).toBeUndefined();
  });

  it('passes an answer the document describes, in its tree', () => {
    expect(mismatch('POST', `/v1.0/p/graphs/${G}/backups`, 200, { jobId: J, backupId: G })).toBeUndefined();
    expect(mismatch('POST', `/v2/p/graphs/${G}/backups`, 200, { job_id: J, backup_id: G })).toBeUndefined();
    expect(mismatch('GET', '/v2/p/graphs', 400, { error_code: 'GES.0001', error_msg: 'x' })).toBeUndefined();
    expect(mismatch('GET', '/v1.0/p/nothing/here', 404, 'whatever')).toBeUndefined();
  });

  it('fails one it does not, naming the route, the status and what is wrong', () => {
    expect(mismatch('POST', `/v2/p/graphs/${G}/backups`, 200, { jobId: J, backupId: G })).toMatch(
      /^POST \/v2\/\{projectId\}\/graphs\/\{graphId\}\/backups .* answered 200, .*must have required property 'job_id'/,
    );
    expect(mismatch('GET', '/v2/p/graphs', 400, { errorCode: 'GES.0001', errorMessage: 'x' })).toMatch(
      /answered 400.*error_code/,
    );
    expect(mismatch('GET', '/v1.0/p/graphs', 418, {})).toMatch(/openapi.json documents no 418/);
  });
});
