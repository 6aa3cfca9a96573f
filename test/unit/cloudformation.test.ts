import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import declaredRoutes from '../../functions/routes.json' with { type: 'json' };
import type { RecordedCall } from '../../lib/composition/recorder.js';
import { COLLECTOR_MARGIN_MS } from '../../lib/operations/graphs/garbage.js';
import { deliverySettings } from '../support/deployed-settings.js';
import {
  allowed,
  globMatches,
  grantMatches,
  grants,
  type Statement as IamStatement,
  type Template as IamTemplate,
  PSEUDO,
  requestsOf,
  resolver,
  roleStatements,
} from '../support/iam.js';
import { osls, type Run, scratchService } from '../support/osls.js';

/**
 * serverless.yml as it deploys: `osls package --stage aws` (no credentials, no network) and the
 * CloudFormation it writes, plus `osls print` for the other two stages. The three run in parallel in
 * `beforeAll` (osls takes a few seconds each, esbuild included). Nothing here talks to AWS.
 */

const STAGE = 'aws';
const PREFIX = `ges-backup-${STAGE}-`;

type Statement = {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
};
type PolicyDocument = { Statement: Statement[] };
type CfnResource = {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
type Template = { Resources: Record<string, CfnResource>; Conditions?: Record<string, unknown> };
type Printed = {
  provider: { stage: string; environment: Record<string, unknown> };
  functions: Record<string, { timeout?: number; events?: unknown[] }>;
  resources: { Resources: Record<string, CfnResource> };
};
const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });

