import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { jobTasks } from '../../lib/composition/tasks.js';
import { startBackup } from '../../lib/operations/backup/start-backup.js';
import { addElements, summarize } from '../../lib/operations/graphs/data-plane.js';
import { stopGraph } from '../../lib/operations/graphs/lifecycle.js';
import { restoreGraph } from '../../lib/operations/restore/restore-graph.js';
import { ContentDigest, canonicalLine } from '../../lib/records/backups/format.js';
import { fromItem } from '../../lib/records/graphs/data-keys.js';
import type { Edge, GraphElement, Vertex } from '../../lib/records/graphs/model.js';
import type { Deps } from '../../lib/runtime/deps.js';
import { runJob } from '../../lib/runtime/run-job.js';
import { PROJECT, seedGraph } from './fixtures.js';
import { isolatedStack } from './support.js';

/**
 * Backup → change the graph → stop → start from the backup gives back exactly the backed-up content,
 * by digest and by summary, for generated graphs: several labels, non-ASCII ids and values, empty
 * graphs, isolated vertices, self-loops, parallel edges with different labels, multi-valued
 * properties.
 */
let deps: Deps;
beforeAll(async () => {
  ({ deps } = await isolatedStack());
});

const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 });
const id = fc.oneof(text, fc.constantFrom('#', '%', 'a#b', '100%', 'Zoë', '東京', '🚀'));
const label: fc.Arbitrary<string> = fc.constantFrom('user', 'movie', 'пользователь', '標籤', 'x#y');
const properties = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.array(fc.string({ unit: 'grapheme', maxLength: 10 }), { maxLength: 3 }),
  { maxKeys: 4 },
);

const graphs = fc
  .uniqueArray(fc.record({ vertex: id, label, properties }), { selector: (v) => v.vertex, maxLength: 25 })
  .chain((vertices: Vertex[]) => {
    const ids = vertices.map((v) => v.vertex);
    const edge = ids.length
      ? fc.record({ source: fc.constantFrom(...ids), target: fc.constantFrom(...ids), label, properties })
      : fc.constant(undefined);
    const edges = fc
      .uniqueArray(edge, {
        selector: (e) => (e ? `${e.source}\u0000${e.label}\u0000${e.target}` : ''),
        maxLength: ids.length ? 40 : 0,
      })
      .map((list) => list.filter((e): e is Edge => e !== undefined));
    return edges.map((e) => ({ vertices, edges: e }));
  });

async function contentOf(graphId: string) {
  const graph = await deps.graphs.get(PROJECT, graphId);
  if (!graph) throw new Error('graph is gone');
  const records: GraphElement[] = [];
  for (let shard = 0; shard < graph.shards; shard++) {
    for await (const page of deps.data.readShard(graphId, graph.generation, shard))
      records.push(...page.map(fromItem));
  }
  return records;
}

const digestOf = (records: GraphElement[]) => {
  const digest = new ContentDigest();
  for (const r of records) digest.add(canonicalLine(r));
  return digest.hex();
};
const run = (jobId: string) => runJob(deps, jobTasks, { projectId: PROJECT, jobId }, { attempt: 1 });

describe('backup and restore', () => {
  it('give back exactly the backed-up graph, whatever its content', async () => {
    await fc.assert(
      fc.asyncProperty(graphs, async ({ vertices, edges }) => {
        const { graphId, name } = await seedGraph(deps, { vertices, edges });
        const before = await contentOf(graphId);
        const summaryBefore = await summarize(deps, { projectId: PROJECT, graphName: name });
        const backup = await startBackup(deps, { projectId: PROJECT, graphId });
        expect(await run(backup.jobId)).toBe('succeeded');

        // Change it: a new vertex, an existing one rewritten, a new edge.
        await addElements(deps, {
          projectId: PROJECT,
          graphName: name,
          elements: [
            { vertex: 'added after the backup', label: 'user', properties: { x: ['1'] } },
            ...vertices.slice(0, 1).map((v) => ({ ...v, properties: { changed: ['yes'] } })),
          ],
        });
        await stopGraph(deps, { projectId: PROJECT, graphId });
        const restore = await restoreGraph(deps, { projectId: PROJECT, graphId, backupId: backup.backupId });
        expect(await run(restore.jobId)).toBe('succeeded');

        const after = await contentOf(graphId);
        expect(digestOf(after)).toBe(digestOf(before));
        expect(after.length).toBe(vertices.length + edges.length);
        expect(await summarize(deps, { projectId: PROJECT, graphName: name })).toEqual(summaryBefore);
      }),
      { numRuns: 12, seed: 20261127, endOnFailure: true },
    );
  });
});
