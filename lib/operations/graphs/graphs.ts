import { GesError } from '../../core/errors.js';
import { refusedAction } from '../../core/store.js';
import { totals } from '../../records/graphs/counters.js';
import { existing, type GraphRecord, GraphStatus } from '../../records/graphs/model.js';
import type { RecordDeps } from '../../runtime/deps.js';
import { newJob } from '../../runtime/submit.js';

/** A graph with its element counts, as the API shows it. */
export type CountedGraph = GraphRecord & { vertexNum: number; edgeNum: number };

/** Creates a graph, usable at once; its CreateGraph job is recorded already ended (spec, "ours"). */
export async function createGraph(deps: RecordDeps, input: { projectId: string; name: string }) {
  const graph: GraphRecord = {
    projectId: input.projectId,
    graphId: deps.ids.uuid(),
    name: input.name,
    status: GraphStatus.running,
    createdAt: deps.clock.now(),
    generation: 1,
    shards: deps.config.graphShards,
    writers: {},
  };
  const job = deps.jobs.ended(newJob(deps, graph, 'create-graph', {}));
  const name = deps.graphs.claimName(graph);
  const outcome = await deps.store.transact([
    name,
    deps.graphs.put(graph),
    deps.jobs.put(job),
    deps.projects.reserve(input.projectId, 'graphCount', deps.config.graphQuota),
  ]);
  if (refusedAction(outcome, name.name)) {
    throw new GesError('GES.0001', `Incorrect parameter. A graph named ${graph.name} already exists.`);
  }
  if (!outcome.ok) {
    throw new GesError('GES.0001', 'Incorrect parameter. The number of graphs reaches the upper limit.');
  }
  return { graph, jobId: job.jobId };
}

export async function getGraph(deps: RecordDeps, input: { projectId: string; graphId: string }) {
  return counted(deps, existing(await deps.graphs.get(input.projectId, input.graphId)));
}

export async function listGraphs(
  deps: RecordDeps,
  input: { projectId: string; offset: number; limit: number },
) {
  const all = (await deps.graphs.list(input.projectId)).filter((g) => g.status !== GraphStatus.deleted);
  const page = all.slice(input.offset, input.offset + input.limit);
  return { total: all.length, graphs: await Promise.all(page.map((g) => counted(deps, g))) };
}

const counted = async (deps: RecordDeps, graph: GraphRecord): Promise<CountedGraph> => ({
  ...graph,
  ...(await countGraph(deps, graph)),
});

/** Counts come from the graph's counters, on its current generation: a few items, whatever its size. */
export async function countGraph(deps: Pick<RecordDeps, 'data'>, graph: GraphRecord) {
  const { vertices, edges } = totals(await deps.data.counts(graph.graphId, graph.generation));
  return { vertexNum: vertices, edgeNum: edges };
}