let template: Template;
let resources: Record<string, CfnResource>;
let packaged: Run;
let printed: Record<'local' | 'localstack' | 'prod', { run: Run; definition: Printed }>;
const cleanUp: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const { service, dir, env, remove } = await scratchService('ges-cfn-');
  cleanUp.push(remove);
  const output = join(dir, 'package');
  const print = (stage: string) => osls(service, ['print', '--stage', stage, '--format', 'json'], env);
  const [pkg, local, localstack, prod] = await Promise.all([
    osls(service, ['package', '--stage', STAGE, '--package', output], env),
    print('local'),
    print('localstack'),
    print('prod'),
  ]);
  packaged = pkg;
  const parsed = (run: Run, what: string) => {
    if (run.code !== 0) throw new Error(`${what} failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
    return { run, definition: JSON.parse(run.stdout) as Printed };
  };
  printed = {
    local: parsed(local, 'osls print --stage local'),
    localstack: parsed(localstack, 'osls print --stage localstack'),
    prod: parsed(prod, 'osls print --stage prod'),
  };
  if (pkg.code !== 0) throw new Error(`osls package failed (${pkg.code}):\n${pkg.stdout}\n${pkg.stderr}`);
  template = JSON.parse(
    await readFile(join(output, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  resources = template.Resources;
}, 240_000);

afterAll(async () => {
  await Promise.all(cleanUp.map((remove) => remove()));
});

/** A resource the template must have. */
const resource = (logicalId: string): CfnResource => {
  const found = resources[logicalId];
  if (!found) throw new Error(`no resource ${logicalId} in the template`);
  return found;
};
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const functions = () =>
  ofType('AWS::Lambda::Function').map(([logicalId, r]) => ({
    logicalId,
    name: String(r.Properties.FunctionName).slice(PREFIX.length),
    properties: r.Properties as {
      Role: unknown;
      Timeout: number;
      Handler: string;
      Environment: { Variables: Record<string, unknown> };
    },
  }));
const fn = (name: string) => {
  const found = functions().find((f) => f.name === name);
  if (!found) throw new Error(`no function ${name}`);
  return found;
};
const roleOf = (name: string) => {
  const [roleId, attribute] = (fn(name).properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  expect(attribute).toBe('Arn');
  return roleId;
};
const statementsOf = (roleId: string): Statement[] =>
  (resource(roleId).Properties.Policies as { PolicyDocument: PolicyDocument }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
/** Every policy document in the template: roles' inline policies, queue and bucket policies. */
const allStatements = (): [string, Statement][] =>
  Object.entries(resources).flatMap(([id, r]) => {
    const documents: PolicyDocument[] =
      r.Type === 'AWS::IAM::Role'
        ? (r.Properties.Policies as { PolicyDocument: PolicyDocument }[]).map((p) => p.PolicyDocument)
        : [
              'AWS::IAM::Policy',
              'AWS::IAM::ManagedPolicy',
              'AWS::SQS::QueuePolicy',
              'AWS::S3::BucketPolicy',
            ].includes(r.Type)
          ? [r.Properties.PolicyDocument as PolicyDocument]
          : [];
    return documents.flatMap((d) => d.Statement.map((s): [string, Statement] => [id, s]));
  });

describe(`osls package --stage ${STAGE}`, () => {
  it('packages with no AWS credentials, the LocalStack plugin skipped', () => {
    expect(packaged.stdout + packaged.stderr).toMatch(/Skipping serverless-localstack/);
    expect(packaged.stdout + packaged.stderr).not.toMatch(/Invalid configuration|Warning/);
  });
});

describe('IAM', () => {
  it('allows no wildcard action, and no action on every resource', () => {
    const allows = allStatements().filter(([, s]) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(0);
    for (const [id, s] of allows) {
      for (const action of asArray(s.Action)) {
        expect(action, `${id}: ${action}`).not.toContain('*');
      }
      for (const target of asArray(s.Resource)) {
        expect(target, `${id}: ${JSON.stringify(s.Action)}`).not.toBe('*');
        // Nor an ARN for every resource of a kind (`arn:aws:s3:::*`, `table/*`, a Join with "*").
        expect(JSON.stringify(target), id).not.toMatch(/"\*"|:::\*|:table\/\*"|log-group:\*/);
      }
    }
  });

  it('gives every function a role of its own, not the shared default role', () => {
    const roles = functions().map((f) => roleOf(f.name));
    expect(roles).toHaveLength(12);
    expect(new Set(roles).size).toBe(roles.length);
    for (const role of roles) {
      expect(resources[role]?.Type).toBe('AWS::IAM::Role');
      expect(role).not.toBe('IamRoleLambdaExecution');
    }
  });

  /** What each function's code does (lib/ per use case); logs come with every role. */
  const expected: Record<string, string[]> = {
    graphs: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'sqs:SendMessage',
      'kms:Decrypt',
    ],
    graphData: [
      'dynamodb:GetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:UpdateItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:Query',
      'kms:Decrypt',
    ],
    backups: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'sqs:SendMessage',
      's3:GetObject',
      's3:DeleteObject',
      's3:ListBucket',
      'kms:Decrypt',
    ],
    jobs: ['dynamodb:GetItem', 'dynamodb:Query', 'kms:Decrypt'],
    jobWorker: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:Query',
      'dynamodb:BatchWriteItem',
      'sqs:SendMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      's3:GetObject',
      's3:PutObject',
      's3:DeleteObject',
      's3:AbortMultipartUpload',
      's3:ListBucket',
      'events:PutEvents',
    ],
    backupPolicies: ['dynamodb:GetItem', 'dynamodb:PutItem', 'kms:Decrypt'],
    console: [],
    notServed: [],
    accessKeys: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'kms:Encrypt',
      'kms:Decrypt',
    ],
    runBackupPolicies: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:Query',
      'sqs:SendMessage',
    ],
    requestBackup: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'sqs:SendMessage'],
    sweepJobs: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'dynamodb:BatchWriteItem',
      's3:DeleteObject',
      's3:ListBucket',
      'events:PutEvents',
    ],
  };

  it.each(Object.keys(expected))('grants %s exactly what its code uses', (name) => {
    const statements = statementsOf(roleOf(name));
    const actions = new Set(
      statements.flatMap((s) => asArray(s.Action)).filter((a) => !a.startsWith('logs:')),
    );
    expect([...actions].sort()).toEqual([...(expected[name] ?? [])].sort());
    // Its logs: its own log group only.
    const logs = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('logs:')));
    expect(JSON.stringify(logs.map((s) => s.Resource))).toContain(`log-group:/aws/lambda/${PREFIX}${name}:`);
  });

  it('lets the status function read the control table only', () => {
    const resourcesOfJobs = statementsOf(roleOf('jobs'))
      .filter((s) => asArray(s.Action).some((a) => a.startsWith('dynamodb:')))
      .flatMap((s) => asArray(s.Resource));
    for (const r of resourcesOfJobs) expect(JSON.stringify(r)).toContain('ControlTable');
  });

  it('lets the API functions use the access key seal key only, and only accessKeys encrypt with it', () => {
    const key = JSON.stringify(getAtt('AccessKeySealKey'));
    for (const f of functions()) {
      const kms = statementsOf(roleOf(f.name)).filter((s) =>
        asArray(s.Action).some((a) => a.startsWith('kms:')),
      );
      for (const s of kms) {
        expect(
          asArray(s.Resource).map((r) => JSON.stringify(r)),
          f.name,
        ).toEqual([key]);
        if (asArray(s.Action).includes('kms:Encrypt')) expect(f.name).toBe('accessKeys');
      }
      // The API functions: all with routes but the catch-all and the console's static files.
      const api =
        !['notServed', 'console'].includes(f.name) &&
        declaredRoutes[f.name as keyof typeof declaredRoutes] !== undefined;
      expect(kms.length > 0, `${f.name} verifies signatures`).toBe(api);
    }
  });

  it('lets only the worker reach other buckets, and only those of the transfer pattern', () => {
    const transfer = `${PREFIX}transfer-*`;
    for (const f of functions()) {
      const text = JSON.stringify(statementsOf(roleOf(f.name)));
      const s3Resources = statementsOf(roleOf(f.name))
        .filter((s) => asArray(s.Action).some((a) => a.startsWith('s3:')))
        .flatMap((s) => asArray(s.Resource).map((r) => JSON.stringify(r)));
      for (const r of s3Resources) {
        const onTransfer = r.includes(`:s3:::${transfer}`);
        expect(onTransfer || r.includes('BackupBucket'), `${f.name}: ${r}`).toBe(true);
        if (onTransfer) expect(f.name).toBe('jobWorker');
      }
      if (f.name === 'jobWorker') expect(text).toContain(`:s3:::${transfer}/*`);
    }
  });
});

