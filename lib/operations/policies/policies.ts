import { GesError, InvalidSchedule, invalidBody } from '../../core/errors.js';
import { existing } from '../../records/graphs/model.js';
import type { PolicyRecord, PolicyRun } from '../../records/policies/policy-repo.js';
import { parseSchedule } from '../../records/policies/schedule.js';
import type { JobDeps, RecordDeps } from '../../runtime/deps.js';
import { startBackup } from '../backup/start-backup.js';

export type PolicyInput = { enabled: boolean; schedule: string; keepAuto: number };

/** Sets a graph's backup policy (ours, beyond GES); the next run is computed from now. */
export async function putPolicy(
  deps: RecordDeps,
  input: { projectId: string; graphId: string } & PolicyInput,
) {
  existing(await deps.graphs.get(input.projectId, input.graphId));
  let schedule: ReturnType<typeof parseSchedule>;
  try {
    schedule = parseSchedule(input.schedule, deps.clock.now());
  } catch (e) {
    if (e instanceof InvalidSchedule) throw invalidBody(`schedule: ${e.message}`);
    throw e;
  }
  const previous = await deps.policies.get(input.projectId, input.graphId);
  const policy: PolicyRecord = {
    projectId: input.projectId,
    graphId: input.graphId,
    enabled: input.enabled,
    schedule: schedule.expression,
    keepAuto: input.keepAuto,
    ...(input.enabled && { nextRunAt: schedule.next(deps.clock.now()) }),
    ...(previous?.lastRun && { lastRun: previous.lastRun }),
  };
  await deps.policies.put(policy);
  return policy;
}

export async function getPolicy(deps: RecordDeps, ids: { projectId: string; graphId: string }) {
  existing(await deps.graphs.get(ids.projectId, ids.graphId));
  const policy = await deps.policies.get(ids.projectId, ids.graphId);
  if (!policy) throw new GesError('GES.7049', 'The graph has no backup policy.');
  return policy;
}

/**
 * The scheduled trigger: starts an automatic backup for every graph whose policy is due, through
 * the same use case as the HTTP API. The client token is the policy's run, so a trigger that dies
 * between starting the backup and moving the policy on starts no second one when retried.
 *
 * Each policy is run on its own: whatever one policy does (a busy or stopped graph, a deleted graph,
 * a schedule with no run left, any exception) is recorded on that policy and the runner goes on with
 * the others. A policy that can never run again (its graph is gone, its schedule has no next run) is
 * disabled, so that it leaves the due index instead of coming first in it every minute.
 */
export async function runDuePolicies(deps: JobDeps, limit = 100): Promise<PolicyRun[]> {
  const now = deps.clock.now();
  const runs: PolicyRun[] = [];
  for (const policy of await deps.policies.due(now, limit)) {
    try {
      const run = await runPolicy(deps, policy, now);
      if (run) runs.push(run);
    } catch (error) {
      // Not even the outcome could be recorded (the store is failing): the policy stays due and is
      // tried again next minute; the others go on now.
      deps.log.error('backup policy could not run', { graphId: policy.graphId, error: error as Error });
    }
  }
  return runs;
}

async function runPolicy(deps: JobDeps, policy: PolicyRecord, now: number): Promise<PolicyRun | undefined> {
  const dueAt = policy.nextRunAt ?? now;
  let next: number | undefined;
  try {
    next = parseSchedule(policy.schedule, now).next(Math.max(now, dueAt));
  } catch (e) {
    return disable(deps, policy, {
      at: now,
      result: 'failed',
      reason: `the schedule is not valid: ${(e as Error).message}`,
    });
  }
  let run: PolicyRun;
  try {
    const { jobId } = await startBackup(deps, {
      projectId: policy.projectId,
      graphId: policy.graphId,
      method: 'auto',
      clientToken: `policy-${policy.graphId}-${dueAt}`,
    });
    run = { at: now, result: 'started', jobId };
  } catch (e) {
    if (e instanceof GesError && e.code === 'GES.7000') {
      return disable(deps, policy, { at: now, result: 'failed', reason: `${e.code} ${e.message}` });
    }
    const reason = e instanceof GesError ? `${e.code} ${e.message}` : 'an internal error occurred';
    if (!(e instanceof GesError))
      deps.log.error('backup policy failed', { graphId: policy.graphId, error: e as Error });
    run = { at: now, result: e instanceof GesError ? 'skipped' : 'failed', reason };
  }
  if (next === undefined) {
    return disable(deps, policy, {
      ...run,
      reason: [run.reason, 'the schedule has no run left'].filter(Boolean).join('; '),
    });
  }
  if (!(await deps.policies.advance(policy, next, run))) return undefined;
  deps.log.info('backup policy ran', { graphId: policy.graphId, ...run });
  return run;
}

/** The policy can never run again: it is disabled (and leaves the due index) with the reason. */
async function disable(deps: JobDeps, policy: PolicyRecord, run: PolicyRun): Promise<PolicyRun | undefined> {
  const disabled: PolicyRun = { ...run, reason: `${run.reason}; the policy was disabled` };
  if (!(await deps.policies.disable(policy, disabled))) return undefined;
  deps.log.warn('backup policy disabled', { graphId: policy.graphId, ...disabled });
  return disabled;
}
