import { mapLimit } from '../concurrency.js';
import type { Deps } from '../deps.js';
import { graphNotFound } from '../errors.js';
import type { JobRecord } from '../jobs/model.js';
import { utcTime } from '../time.js';
import { type GraphRecord, GraphStatus } from './model.js';

/** Creates a graph, usable at once; its CreateGraph job is recorded already ended (spec, "ours"). */
export async function createGraph(deps: Deps, input: { projectId: string; name: string }) {
  const now = deps.clock.now();
  const graph: GraphRecord = {
    projectId: input.projectId,
    graphId: deps.ids.uuid(),
    name: input.name,
    status: GraphStatus.running,
    createdAt: now,
    generation: 1,
    shards: deps.config.graphShards,
  };
  const job: JobRecord = {
    projectId: input.projectId,
    jobId: deps.ids.jobId(),
    jobName: 'CreateGraph',
    graphId: graph.graphId,
    graphName: graph.name,
    status: 'success',
    createdAt: now,
    endAt: now,
    progress: 100,
    deadlineAt: now,
    expiresAt: Math.floor(now / 1000) + deps.config.jobRetentionDays * 86_400,
  };
  await deps.graphs.create(graph, [
    deps.jobs.putAction(job),
    deps.projects.reserveAction(input.projectId, 'graphCount', deps.config.graphQuota),
  ]);
  return { id: graph.graphId, jobId: job.jobId };
}

export async function getGraph(deps: Deps, input: { projectId: string; graphId: string }) {
  const graph = existing(await deps.graphs.get(input.projectId, input.graphId));
  return { graph: await graphView(deps, graph) };
}

export async function listGraphs(deps: Deps, input: { projectId: string; offset: number; limit: number }) {
  const all = (await deps.graphs.list(input.projectId)).filter((g) => g.status !== GraphStatus.deleted);
  const page = all.slice(input.offset, input.offset + input.limit);
  return { graphCount: all.length, graphs: await Promise.all(page.map((g) => graphView(deps, g))) };
}

/** Counts come from the store, shard by shard, on the graph's current generation. */
export async function countGraph(deps: Deps, graph: GraphRecord) {
  const shards = Array.from({ length: graph.shards }, (_, shard) => shard);
  const counts = await mapLimit(shards, 8, (shard) =>
    deps.data.countShard(graph.graphId, graph.generation, shard),
  );
  return {
    vertexNum: counts.reduce((n, c) => n + c.vertices, 0),
    edgeNum: counts.reduce((n, c) => n + c.edges, 0),
  };
}

async function graphView(deps: Deps, graph: GraphRecord) {
  return {
    id: graph.graphId,
    name: graph.name,
    status: graph.status,
    createdTime: utcTime(graph.createdAt),
    ...(await countGraph(deps, graph)),
  };
}

/** The graph, or GES.7000 when it does not exist or has been deleted. */
export function existing(graph: GraphRecord | undefined): GraphRecord {
  if (!graph || graph.status === GraphStatus.deleted) throw graphNotFound();
  return graph;
}