/**
 * The calls each function made in test/integration/aws-calls.test.ts (test/fixtures/aws-calls.jsonl),
 * each held against that function's role as packaged: the names the functions used locally are
 * matched to the resources' logical ids through the local stage's definition, and those resolved to
 * the AWS stage's ARNs. A call the role would deny fails here, naming function, action and resource.
 */
describe('IAM, against the calls the functions make', () => {
  const LAMBDA_ITSELF: { function: string; action: string; why: string }[] = [
    { function: '*', action: 'logs:*', why: 'Lambda writes the function’s logs' },
    { function: 'jobWorker', action: 'sqs:ReceiveMessage', why: 'the event source mapping' },
    { function: 'jobWorker', action: 'sqs:DeleteMessage', why: 'the event source mapping' },
    { function: 'jobWorker', action: 'sqs:GetQueueAttributes', why: 'the event source mapping' },
    { function: 'requestBackup', action: 'sqs:SendMessage', why: 'the onFailure destination (DLQ)' },
  ];
  let calls: RecordedCall[];
  let arns: Parameters<typeof requestsOf>[1];
  let resolve: (value: unknown) => string;
  beforeAll(async () => {
    const text = await readFile(new URL('../fixtures/aws-calls.jsonl', import.meta.url), 'utf8');
    calls = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RecordedCall);
    const aws = resolver(template);
    resolve = aws.resolve;
    const local = resolver(printed.local.definition.resources as IamTemplate);
    const byLocalName = new Map(
      Object.entries(printed.local.definition.resources.Resources).flatMap(([id]) => {
        try {
          return [[local.name(id), id] as const];
        } catch {
          return [];
        }
      }),
    );
    const logical = (name: string) => {
      const id = byLocalName.get(name);
      if (!id) throw new Error(`${name} is none of serverless.yml's resources`);
      return id;
    };
    const arnOf = (name: string) => aws.resolve(getAtt(logical(name)));
    arns = {
      table: arnOf,
      queue: (url) => arnOf(url.split('/').pop() ?? url),
      bus: arnOf,
      // The transfer buckets are no resource of the stack: the same pattern on the other stage.
      bucket: (name) =>
        byLocalName.has(name) ? arnOf(name) : `arn:aws:s3:::${name.replace('ges-backup-local-', PREFIX)}`,
    };
  });
  const functionOf = (recorded: string) =>
    functions().find((f) => recorded === f.name || recorded.endsWith(`-${f.name}`));
  const statements = (name: string) => roleStatements(template, name) as IamStatement[];

  it('recorded calls of every function that has statements of its own', () => {
    const heard = new Set(calls.map((c) => functionOf(c.function)?.name));
    for (const f of functions()) {
      const own = statements(f.name).filter((s) => asArray(s.Action).some((a) => !a.startsWith('logs:')));
      if (own.length) expect(heard, f.name).toContain(f.name);
    }
  });

  it('denies no recorded call', () => {
    const denied = calls.flatMap((call) => {
      const f = functionOf(call.function);
      if (!f) return [`${call.function}: no such function`];
      return requestsOf(call, arns)
        .filter((request) => !allowed(statements(f.name), resolve, request))
        .map((r) => `${f.name} may not ${r.action} on ${r.resource} (${call.service} ${call.command})`);
    });
    expect(denied).toEqual([]);
  });

  it('would deny a call whose statement were gone: the evaluation bites', () => {
    const call = calls.find((c) => c.function === 'backups' && c.command === 'ListObjectsV2');
    if (!call) throw new Error('no ListObjectsV2 of backups recorded');
    const [request] = requestsOf(call, arns);
    if (!request) throw new Error('ListObjectsV2 needs a permission');
    expect(request).toEqual({ action: 's3:ListBucket', resource: resolve(getAtt('BackupBucket')) });
    expect(allowed(statements('backups'), resolve, request)).toBe(true);
    const without = statements('backups').filter((s) => !asArray(s.Action).includes('s3:ListBucket'));
    expect(allowed(without, resolve, request)).toBe(false);
    const denying: IamStatement = { Effect: 'Deny', Action: 's3:List*', Resource: '*' };
    expect(allowed([...statements('backups'), denying], resolve, request)).toBe(false);
  });

  it('lists what the roles grant that no recorded call needed (RELIABILITY.md, IAM)', () => {
    const unused: string[] = [];
    for (const f of functions()) {
      const needed = calls
        .filter((c) => functionOf(c.function)?.name === f.name)
        .flatMap((c) => requestsOf(c, arns));
      for (const grant of grants(statements(f.name), resolve)) {
        if (needed.some((request) => grantMatches(grant, request))) continue;
        const lambda = LAMBDA_ITSELF.find(
          (l) => (l.function === '*' || l.function === f.name) && globMatches(l.action, grant.action, true),
        );
        const resource = grant.resource.replace(`:${PSEUDO.region}:${PSEUDO.account}:`, ':…:');
        unused.push(`${f.name}: ${grant.action} on ${resource}${lambda ? ` (${lambda.why})` : ''}`);
      }
    }
    // Every function's own log group: Lambda writes there, never the SDK.
    const logs = unused.filter((u) => u.includes(' logs:'));
    expect(logs.length).toBeGreaterThanOrEqual(functions().length);
    console.info(
      `Granted but unused in the tests (and logs:* of all ${functions().length} functions, for Lambda):\n  ${unused
        .filter((u) => !logs.includes(u))
        .join('\n  ')}`,
    );
  });
});

