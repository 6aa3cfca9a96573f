import { GesError, GraphNotWritable } from '../../core/errors.js';
import { totals } from '../../records/graphs/counters.js';
import { type DataItem, toItem } from '../../records/graphs/data-keys.js';
import type { GraphElement } from '../../records/graphs/model.js';

import { existing } from '../../records/graphs/model.js';
import { writeRefusal } from '../../records/graphs/rules.js';
import type { RecordDeps } from '../../runtime/deps.js';

/**
 * Adds a batch of vertices or edges (already validated whole by the caller's schema). An element that
 * exists is replaced; within one batch the last spelling of an element wins.
 */
export async function addElements(
  deps: RecordDeps,
  input: { projectId: string; graphName: string; elements: GraphElement[] },
) {
  const graph = await deps.graphs.findByName(input.projectId, input.graphName);
  const refusal = writeRefusal(graph);
  if (refusal || !graph) throw refusal;

  const items = new Map<string, DataItem>();
  for (const element of input.elements) {
    const item = toItem(graph.graphId, graph.generation, graph.shards, element);
    items.set(`${item.pk}\u0000${item.sk}`, item);
  }
  try {
    const now = deps.clock.now();
    // A batch whose writer died is settled before this one writes over the same elements.
    if (Object.keys(graph.writers ?? {}).length) await deps.data.settleWriters(graph, now);
    await deps.data.put(graph, [...items.values()], {
      batchId: deps.ids.uuid(),
      leaseMs: deps.config.batchLeaseSeconds * 1000,
      now,
    });
  } catch (e) {
    if (!(e instanceof GraphNotWritable)) throw e;
    // A job took the graph while we wrote: say which, as a fresh read tells it.
    throw writeRefusal(await deps.graphs.get(graph.projectId, graph.graphId)) ?? new GesError('GES.7001');
  }
  return { result: 'success' as const };
}

/** GES's graph summary: counts of vertices and edges, in all and by label, from the graph's counters. */
export async function summarize(deps: RecordDeps, input: { projectId: string; graphName: string }) {
  const graph = existing(await deps.graphs.findByName(input.projectId, input.graphName));
  const counts = await deps.data.counts(graph.graphId, graph.generation);
  const { vertices, edges } = totals(counts);
  return {
    data: {
      vertexNum: vertices,
      edgeNum: edges,
      labelDetails: { labelInVertex: counts.vertex, labelInEdge: counts.edge },
    },
  };
}
