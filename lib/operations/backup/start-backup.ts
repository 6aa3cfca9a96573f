import { GesError } from '../../core/errors.js';
import { type Outcome, refusedAction, withoutKeys } from '../../core/store.js';
import { type BackupMethod, newBackup } from '../../records/backups/model.js';
import { type GraphRecord, GraphStatus } from '../../records/graphs/model.js';
import { backupRefusal } from '../../records/graphs/rules.js';
import type { JobDeps } from '../../runtime/deps.js';
import { newJob, submitJob } from '../../runtime/submit.js';
import { backupTask } from './backup-task.js';

export type StartBackupInput = {
  projectId: string;
  graphId: string;
  method?: Exclude<BackupMethod, 'import'>;
  requestId?: string;
  /** `X-Client-Token`: the same token within 8 hours gets the same job instead of a second backup. */
  clientToken?: string | undefined;
};

/**
 * Starts a backup: in one transaction the pending job, the `backing_up` backup, the graph's lock
 * (status 903) and a unit of the project's backup quota; then the job's message on the queue.
 */
export async function startBackup(deps: JobDeps, input: StartBackupInput) {
  const { projectId, graphId, clientToken } = input;
  const replay = async () => {
    const used = clientToken && (await deps.clientTokens.get(projectId, clientToken, deps.clock.now()));
    if (used && used.graphId !== graphId) {
      throw new GesError(
        'GES.7016',
        'The request body or header is invalid. X-Client-Token was used for another graph.',
      );
    }
    return used ? { jobId: used.jobId, backupId: used.backupId } : undefined;
  };
  // The token is not read first: its use is a condition of the transaction, and only a refused
  // request (the token used already, or anything else) looks it up.
  try {
    return await begin(deps, input);
  } catch (e) {
    // An earlier request with this token started the backup (or raced this one and won): its job.
    const raced = e instanceof GesError && (await replay());
    if (raced) return raced;
    throw e;
  }
}

/**
 * The backup itself, once no earlier request with the same token has started it. The graph is not
 * read: the lock's conditions are what a read would check (running, free), and when they fail the
 * cancellation reason holds the graph as it was, which says why. The worker describes the backup
 * (the graph's name, generation and shards) when it takes the job, with the graph still held.
 */
async function begin(deps: JobDeps, input: StartBackupInput) {
  const { projectId, graphId, method = 'manual', requestId, clientToken } = input;
  const job = newJob(deps, { projectId, graphId }, 'backup', { backupId: deps.ids.uuid() }, requestId);
  const backup = newBackup({ projectId, graphId }, job, method);

  const tokenUse = clientToken
    ? [
        deps.clientTokens.use(
          projectId,
          clientToken,
          { graphId, jobId: job.jobId, backupId: backup.backupId },
          job.createdAt,
        ),
      ]
    : [];
  const lock = deps.graphs.lockRunning(
    { projectId, graphId },
    GraphStatus.backingUp,
    job.createdAt,
    job.jobId,
  );
  const quota = deps.projects.reserve(projectId, 'backupCount', deps.config.backupQuota);
  // The cancellation reasons say which condition failed, with the item as it was at that instant:
  // no read, and no wording from a later state (the job that held the graph may have ended).
  const whyNot = async (outcome: Outcome & { ok: false }) => {
    const graphRefused = refusedAction(outcome, lock.name);
    if (graphRefused) {
      const then = graphRefused.item && (withoutKeys(graphRefused.item) as GraphRecord);
      return backupRefusal(then) ?? new GesError('GES.7001');
    }
    if (refusedAction(outcome, quota.name)) return new GesError('GES.7019');
    // The token was used meanwhile: the caller answers with that use's job.
    return new GesError('GES.7002');
  };
  await submitJob(
    deps,
    job,
    backupTask,
    [lock, deps.backups.put(backup), quota, ...tokenUse],
    whyNot,
    requestId,
  );
  return { jobId: job.jobId, backupId: backup.backupId };
}