/**
 * How long things take on AWS, as the stage deploys them: each relation is a promise of
 * RELIABILITY.md ("Recovery as deployed"), and the recovery tests run on these values scaled down.
 */
describe('the timings of job delivery, as deployed, hold together', () => {
  const t = () => deliverySettings(template);

  it("the queue hides a message at least six times as long as the worker may run (AWS's advice; below the timeout the mapping is refused)", () => {
    expect(t().queueVisibility).toBeGreaterThanOrEqual(6 * t().workerTimeout);
  });

  it('a task stops starting segments with at least a third of the timeout left', () => {
    expect(t().taskBudget).toBeLessThanOrEqual((2 / 3) * t().workerTimeout);
  });

  it('a delivery beats at least three times per lease, so one late beat loses neither message nor job', () => {
    expect(3 * t().heartbeat).toBeLessThanOrEqual(t().jobLease);
  });

  it('a dead delivery is taken over within about a minute of its last beat, far sooner than the queue would give it back', () => {
    expect(t().jobLease).toBeLessThanOrEqual(60);
    expect(t().jobLease).toBeLessThan(t().queueVisibility / 10);
  });

  it('every retry of a failing job comes back, and the last delivery fails it, before the sweeper would', () => {
    const { retryDelay, maxReceiveCount, jobStall } = t();
    // attempt × retryDelay after each of the first maxReceiveCount − 1 deliveries
    const backoff = (retryDelay * (maxReceiveCount - 1) * maxReceiveCount) / 2;
    expect(backoff).toBeLessThan(jobStall / 2);
  });

  it('the stall window outlasts a delivery that dies at its timeout and is taken over, and ends a dead job within half an hour', () => {
    const { workerTimeout, jobLease, heartbeat, jobStall, sweepEvery } = t();
    expect(jobStall).toBeGreaterThan(workerTimeout + jobLease + heartbeat);
    expect(jobStall + sweepEvery).toBeLessThanOrEqual(30 * 60);
    expect(sweepEvery).toBeLessThanOrEqual(jobStall / 10);
  });

  it("the garbage collector keeps most of the sweeper's time, and a mark outlasts any invocation of the failed run", () => {
    const { sweeperTimeout, workerTimeout, jobStall } = t();
    expect(COLLECTOR_MARGIN_MS / 1000).toBeLessThanOrEqual(sweeperTimeout / 4);
    // A failed run's tasks still writing have ended before the collector forgets the generation.
    expect(jobStall).toBeGreaterThan(workerTimeout);
  });

  it("a writer's batch lease outlasts the API function that writes it", () => {
    expect(t().batchLease).toBeGreaterThan(t().apiTimeout);
  });
});

