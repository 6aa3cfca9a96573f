import type { RecordedCall } from '../../lib/composition/recorder.js';

/**
 * A small IAM evaluator for the roles in the packaged CloudFormation: identity policies only (no
 * resource policies, no conditions), which is all the functions' roles hold. A request is allowed
 * when some Allow statement matches its action and resource and no Deny statement does.
 */

export type Statement = { Effect: 'Allow' | 'Deny'; Action: string | string[]; Resource: unknown };
type CfnResource = { Type: string; Properties?: Record<string, unknown> };
export type Template = { Resources: Record<string, CfnResource> };

/** One permission a call needs: `dynamodb:PutItem` on a table's ARN, and so on. */
export type Request = { action: string; resource: string };
/** An Allow statement's action on one of its resources, as written in the role. */
export type Grant = { action: string; resource: string };

export const PSEUDO = { partition: 'aws', region: 'us-east-1', account: '123456789012' };

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** `*` any run of characters, `?` one: IAM's wildcards in actions (case-insensitive) and ARNs. */
export function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** Ref, Fn::GetAtt and Fn::Join over the template, with fixed pseudo parameters. */
export function resolver(template: Template) {
  const resources = template.Resources;
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object') {
      const [fn, args] = Object.entries(value)[0] ?? [];
      if (fn === 'Ref') return ref(String(args));
      if (fn === 'Fn::GetAtt') {
        const [id, attribute] = Array.isArray(args) ? args : String(args).split('.');
        return getAtt(String(id), String(attribute));
      }
      if (fn === 'Fn::Sub' && typeof args === 'string') {
        return args.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          const [id = '', attribute] = name.split('.');
          return attribute ? getAtt(id, attribute) : ref(id);
        });
      }
      if (fn === 'Fn::Join') {
        const [separator, parts] = args as [string, unknown[]];
        return parts.map(resolve).join(separator);
      }
    }
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  };
  const resource = (id: string) => {
    const found = resources[id];
    if (!found) throw new Error(`no resource ${id} in the template`);
    return found;
  };
  const prop = (id: string, name: string) => resolve(resource(id).Properties?.[name]);
  const region = `${PSEUDO.region}:${PSEUDO.account}`;
  function ref(id: string): string {
    if (id === 'AWS::Partition') return PSEUDO.partition;
    if (id === 'AWS::Region') return PSEUDO.region;
    if (id === 'AWS::AccountId') return PSEUDO.account;
    const { Type } = resource(id);
    if (Type === 'AWS::SQS::Queue')
      return `https://sqs.${PSEUDO.region}.amazonaws.com/${PSEUDO.account}/${prop(id, 'QueueName')}`;
    return name(id);
  }
  function name(id: string): string {
    const { Type } = resource(id);
    const key = {
      'AWS::DynamoDB::Table': 'TableName',
      'AWS::SQS::Queue': 'QueueName',
      'AWS::S3::Bucket': 'BucketName',
      'AWS::Events::EventBus': 'Name',
    }[Type];
    if (!key) throw new Error(`no name for ${id} (${Type})`);
    return prop(id, key);
  }
  function getAtt(id: string, attribute: string): string {
    const { Type } = resource(id);
    if (attribute === 'Name' || attribute === 'QueueName') return name(id);
    if (attribute !== 'Arn') throw new Error(`no ${attribute} of ${id}`);
    const p = PSEUDO.partition;
    if (Type === 'AWS::DynamoDB::Table') return `arn:${p}:dynamodb:${region}:table/${name(id)}`;
    if (Type === 'AWS::SQS::Queue') return `arn:${p}:sqs:${region}:${name(id)}`;
    if (Type === 'AWS::S3::Bucket') return `arn:${p}:s3:::${name(id)}`;
    if (Type === 'AWS::Events::EventBus') return `arn:${p}:events:${region}:event-bus/${name(id)}`;
    if (Type === 'AWS::IAM::Role') return `arn:${p}:iam::${PSEUDO.account}:role/${id}`;
    if (Type === 'AWS::KMS::Key') return `arn:${p}:kms:${region}:${PSEUDO.account}:key/${id}`;
    throw new Error(`no Arn for ${id} (${Type})`);
  }
  return { resolve, name };
}

/** A function's role statements: its Lambda's Role, that role's inline policies. */
export function roleStatements(template: Template, functionKey: string): Statement[] {
  const id = `${functionKey[0]?.toUpperCase()}${functionKey.slice(1)}LambdaFunction`;
  const role = (template.Resources[id]?.Properties?.Role as { 'Fn::GetAtt'?: [string, string] })?.[
    'Fn::GetAtt'
  ]?.[0];
  if (!role) throw new Error(`${id} has no role of its own`);
  const policies = (template.Resources[role]?.Properties?.Policies ?? []) as {
    PolicyDocument: { Statement: Statement[] };
  }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

/** Every (action, resource) an Allow statement grants, resources resolved. */
export function grants(statements: Statement[], resolve: (value: unknown) => string): Grant[] {
  return statements
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) =>
      asArray(s.Action).flatMap((action) =>
        asArray(s.Resource as unknown[]).map((resource) => ({ action, resource: resolve(resource) })),
      ),
    );
}

