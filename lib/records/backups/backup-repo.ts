import { GesError } from '../../core/errors.js';
import { backupIndexKeys, backupKey, backupListKey } from '../../core/keys.js';
import {
  type Action,
  type Item,
  queryAll,
  type Store,
  type Update,
  when,
  withoutKeys,
} from '../../core/store.js';
import type { BackupRecord, GraphDescription } from './model.js';

export type BackupOutcome = { endAt: number; sizeBytes: number; vertexNum: number; edgeNum: number };
export type BackupScope = { projectId: string } | { projectId: string; graphId: string };

type Ids = Pick<BackupRecord, 'projectId' | 'backupId'>;

const backingUp = when.eq('status', 'backing_up');

/** Backup records in the control table, and the named actions that change them. */
export class BackupRepo {
  constructor(private readonly store: Store) {}

  put(backup: BackupRecord): Action {
    return {
      name: 'put the backup',
      table: 'control',
      put: {
        ...backupKey(backup.projectId, backup.backupId),
        ...backupIndexKeys(backup.projectId, backup.graphId, backup.startAt, backup.backupId),
        ...backup,
      },
      if: when.absent('pk'),
    };
  }

  /**
   * What the first delivery of a backup's job learned of the graph, which the job holds: its name,
   * generation and shards. Only while the job that writes the backup holds it.
   */
  describe(backup: Ids & Pick<BackupRecord, 'jobId'>, description: GraphDescription): Action {
    return this.update(
      'describe the backup',
      backup,
      { set: description },
      when.and(backingUp, when.eq('jobId', backup.jobId)),
    );
  }

  /** A backup being written ends well, with its figures. */
  complete(backup: Ids, outcome: BackupOutcome): Action {
    return this.update('complete the backup', backup, { set: { status: 'success', ...outcome } }, backingUp);
  }

  /** A backup being written ends badly. */
  fail(backup: Ids, at: number): Action {
    return this.update('fail the backup', backup, { set: { status: 'failed', endAt: at } }, backingUp);
  }

  /** A job (restore, export) reads a good backup: while it does, the backup cannot be deleted. */
  use(backup: Ids, jobId: string): Action {
    return this.update(
      'use the backup',
      backup,
      { set: { usedByJobId: jobId } },
      when.and(when.eq('status', 'success'), when.absent('usedByJobId'), when.absent('deleting')),
    );
  }

  release(backup: Ids, jobId: string): Action {
    return this.update(
      'release the backup',
      backup,
      { remove: ['usedByJobId'] },
      when.eq('usedByJobId', jobId),
    );
  }

  /** The first step of a delete: from here on no job may use the backup. */
  async markDeleting(backup: Ids): Promise<boolean> {
    const outcome = await this.store.apply(
      this.update(
        'mark the backup deleting',
        backup,
        { set: { deleting: true } },
        when.and(when.exists('pk'), when.ne('status', 'backing_up'), when.absent('usedByJobId')),
      ),
    );
    return outcome.ok;
  }

  /** The last step of a delete, once its files are gone. */
  remove(backup: Ids): Action {
    return {
      name: 'remove the backup',
      table: 'control',
      delete: backupKey(backup.projectId, backup.backupId),
      if: when.eq('deleting', true),
    };
  }

  async get(projectId: string, backupId: string): Promise<BackupRecord | undefined> {
    const item = await this.store.get('control', backupKey(projectId, backupId));
    return item && toBackup(item);
  }

  /** A backup of this graph and project that is not being deleted; GES.7024 otherwise. */
  async find(ids: { projectId: string; graphId: string; backupId: string }): Promise<BackupRecord> {
    const backup = await this.get(ids.projectId, ids.backupId);
    if (!backup || backup.graphId !== ids.graphId || backup.deleting) throw new GesError('GES.7024');
    return backup;
  }

  /**
   * A project's or a graph's backups, newest first, with the total count. A project's backups are
   * bounded by its quota (20 by default), so reading them whole is cheaper than paging twice.
   */
  async list(scope: BackupScope, offset: number, limit: number) {
    const key =
      'graphId' in scope ? backupListKey.graph(scope.graphId) : backupListKey.project(scope.projectId);
    const items = await queryAll(this.store, {
      table: 'control',
      index: key.index,
      pk: key.pk,
      forward: false,
    });
    const all = items.map(toBackup).filter((b) => !b.deleting);
    return { total: all.length, page: all.slice(offset, offset + limit) };
  }

  private update(name: string, backup: Ids, change: Update, condition: Action['if']): Action {
    return {
      name,
      table: 'control',
      update: backupKey(backup.projectId, backup.backupId),
      change,
      if: condition,
    };
  }
}

const toBackup = (item: Item) => withoutKeys(item) as BackupRecord;