describe('the job queue', () => {
  it('redrives to its DLQ after MAX_RECEIVE_COUNT deliveries, the number every function reads', () => {
    expect(resources.JobDeadLetterQueue?.Type).toBe('AWS::SQS::Queue');
    const redrive = resources.JobQueue?.Properties.RedrivePolicy as {
      deadLetterTargetArn: unknown;
      maxReceiveCount: number;
    };
    expect(redrive.deadLetterTargetArn).toEqual(getAtt('JobDeadLetterQueue'));
    for (const f of functions()) {
      expect(Number(f.properties.Environment.Variables.MAX_RECEIVE_COUNT), f.name).toBe(
        Number(redrive.maxReceiveCount),
      );
    }
  });

  it('has an alarm on its DLQ', () => {
    const watching = ofType('AWS::CloudWatch::Alarm').filter(([, a]) =>
      asArray(a.Properties.Dimensions as { Name: string; Value: unknown }[]).some(
        (d) =>
          d.Name === 'QueueName' &&
          JSON.stringify(d.Value) === JSON.stringify(getAtt('JobDeadLetterQueue', 'QueueName')),
      ),
    );
    expect(watching).toHaveLength(1);
    const alarm = watching[0]?.[1].Properties;
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('feeds the worker, with partial batch failures', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    expect(mappings).toEqual([
      expect.objectContaining({
        EventSourceArn: getAtt('JobQueue'),
        FunctionName: getAtt(fn('jobWorker').logicalId),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    ]);
  });
});

describe('the backup bucket', () => {
  const bucket = () => resources.BackupBucket as CfnResource;

  it('is encrypted, blocks public access and only speaks TLS', () => {
    const p = bucket().Properties;
    const sse = p.BucketEncryption as {
      ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { SSEAlgorithm: string } }[];
    };
    expect(['AES256', 'aws:kms']).toContain(
      sse.ServerSideEncryptionConfiguration[0]?.ServerSideEncryptionByDefault.SSEAlgorithm,
    );
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policy = ofType('AWS::S3::BucketPolicy').find(
      ([, r]) => JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: 'BackupBucket' }),
    );
    expect(JSON.stringify(policy?.[1].Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it('aborts abandoned multipart uploads', () => {
    const rules = (bucket().Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({
        Status: 'Enabled',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: expect.any(Number) },
      }),
    );
  });
});

describe('the tables', () => {
  it('have point-in-time recovery, and outlive the stack (the bucket too)', () => {
    for (const id of ['ControlTable', 'GraphTable', 'BackupBucket']) {
      const r = resources[id] as CfnResource;
      expect(r.DeletionPolicy, id).toBe('Retain');
      expect(r.UpdateReplacePolicy, id).toBe('Retain');
      if (r.Type === 'AWS::DynamoDB::Table') {
        expect(r.Properties.PointInTimeRecoverySpecification, id).toEqual({
          PointInTimeRecoveryEnabled: true,
        });
      }
    }
  });

  it('expire ended jobs and client tokens by TTL on expiresAt', () => {
    expect(resources.ControlTable?.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'expiresAt',
      Enabled: true,
    });
  });
});

describe('the access key seal key', () => {
  it('is a rotated symmetric KMS key, kept when the stack goes, that the API functions are told about', () => {
    const key = resource('AccessKeySealKey');
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties).toMatchObject({ KeySpec: 'SYMMETRIC_DEFAULT', EnableKeyRotation: true });
    expect(key.DeletionPolicy).toBe('Retain');
    for (const f of functions().filter((f) => f.name in declaredRoutes)) {
      expect(f.properties.Environment.Variables.ACCESS_KEY_SEALER, f.name).toBe('kms');
      expect(f.properties.Environment.Variables.KMS_KEY_ID, f.name).toEqual(getAtt('AccessKeySealKey'));
    }
  });
});

describe('the event bus', () => {
  it('exists under the name the functions publish to', () => {
    expect(resources.EventBus?.Type).toBe('AWS::Events::EventBus');
    expect(resources.EventBus?.Properties.Name).toBe(
      fn('jobWorker').properties.Environment.Variables.EVENT_BUS_NAME,
    );
  });

  it('routes backup requests to requestBackup with a permission that names the rule, and a DLQ', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventBusName !== undefined);
    expect(rules).toHaveLength(1);
    const rule = rules[0]?.[1].Properties as {
      Name: string;
      EventBusName: unknown;
      Targets: { Arn: unknown; DeadLetterConfig?: { Arn: unknown } }[];
    };
    expect(rule.EventBusName).toEqual(getAtt('EventBus', 'Name'));
    expect(rule.Targets[0]?.Arn).toEqual(getAtt(fn('requestBackup').logicalId));
    expect(rule.Targets[0]?.DeadLetterConfig?.Arn).toEqual(getAtt('BackupRequestDeadLetterQueue'));
    // arn:...:rule/<bus name>/<rule name>: a bus ARN in its place would never match.
    const permission = ofType('AWS::Lambda::Permission').find(
      ([, p]) =>
        p.Properties.Principal === 'events.amazonaws.com' &&
        JSON.stringify(p.Properties).includes('EventBus'),
    );
    const source = JSON.stringify(permission?.[1].Properties.SourceArn);
    expect(source).toContain(JSON.stringify(['rule', getAtt('EventBus', 'Name'), rule.Name]));
  });
});