export const grantMatches = (grant: Grant, request: Request) =>
  globMatches(grant.action, request.action, true) && globMatches(grant.resource, request.resource);

export function allowed(statements: Statement[], resolve: (value: unknown) => string, request: Request) {
  const matching = (effect: Statement['Effect']) =>
    grants(
      statements.filter((s) => s.Effect === effect).map((s) => ({ ...s, Effect: 'Allow' as const })),
      resolve,
    ).some((grant) => grantMatches(grant, request));
  return matching('Allow') && !matching('Deny');
}

/**
 * What IAM checks for one recorded call, with `arn` turning a recorded name into its ARN on the
 * deployed stage: a table (and `table/index/name`), a queue (from its URL), a bucket, a bus.
 */
export function requestsOf(
  call: RecordedCall,
  arn: {
    table(name: string): string;
    queue(url: string): string;
    bucket(name: string): string;
    bus(name: string): string;
  },
): Request[] {
  const r = call.resources as Record<string, unknown>;
  const str = (key: string) => {
    const value = r[key];
    if (typeof value !== 'string') throw new Error(`${call.command} without ${key}`);
    return value;
  };
  const object = (bucket: string, key: string) => `${arn.bucket(bucket)}/${key}`;
  const one = (action: string, resource: string): Request[] => [{ action, resource }];
  switch (`${call.service}:${call.command}`) {
    case 'DynamoDB:GetItem':
    case 'DynamoDB:PutItem':
    case 'DynamoDB:UpdateItem':
    case 'DynamoDB:DeleteItem':
      return one(`dynamodb:${call.command}`, arn.table(str('TableName')));
    case 'DynamoDB:Query':
    case 'DynamoDB:Scan': {
      const table = arn.table(str('TableName'));
      const index = typeof r.IndexName === 'string' ? `/index/${r.IndexName}` : '';
      return one(`dynamodb:${call.command}`, table + index);
    }
    // No action of its own: each item is authorized as what it is.
    case 'DynamoDB:TransactWriteItems': {
      const actions: Record<string, string> = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
      };
      return (r.TransactItems as string[]).map((item) => {
        const [kind = '', table = ''] = item.split(' ');
        const action = actions[kind];
        if (!action) throw new Error(`unknown transaction item ${item}`);
        return { action: `dynamodb:${action}`, resource: arn.table(table) };
      });
    }
    case 'DynamoDB:TransactGetItems':
      return (r.TransactItems as string[]).map((item) => ({
        action: 'dynamodb:GetItem',
        resource: arn.table(item.split(' ')[1] ?? ''),
      }));
    // Its own action, on each table it names (IAM checks no PutItem or DeleteItem for it).
    case 'DynamoDB:BatchWriteItem':
    case 'DynamoDB:BatchGetItem':
      return Object.keys(r.RequestItems as object).map((table) => ({
        action: `dynamodb:${call.command}`,
        resource: arn.table(table),
      }));
    case 'SQS:SendMessage':
    case 'SQS:SendMessageBatch':
      return one('sqs:SendMessage', arn.queue(str('QueueUrl')));
    case 'SQS:ReceiveMessage':
    case 'SQS:DeleteMessage':
    case 'SQS:ChangeMessageVisibility':
    case 'SQS:GetQueueAttributes':
      return one(`sqs:${call.command}`, arn.queue(str('QueueUrl')));
    case 'SQS:DeleteMessageBatch':
      return one('sqs:DeleteMessage', arn.queue(str('QueueUrl')));
    case 'SQS:ChangeMessageVisibilityBatch':
      return one('sqs:ChangeMessageVisibility', arn.queue(str('QueueUrl')));
    case 'S3:GetObject':
    case 'S3:HeadObject':
      return one('s3:GetObject', object(str('Bucket'), str('Key')));
    case 'S3:PutObject':
    case 'S3:CreateMultipartUpload':
    case 'S3:UploadPart':
    case 'S3:CompleteMultipartUpload':
      return one('s3:PutObject', object(str('Bucket'), str('Key')));
    case 'S3:AbortMultipartUpload':
      return one('s3:AbortMultipartUpload', object(str('Bucket'), str('Key')));
    case 'S3:DeleteObject':
    case 'S3:DeleteObjects':
      return one('s3:DeleteObject', object(str('Bucket'), str('Key')));
    case 'S3:ListObjectsV2':
      return one('s3:ListBucket', arn.bucket(str('Bucket')));
    case 'S3:CopyObject': {
      const [sourceBucket = '', ...sourceKey] = decodeURIComponent(str('CopySource')).split('/');
      return [
        { action: 's3:GetObject', resource: object(sourceBucket, sourceKey.join('/')) },
        { action: 's3:PutObject', resource: object(str('Bucket'), str('Key')) },
      ];
    }
    case 'EventBridge:PutEvents':
      // No EventBusName: the account's default bus.
      return ((r.EventBusNames as string[] | undefined) ?? ['default']).map((bus) => ({
        action: 'events:PutEvents',
        resource: arn.bus(bus),
      }));
    default:
      throw new Error(`no IAM rule for ${call.service} ${call.command}: add one to test/support/iam.ts`);
  }
}
