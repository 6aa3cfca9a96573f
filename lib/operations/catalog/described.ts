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
async function graphsOf(deps: GraphDeps, records: { projectId: string; graphId: string }[]) {
  const ids = [...new Map(records.map((r) => [r.graphId, r])).values()];
  const graphs = await Promise.all(ids.map((r) => deps.graphs.get(r.projectId, r.graphId)));
  return new Map(ids.map((r, i) => [r.graphId, graphs[i]]));
}

/** Backups as readers see them, each described. */
export async function describedBackups(deps: GraphDeps, backups: BackupRecord[]): Promise<DescribedBackup[]> {
  const graphs = await graphsOf(
    deps,
    backups.filter((b) => !isDescribed(b)),
  );
  return backups.map((b) => (isDescribed(b) ? b : { ...b, ...describeFrom(b, graphs.get(b.graphId)) }));
}

/** Jobs as readers see them, each with its graph's name. */
export async function namedJobs(
  deps: GraphDeps,
  jobs: JobRecord[],
): Promise<(JobRecord & { graphName: string })[]> {
  const graphs = await graphsOf(
    deps,
    jobs.filter((job) => job.graphName === undefined),
  );
  return jobs.map((job) => ({ ...job, graphName: job.graphName ?? graphs.get(job.graphId)?.name ?? '' }));
}

function describeFrom(backup: BackupRecord, graph: GraphRecord | undefined) {
  // A graph's record outlives its backups that failed (its deletion removes them): none is a race.
  const known = graph ?? { name: '', generation: 0, shards: 0 };
  return describe({ createdAt: backup.startAt, backupMethod: backup.backupMethod }, known);
}