const definitionFunctions = () =>
  printed.local.definition.functions as unknown as Record<string, { handler: string }>;

describe('the HTTP API', () => {
  /**
   * The console's static files and the API's OpenAPI document: no credentials (the page's API calls
   * carry them; the document describes the API, it holds no data). Named here, not read from
   * routes.json, so that a route served without credentials is a decision this list records.
   */
  const PUBLIC_ROUTES = ['GET /console', 'GET /console/{file+}', 'GET /openapi.json'];

  it('serves every declared route, and only those, by the function that declares it', async () => {
    expect(ofType('AWS::ApiGatewayV2::Api')).toEqual([
      ['HttpApi', expect.objectContaining({ Properties: expect.objectContaining({ ProtocolType: 'HTTP' }) })],
    ]);
    // The REST API (and its gateway responses) is the localstack stage's only: localstack.test.ts.
    expect(ofType('AWS::ApiGateway::RestApi')).toEqual([]);
    expect(ofType('AWS::ApiGateway::GatewayResponse')).toEqual([]);
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    expect(routes.length).toBeGreaterThanOrEqual(30);
    expect(routes.map((r) => r.RouteKey)).toEqual(expect.arrayContaining(PUBLIC_ROUTES));
    // The console function serves exactly these, and nothing else is served without credentials.
    expect([...declaredRoutes.console].sort()).toEqual([...PUBLIC_ROUTES].sort());
    const served = new Set<string>();
    for (const route of routes) {
      // `httpApi: '*'` in routes.json is API Gateway's `$default` route.
      const key = route.RouteKey === '$default' ? '*' : String(route.RouteKey);
      // One catch-all, `$default`, and only to notServed (checked below): no `{proxy+}` route that
      // a function with a route table would have to match again.
      expect(key).not.toMatch(/\{proxy\+\}/);
      // Authorization stays in the functions (see lib/http/api.ts): no authorizer rewrites their answers.
      expect(route.AuthorizationType ?? 'NONE', key).toBe('NONE');
      const integrationId = JSON.stringify(route.Target).match(/"Ref":"([^"]+)"/)?.[1] ?? '';
      const integration = resource(integrationId).Properties;
      const lambdaId = (integration.IntegrationUri as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] ?? '';
      const handler = String(resources[lambdaId]?.Properties.Handler);
      // The function's route list, the one its handler is built from (and checked against at init,
      // see http-routes.test.ts), holds this route: the deployed route reaches code that serves it.
      const fn = Object.entries(definitionFunctions()).find(([, f]) => f.handler === handler)?.[0] ?? '';
      expect(declaredRoutes[fn as keyof typeof declaredRoutes] ?? [], `${handler}: ${key}`).toContain(key);
      served.add(key);
      if (PUBLIC_ROUTES.includes(key)) expect(handler, key).toBe('functions/console.handler');
    }
    // ...and every declared route is deployed.
    expect([...served].sort()).toEqual(Object.values(declaredRoutes).flat().sort());
  });

  it('sends whatever no function serves, and only that, to notServed, which may touch nothing', () => {
    const catchAll = ofType('AWS::ApiGatewayV2::Route').filter(
      ([, r]) => r.Properties.RouteKey === '$default' || /\{proxy\+\}/.test(String(r.Properties.RouteKey)),
    );
    expect(catchAll.map(([, r]) => r.Properties.RouteKey)).toEqual(['$default']);
    const integrationId =
      JSON.stringify(catchAll[0]?.[1].Properties.Target).match(/"Ref":"([^"]+)"/)?.[1] ?? '';
    const lambdaId =
      (resource(integrationId).Properties.IntegrationUri as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] ??
      '';
    expect(lambdaId).toBe(fn('notServed').logicalId);
    expect(declaredRoutes.notServed).toEqual(['*']);
    const actions = statementsOf(roleOf('notServed')).flatMap((s) => asArray(s.Action));
    expect(actions.filter((a) => !a.startsWith('logs:'))).toEqual([]);
  });
});

