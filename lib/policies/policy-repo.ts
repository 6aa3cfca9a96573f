import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../dynamo.js';
import { translateAwsError } from '../errors.js';
import { DUE_POLICIES, dueBefore, duePolicyKeys, policyKey } from '../keys.js';

/** What happened the last time a policy came due: a backup started, or a skip and why. */
export type PolicyRun = { at: number; result: 'started' | 'skipped'; jobId?: string; reason?: string };

export type PolicyRecord = {
  projectId: string;
  graphId: string;
  enabled: boolean;
  schedule: string;
  /** automatic backups kept; older ones are deleted when a new one succeeds */
  keepAuto: number;
  nextRunAt?: number;
  lastRun?: PolicyRun;
};

/** Backup policies in the control table; enabled ones are in a sparse index by their next run. */
export class PolicyRepo {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(policy: PolicyRecord): Promise<void> {
    const due = policy.enabled && policy.nextRunAt !== undefined;
    await this.call(() =>
      this.ddb.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...policyKey(policy.projectId, policy.graphId),
            ...(due && duePolicyKeys(policy.projectId, policy.graphId, policy.nextRunAt as number)),
            ...policy,
          },
        }),
      ),
    );
  }

  async get(projectId: string, graphId: string): Promise<PolicyRecord | undefined> {
    const out = await this.call(() =>
      this.ddb.send(
        new GetCommand({ TableName: this.table, Key: policyKey(projectId, graphId), ConsistentRead: true }),
      ),
    );
    return out.Item ? toPolicy(out.Item) : undefined;
  }

  /** Enabled policies whose next run is not later than `now`, across projects. */
  async due(now: number, limit: number): Promise<PolicyRecord[]> {
    const out = await this.call(() =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :due AND gsi2sk <= :now',
          ExpressionAttributeValues: { ':due': DUE_POLICIES, ':now': dueBefore(now) },
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map(toPolicy);
  }

  /**
   * Moves a due policy to its next run and records what this run did, on condition that no other
   * trigger moved it first. False when one did.
   */
  async advance(policy: PolicyRecord, nextRunAt: number, run: PolicyRun): Promise<boolean> {
    const keys = duePolicyKeys(policy.projectId, policy.graphId, nextRunAt);
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: policyKey(policy.projectId, policy.graphId),
          UpdateExpression: 'SET nextRunAt = :next, lastRun = :run, gsi2pk = :pk, gsi2sk = :sk',
          ConditionExpression: 'nextRunAt = :was AND enabled = :yes',
          ExpressionAttributeValues: {
            ':next': nextRunAt,
            ':run': run,
            ':pk': keys.gsi2pk,
            ':sk': keys.gsi2sk,
            ':was': policy.nextRunAt,
            ':yes': true,
          },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw translateAwsError('DynamoDB', e);
    }
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
  }
}

function toPolicy(item: Record<string, unknown>): PolicyRecord {
  const { pk: _pk, sk: _sk, gsi2pk: _a, gsi2sk: _b, ...policy } = item;
  return policy as PolicyRecord;
}
