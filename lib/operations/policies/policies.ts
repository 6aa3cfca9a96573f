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
    schedule = parseSchedule(input.schedule);
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
 * between starting the backup and moving the policy on starts no second one when retried. A busy or
 * stopped graph is skipped, and the skip is recorded on the policy with its reason.
 */
export async function runDuePolicies(deps: JobDeps, limit = 100): Promise<PolicyRun[]> {
  const now = deps.clock.now();
  const runs: PolicyRun[] = [];
  for (const policy of await deps.policies.due(now, limit)) {
    const dueAt = policy.nextRunAt as number;
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
      if (!(e instanceof GesError)) throw e;
      run = { at: now, result: 'skipped', reason: `${e.code} ${e.message}` };
    }
    const next = parseSchedule(policy.schedule).next(Math.max(now, dueAt)) ?? Number.MAX_SAFE_INTEGER;
    if (await deps.policies.advance(policy, next, run)) {
      runs.push(run);
      deps.log.info('backup policy ran', { graphId: policy.graphId, ...run });
    }
  }
  return runs;
}
