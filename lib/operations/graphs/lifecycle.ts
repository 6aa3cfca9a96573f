import { GesError } from '../../core/errors.js';
import {
  existing,
  type GraphRecord,
  GraphStatus,
  type GraphStatusCode,
  isFree,
} from '../../records/graphs/model.js';
import type { RecordDeps } from '../../runtime/deps.js';
import { newJob } from '../../runtime/submit.js';

/** A job that is done as soon as it is recorded (stop, plain start): GES still gives it a job id. */
async function instantJob(
  deps: RecordDeps,
  graph: GraphRecord,
  kind: 'stop-graph' | 'start-graph',
  to: GraphStatusCode,
  refusal: GesError,
) {
  const job = deps.jobs.ended(newJob(deps, graph, kind, {}));
  const outcome = await deps.store.transact([
    deps.graphs.transition(graph, to, job.createdAt),
    deps.jobs.put(job),
  ]);
  if (!outcome.ok) throw refusal;
  return { jobId: job.jobId };
}

/** Stops a running graph (status 900). Anything but a free, running graph: GES.7003. */
export async function stopGraph(deps: RecordDeps, ids: { projectId: string; graphId: string }) {
  const graph = existing(await deps.graphs.get(ids.projectId, ids.graphId));
  const notRunning = new GesError('GES.7003');
  if (!isFree(graph, GraphStatus.running)) throw notRunning;
  return instantJob(deps, graph, 'stop-graph', GraphStatus.stopped, notRunning);
}

/** Starts a stopped graph with the data it had (with a backup's data instead: `restoreGraph`). */
export async function startGraph(deps: RecordDeps, ids: { projectId: string; graphId: string }) {
  const graph = existing(await deps.graphs.get(ids.projectId, ids.graphId));
  const notStopped = new GesError('GES.7037');
  if (!isFree(graph, GraphStatus.stopped)) throw notStopped;
  return instantJob(deps, graph, 'start-graph', GraphStatus.running, notStopped);
}
