import { GesError } from '../../core/errors.js';
import { type BackupMethod, newBackup } from '../../records/backups/model.js';
import { GraphStatus } from '../../records/graphs/model.js';
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
  const earlier = await replay();
  if (earlier) return earlier;
  try {
    return await begin(deps, input);
  } catch (e) {
    // Two requests with one token raced, and the other won: answer with its job.
    const raced = e instanceof GesError && (await replay());
    if (raced) return raced;
    throw e;
  }
}

/** The backup itself, once no earlier request with the same token has started it. */
async function begin(deps: JobDeps, input: StartBackupInput) {
  const { projectId, graphId, method = 'manual', requestId, clientToken } = input;
  const graph = await deps.graphs.get(projectId, graphId);
  const refusal = backupRefusal(graph);
  if (refusal || !graph) throw refusal;

  const job = newJob(deps, graph, 'backup', { backupId: deps.ids.uuid() }, requestId);
  const backup = newBackup(graph, job, method);

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
  const whyNot = async () => {
    // The transaction found the graph not free, or the quota full, at that instant. A fresh read says
    // which, unless the job that held the graph has ended meanwhile: then it was a backup (GES.7002).
    const now = backupRefusal(await deps.graphs.get(projectId, graphId));
    if (now) return now;
    const { backupCount } = await deps.projects.counts(projectId);
    return new GesError(backupCount >= deps.config.backupQuota ? 'GES.7019' : 'GES.7002');
  };
  await submitJob(
    deps,
    job,
    backupTask,
    [
      deps.graphs.transition(graph, GraphStatus.backingUp, job.createdAt, job.jobId),
      deps.backups.put(backup),
      deps.projects.reserve(projectId, 'backupCount', deps.config.backupQuota),
      ...tokenUse,
    ],
    whyNot,
    requestId,
  );
  return { jobId: job.jobId, backupId: backup.backupId };
}
