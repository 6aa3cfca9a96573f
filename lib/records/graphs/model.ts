import { z } from 'zod';
import { graphNotFound } from '../../core/errors.js';

/** GES status codes of a graph, as strings on the wire. */
export const GraphStatus = {
  running: '200',
  stopped: '900',
  stopping: '901',
  starting: '920',
  backingUp: '903',
  faulty: '300',
  deleted: '400',
} as const;
export type GraphStatusCode = (typeof GraphStatus)[keyof typeof GraphStatus];

/** A batch in flight: its lease, and whether every element is written. */
export type BatchWriter = { until: number; done?: boolean };

export type GraphRecord = {
  projectId: string;
  graphId: string;
  name: string;
  status: GraphStatusCode;
  createdAt: number;
  /** When its status last changed (absent until it first does: then it is `createdAt`). */
  updatedAt?: number;
  /** The data generation the graph reads and writes; a restore loads a new one and flips this. */
  generation: number;
  /**
   * The highest generation ever given to the graph's data (absent: `generation`). A restore loads
   * into the one after it, so a generation once discarded is never loaded into again.
   */
  lastGeneration?: number;
  shards: number;
  /** The job that holds the graph (one at a time), absent when free. */
  lockJobId?: string;
  /**
   * The data-plane batches being written now, by batch id (see `batches.ts`): a batch larger than one
   * transaction registers here before its first element, and a job that holds the graph waits for
   * these before it reads.
   */
  writers?: Record<string, BatchWriter>;
};

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');
/**
 * Ids and labels are bounded so that an edge's sort key, `E#{source}#{label}#{target}` with `#` and `%`
 * escaped, always fits DynamoDB's 1,024-byte limit.
 */
const elementId = z
  .string()
  .min(1)
  .refine((s) => utf8Bytes(s) <= 128, 'must be at most 128 bytes of UTF-8');
const label = z
  .string()
  .min(1)
  .refine((s) => utf8Bytes(s) <= 64, 'must be at most 64 bytes of UTF-8');
/** Property values are arrays of strings, as in GES. */
/**
 * An element's properties, as stored, must leave room in DynamoDB's 400 KB item for its keys: 64 KB
 * (as JSON) is ours, well within, and keeps a 99-element write transaction under DynamoDB's 4 MB.
 */
export const MAX_PROPERTIES_BYTES = 64 * 1024;
/** A property's name: 1 to 256 characters. */
const isPropertyName = (key: string) => key.length >= 1 && key.length <= 256;
/** A property's values: a list of strings. */
const isPropertyValues = (values: unknown): values is string[] =>
  Array.isArray(values) && values.every((v) => typeof v === 'string');
/**
 * Every key is kept as sent, `__proto__` and `constructor` included: the object is built with
 * `Object.fromEntries` (own data properties), where zod's `z.record` assigns keys and so loses
 * `__proto__` to the prototype setter.
 */
const properties = z
  .unknown()
  .default({})
  .transform((value, ctx): Record<string, string[]> => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: 'properties must be an object' });
      return z.NEVER;
    }
    const entries: [string, string[]][] = [];
    // Checked by hand rather than by a schema a key: every element a restore loads comes through here.
    for (const [key, values] of Object.entries(value)) {
      if (!isPropertyName(key) || !isPropertyValues(values)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'a property is a name of 1 to 256 characters and a list of strings',
        });
        return z.NEVER;
      }
      entries.push([key, [...values]]);
    }
    return Object.fromEntries(entries);
  })
  .refine(
    (p) => utf8Bytes(JSON.stringify(p)) <= MAX_PROPERTIES_BYTES,
    'properties must be at most 64 KB as JSON',
  );

export const vertexSchema = z.strictObject({ vertex: elementId, label, properties });
export const edgeSchema = z.strictObject({ source: elementId, target: elementId, label, properties });
export type Vertex = z.infer<typeof vertexSchema>;
export type Edge = z.infer<typeof edgeSchema>;
export type GraphElement = Vertex | Edge;

export const MAX_BATCH = 1000;
export const vertexBatchSchema = z.strictObject({ vertices: z.array(vertexSchema).min(1).max(MAX_BATCH) });
export const edgeBatchSchema = z.strictObject({ edges: z.array(edgeSchema).min(1).max(MAX_BATCH) });

export const isVertex = (e: GraphElement): e is Vertex => 'vertex' in e;

/** The generation a restore of the graph loads into: one never given before. */
export const nextGeneration = (graph: Pick<GraphRecord, 'generation' | 'lastGeneration'>): number =>
  Math.max(graph.lastGeneration ?? 0, graph.generation) + 1;

/**
 * How many generations of the graph may hold data, from 1: every one given, and the one after the
 * current (where a restore of a version that did not count them loaded).
 */
export const dataGenerations = (graph: Pick<GraphRecord, 'generation' | 'lastGeneration'>): number =>
  Math.max(graph.lastGeneration ?? 0, graph.generation + 1);

/** The graph, or GES.7000 when it does not exist or has been deleted. */
export function existing(graph: GraphRecord | undefined): GraphRecord {
  if (!graph || graph.status === GraphStatus.deleted) throw graphNotFound();
  return graph;
}

/** The graph is in this status and no job holds it. */
export const isFree = (graph: GraphRecord, status: GraphStatusCode) =>
  graph.status === status && !graph.lockJobId;
