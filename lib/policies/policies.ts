import { startBackup } from '../backups/start-backup.js';
import type { Deps } from '../deps.js';
import { GesError, invalidBody } from '../errors.js';
import { existing } from '../graphs/graphs.js';
import { utcTime } from '../time.js';
import type { PolicyRecord, PolicyRun } from './policy-repo.js';
import { InvalidSchedule, parseSchedule } from './schedule.js';

export type PolicyInput = { enabled: boolean; schedule: string; keepAuto: number };

function view(policy: PolicyRecord) {
  return {
    enabled: policy.enabled,
    schedule: policy.schedule,
    keepAuto: policy.keepAuto,
    ...(policy.enabled && policy.nextRunAt !== undefined && { nextRunTime: utcTime(policy.nextRunAt) }),
    ...(policy.lastRun && {
      lastRun: {
        time: utcTime(policy.lastRun.at),
        result: policy.lastRun.result,
        ...(policy.lastRun.jobId && { jobId: policy.lastRun.jobId }),
        ...(policy.lastRun.reason && { reason: policy.lastRun.reason }),
      },
    }),
  };
}

/** Sets a graph's backup policy (ours, beyond GES); the next run is computed from now. */
export async function putPolicy(deps: Deps, input: { projectId: string; graphId: string } & PolicyInput) {
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
  return view(policy);
}

export async function getPolicy(deps: Deps, ids: { projectId: string; graphId: string }) {
  existing(await deps.graphs.get(ids.projectId, ids.graphId));
  const policy = await deps.policies.get(ids.projectId, ids.graphId);
  if (!policy) throw new GesError('GES.7049', 'The graph has no backup policy.');
  return view(policy);
}

/**
 * The scheduled trigger: starts an automatic backup for every graph whose policy is due, through
 * the same use case as the HTTP API. The client token is the policy's run, so a trigger that dies
 * between starting the backup and moving the policy on starts no second one when retried. A busy or
 * stopped graph is skipped, and the skip is recorded on the policy with its reason.
 */
export async function runDuePolicies(deps: Deps, limit = 100): Promise<PolicyRun[]> {
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
