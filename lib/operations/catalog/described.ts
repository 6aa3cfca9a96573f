import {
  type BackupRecord,
  type DescribedBackup,
  describe,
  isDescribed,
} from '../../records/backups/model.js';
import type { GraphRecord } from '../../records/graphs/model.js';
import type { JobRecord } from '../../records/jobs/model.js';
import type { RecordDeps } from '../../runtime/deps.js';

type GraphDeps = Pick<RecordDeps, 'graphs'>;

/**
 * A backup is accepted without reading its graph, and its record and its job's learn the graph's
 * name when the worker first takes the job. Until then (a moment, or for good when the job failed
 * before any delivery) readers are told it from the graph itself: one read a graph, none when every
 * record is described. Names never change, and the job holds the graph until it describes the
 * backup, so what a reader is told is what the worker records.
 */
async function graphsOf(deps: GraphDeps, projectId: string, graphIds: string[]) {
  const unique = [...new Set(graphIds)];
  const graphs = await Promise.all(unique.map((graphId) => deps.graphs.get(projectId, graphId)));
  return new Map(unique.map((graphId, i) => [graphId, graphs[i]]));
}

/** Backups as readers see them, each described. */
export async function describedBackups(deps: GraphDeps, backups: BackupRecord[]): Promise<DescribedBackup[]> {
  const undescribed = backups.filter((b) => !isDescribed(b));
  if (!undescribed.length) return backups as DescribedBackup[];
  const graphs = await graphsOf(
    deps,
    undescribed[0]?.projectId ?? '',
    undescribed.map((b) => b.graphId),
  );
  return backups.map((b) => (isDescribed(b) ? b : { ...b, ...describeFrom(b, graphs.get(b.graphId)) }));
}

/** Jobs as readers see them, each with its graph's name. */
export async function namedJobs(
  deps: GraphDeps,
  jobs: JobRecord[],
): Promise<(JobRecord & { graphName: string })[]> {
  const unnamed = jobs.filter((job) => job.graphName === undefined);
  if (!unnamed.length) return jobs as (JobRecord & { graphName: string })[];
  const graphs = await graphsOf(
    deps,
    unnamed[0]?.projectId ?? '',
    unnamed.map((job) => job.graphId),
  );
  return jobs.map((job) => ({ ...job, graphName: job.graphName ?? graphs.get(job.graphId)?.name ?? '' }));
}

function describeFrom(backup: BackupRecord, graph: GraphRecord | undefined) {
  // A graph's record outlives its backups that failed (its deletion removes them): none is a race.
  const known = graph ?? { name: '', generation: 0, shards: 0 };
  return describe({ createdAt: backup.startAt, backupMethod: backup.backupMethod }, known);
}
