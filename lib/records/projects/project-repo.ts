import { projectKey } from '../../core/keys.js';
import { type Action, type Store, when } from '../../core/store.js';

export type Counter = 'graphCount' | 'backupCount' | 'accessKeyCount';

/**
 * The project's counters, kept exact by riding in the same transactions as the records they count:
 * a quota holds even under concurrent requests.
 */
export class ProjectRepo {
  constructor(private readonly store: Store) {}

  /** Counts one more, on condition that the count is below `limit`. */
  reserve(projectId: string, counter: Counter, limit: number): Action {
    return {
      name: `take a unit of ${counter}`,
      table: 'control',
      update: projectKey(projectId),
      change: { add: { [counter]: 1 } },
      if: when.or(when.absent(counter), when.lt(counter, limit)),
    };
  }

  /** Counts one less. */
  giveBack(projectId: string, counter: Counter, howMany = 1): Action {
    return {
      name: `give back a unit of ${counter}`,
      table: 'control',
      update: projectKey(projectId),
      change: { add: { [counter]: -howMany } },
    };
  }

  async counts(projectId: string): Promise<Record<Counter, number>> {
    const item = await this.store.get('control', projectKey(projectId));
    return {
      graphCount: Number(item?.graphCount ?? 0),
      backupCount: Number(item?.backupCount ?? 0),
      accessKeyCount: Number(item?.accessKeyCount ?? 0),
    };
  }
}
