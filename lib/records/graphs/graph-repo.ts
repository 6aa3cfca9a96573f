import { graphKey, graphNameKey, graphPrefix } from '../../core/keys.js';
import { type Action, type Item, queryAll, type Store, when, withoutKeys } from '../../core/store.js';
import { type BatchWriter, type GraphRecord, GraphStatus, type GraphStatusCode } from './model.js';

/** Graph records in the control table, and the named actions that change them. */
export class GraphRepo {
  constructor(private readonly store: Store) {}

  /** Writes the graph; names are unique per project, so its name is claimed with it (`claimName`). */
  put(graph: GraphRecord): Action {
    return {
      name: 'put the graph',
      table: 'control',
      put: { ...graphKey(graph.projectId, graph.graphId), ...graph },
      if: when.absent('pk'),
    };
  }

  claimName(graph: GraphRecord): Action {
    return {
      name: 'claim the graph name',
      table: 'control',
      put: { ...graphNameKey(graph.projectId, graph.name), graphId: graph.graphId },
      if: when.absent('pk'),
    };
  }

  /** Frees a graph's name for reuse (when the graph is deleted). */
  releaseName(graph: GraphRecord): Action {
    return {
      name: 'release the graph name',
      table: 'control',
      delete: graphNameKey(graph.projectId, graph.name),
      if: when.eq('graphId', graph.graphId),
    };
  }

  /**
   * Moves a free graph from one status to another, optionally taking its lock for a job. Conditional
   * on the status, the generation and the lock as read, so of two racing requests one wins.
   */
  transition(graph: GraphRecord, to: GraphStatusCode, at: number, lockFor?: string): Action {
    return {
      name: lockFor ? 'lock the graph' : 'move the graph',
      table: 'control',
      update: graphKey(graph.projectId, graph.graphId),
      change: { set: { status: to, updatedAt: at, ...(lockFor && { lockJobId: lockFor }) } },
      if: when.and(
        when.eq('status', graph.status),
        when.absent('lockJobId'),
        when.eq('generation', graph.generation),
      ),
    };
  }

  /**
   * Locks a running, free graph for a backup without having read it: the conditions are what a read
   * would have checked, and a refusal's cancellation reason carries the graph as it was (or none).
   */
  lockRunning(
    ids: Pick<GraphRecord, 'projectId' | 'graphId'>,
    to: GraphStatusCode,
    at: number,
    jobId: string,
  ): Action {
    return {
      name: 'lock the graph',
      table: 'control',
      update: graphKey(ids.projectId, ids.graphId),
      change: { set: { status: to, updatedAt: at, lockJobId: jobId } },
      if: when.and(when.eq('status', GraphStatus.running), when.absent('lockJobId')),
    };
  }

  /** The graph is held by `jobId`: a condition of a write that relies on what it read of the graph. */
  heldBy(ids: Pick<GraphRecord, 'projectId' | 'graphId'>, jobId: string): Action {
    return {
      name: 'the graph is held',
      table: 'control',
      check: graphKey(ids.projectId, ids.graphId),
      if: when.eq('lockJobId', jobId),
    };
  }

  /** Frees a graph that `jobId` holds, into status `to`, switching its data generation if given. */
  release(
    graph: Pick<GraphRecord, 'projectId' | 'graphId'>,
    jobId: string,
    to: GraphStatusCode,
    at: number,
    generation?: number,
  ): Action {
    return {
      name: 'release the graph',
      table: 'control',
      update: graphKey(graph.projectId, graph.graphId),
      change: {
        set: { status: to, updatedAt: at, ...(generation !== undefined && { generation }) },
        remove: ['lockJobId'],
      },
      if: when.eq('lockJobId', jobId),
    };
  }

  /** Gives `generation` to the data of a graph that `jobId` holds: the highest given, never given again. */
  allocate(graph: Pick<GraphRecord, 'projectId' | 'graphId'>, jobId: string, generation: number): Action {
    return {
      name: 'give the graph a generation',
      table: 'control',
      update: graphKey(graph.projectId, graph.graphId),
      change: { set: { lastGeneration: generation } },
      if: when.eq('lockJobId', jobId),
    };
  }

  /** Removes a deleted graph's record for good. */
  remove(graph: Pick<GraphRecord, 'projectId' | 'graphId'>): Action {
    return { name: 'remove the graph', table: 'control', delete: graphKey(graph.projectId, graph.graphId) };
  }

  async get(projectId: string, graphId: string): Promise<GraphRecord | undefined> {
    const item = await this.store.get('control', graphKey(projectId, graphId));
    return item && toGraph(item);
  }

  async findByName(projectId: string, name: string): Promise<GraphRecord | undefined> {
    const item = await this.store.get('control', graphNameKey(projectId, name));
    return typeof item?.graphId === 'string' ? this.get(projectId, item.graphId) : undefined;
  }

  /** All graphs of a project, oldest first. A project holds few graphs, so one paged query serves. */
  async list(projectId: string): Promise<GraphRecord[]> {
    const items = await queryAll(this.store, {
      table: 'control',
      pk: graphKey(projectId, '').pk,
      range: { beginsWith: graphPrefix },
    });
    return items.map(toGraph).sort((a, b) => a.createdAt - b.createdAt || a.graphId.localeCompare(b.graphId));
  }
}

const toGraph = (item: Item) => withoutKeys(item) as GraphRecord;

/** The graph still runs on this generation: what every data write checks in its transaction. */
export function takesWrites(graph: Pick<GraphRecord, 'projectId' | 'graphId' | 'generation'>): Action {
  return {
    name: 'the graph takes writes',
    table: 'control',
    check: graphKey(graph.projectId, graph.graphId),
    if: when.and(when.eq('status', GraphStatus.running), when.eq('generation', graph.generation)),
  };
}

type Graph = Pick<GraphRecord, 'projectId' | 'graphId' | 'generation'>;

/** A batch registers while the graph takes writes: from here on, a job that takes the graph waits for it. */
export function registerWriter(graph: Graph, batchId: string, writer: BatchWriter): Action {
  return {
    name: 'the graph takes writes',
    table: 'control',
    update: graphKey(graph.projectId, graph.graphId),
    change: { set: { [`writers.${batchId}`]: writer } },
    if: when.and(
      when.eq('status', GraphStatus.running),
      when.eq('generation', graph.generation),
      when.exists('writers'),
    ),
  };
}

/** Every write of a registered batch checks that its registration still stands. */
export function writerFence(graph: Graph, batchId: string): Action {
  return {
    name: 'the batch is registered',
    table: 'control',
    check: graphKey(graph.projectId, graph.graphId),
    if: when.exists(`writers.${batchId}`),
  };
}

export function markWriterDone(graph: Graph, batchId: string, until: number): Action {
  return {
    name: 'the batch is written',
    table: 'control',
    update: graphKey(graph.projectId, graph.graphId),
    change: { set: { [`writers.${batchId}`]: { until, done: true } } },
    if: when.exists(`writers.${batchId}`),
  };
}

export function removeWriter(graph: Graph, batchId: string): Action {
  return {
    name: 'the batch is settled',
    table: 'control',
    update: graphKey(graph.projectId, graph.graphId),
    change: { remove: [`writers.${batchId}`] },
    if: when.exists(`writers.${batchId}`),
  };
}
