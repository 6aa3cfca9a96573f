import { GesError } from '../../core/errors.js';
import { type GraphRecord, GraphStatus } from './model.js';

/** Why a graph refuses data writes, or undefined when it takes them. */
export function writeRefusal(graph: GraphRecord | undefined): GesError | undefined {
  if (!graph || graph.status === GraphStatus.deleted) return new GesError('GES.7000');
  switch (graph.status) {
    case GraphStatus.running:
      return undefined;
    case GraphStatus.backingUp:
      return new GesError('GES.7002');
    case GraphStatus.stopped:
    case GraphStatus.stopping:
      return new GesError('GES.7003');
    default:
      return new GesError('GES.7001');
  }
}

/** Why a graph cannot be backed up now, or undefined when it can. */
export function backupRefusal(graph: GraphRecord | undefined): GesError | undefined {
  if (!graph || graph.status === GraphStatus.deleted) return new GesError('GES.7000');
  if (graph.status === GraphStatus.backingUp) return new GesError('GES.7002');
  if (graph.status !== GraphStatus.running || graph.lockJobId) return new GesError('GES.7001');
  return undefined;
}