describe('stages', () => {
  it('any other stage name gets the aws settings, with names of its own', () => {
    const prod = printed.prod.definition as unknown as {
      custom: {
        stage: Record<string, unknown>;
        stages: { aws: Record<string, unknown> };
        names: Record<string, string>;
      };
      provider: { stage: string; environment: Record<string, unknown> };
    };
    expect(prod.provider.stage).toBe('prod');
    expect(prod.custom.stage).toEqual(prod.custom.stages.aws);
    for (const name of Object.values(prod.custom.names)) expect(name).toMatch(/-prod-/);
    expect(String(prod.provider.environment.CONTROL_TABLE)).toBe('ges-backup-prod-control');
  });

  it('local resolves to plain values (the local stack reads them), without LocalStack', () => {
    const { run, definition } = printed.local;
    expect(run.stderr).toMatch(/Skipping serverless-localstack/);
    expect(definition.provider.stage).toBe('local');
    for (const [key, value] of Object.entries(definition.provider.environment)) {
      expect(typeof value, key).not.toBe('object');
    }
  });

  it('localstack resolves, through serverless-localstack', () => {
    const { run, definition } = printed.localstack;
    expect(run.stderr).toMatch(/Using serverless-localstack/);
    expect(definition.provider.stage).toBe('localstack');
  });

  it.each(['local', 'localstack'] as const)(
    '%s hides a job message six times as long as the worker runs',
    (stage) => {
      const { definition } = printed[stage];
      const worker = definition.functions.jobWorker;
      const visibility = Number(definition.resources.Resources.JobQueue?.Properties.VisibilityTimeout);
      expect(visibility).toBeGreaterThanOrEqual(6 * Number(worker?.timeout));
    },
  );
});
