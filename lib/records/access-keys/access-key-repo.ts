import { accessKeyIndexKeys, accessKeyKey, accessKeyListKey } from '../../core/keys.js';
import { type Action, type Item, queryAll, type Store, when, withoutKeys } from '../../core/store.js';
import type { AccessKeyRecord } from './model.js';

/** Access keys in the control table: by id (every signed request), and by project (gsi1, newest first). */
export class AccessKeyRepo {
  constructor(private readonly store: Store) {}

  /** A new key; its id must be new (ids are random: a clash is refused, never overwritten). */
  put(key: AccessKeyRecord): Action {
    return {
      name: 'put the access key',
      table: 'control',
      put: {
        ...accessKeyKey(key.accessKeyId),
        ...accessKeyIndexKeys(key.projectId, key.createdAt, key.accessKeyId),
        ...key,
      },
      if: when.absent('pk'),
    };
  }

  async get(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const item = await this.store.get('control', accessKeyKey(accessKeyId));
    return item && toAccessKey(item);
  }

  async list(projectId: string): Promise<AccessKeyRecord[]> {
    const { index, pk } = accessKeyListKey(projectId);
    const items = await queryAll(this.store, { table: 'control', index, pk, forward: false });
    return items.map(toAccessKey);
  }

  /** Disables a key of the project (one of another project is not there). */
  disable(projectId: string, accessKeyId: string, at: number): Action {
    return {
      name: 'disable the access key',
      table: 'control',
      update: accessKeyKey(accessKeyId),
      change: { set: { status: 'disabled', disabledAt: at } },
      if: when.eq('projectId', projectId),
    };
  }

  /** Deletes a key of the project. */
  delete(projectId: string, accessKeyId: string): Action {
    return {
      name: 'delete the access key',
      table: 'control',
      delete: accessKeyKey(accessKeyId),
      if: when.eq('projectId', projectId),
    };
  }
}

const toAccessKey = (item: Item) => withoutKeys(item) as AccessKeyRecord;
