import { DUE_POLICIES, dueBefore, duePolicyKeys, policyKey } from '../../core/keys.js';
import { type Item, type Store, when, withoutKeys } from '../../core/store.js';

/** What happened the last time a policy came due: a backup started, or a skip and why. */
export type PolicyRun = {
  at: number;
  result: 'started' | 'skipped' | 'failed';
  jobId?: string;
  reason?: string;
};

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
  constructor(private readonly store: Store) {}

  async put(policy: PolicyRecord): Promise<void> {
    const due = policy.enabled && policy.nextRunAt !== undefined;
    await this.store.apply({
      name: 'put the policy',
      table: 'control',
      put: {
        ...policyKey(policy.projectId, policy.graphId),
        ...(due && duePolicyKeys(policy.projectId, policy.graphId, policy.nextRunAt as number)),
        ...policy,
      },
    });
  }

  async get(projectId: string, graphId: string): Promise<PolicyRecord | undefined> {
    const item = await this.store.get('control', policyKey(projectId, graphId));
    return item && toPolicy(item);
  }

  /** Enabled policies whose next run is not later than `now`, across projects. */
  async due(now: number, limit: number): Promise<PolicyRecord[]> {
    const page = await this.store.query({
      table: 'control',
      index: 'gsi2',
      pk: DUE_POLICIES,
      range: { upTo: dueBefore(now) },
      limit,
    });
    return page.items.map(toPolicy);
  }

  /**
   * Moves a due policy to its next run and records what this run did, on condition that no other
   * trigger moved it first. False when one did.
   */
  async advance(policy: PolicyRecord, nextRunAt: number, run: PolicyRun): Promise<boolean> {
    const outcome = await this.store.apply({
      name: 'advance the policy',
      table: 'control',
      update: policyKey(policy.projectId, policy.graphId),
      change: {
        set: { nextRunAt, lastRun: run, ...duePolicyKeys(policy.projectId, policy.graphId, nextRunAt) },
      },
      if: when.and(when.eq('nextRunAt', policy.nextRunAt), when.eq('enabled', true)),
    });
    return outcome.ok;
  }

  /** Disables a due policy that can never run again, with what its last run did; false if moved meanwhile. */
  async disable(policy: PolicyRecord, run: PolicyRun): Promise<boolean> {
    const outcome = await this.store.apply({
      name: 'disable the policy',
      table: 'control',
      update: policyKey(policy.projectId, policy.graphId),
      change: { set: { enabled: false, lastRun: run }, remove: ['nextRunAt', 'gsi2pk', 'gsi2sk'] },
      if: when.and(when.eq('nextRunAt', policy.nextRunAt), when.eq('enabled', true)),
    });
    return outcome.ok;
  }
}

const toPolicy = (item: Item) => withoutKeys(item) as PolicyRecord;
