import { describe, expect, it } from 'vitest';
import { backupsToDelete } from '../../lib/operations/delete-graph/delete-graph-task.js';
import { autoBackupsBeyond } from '../../lib/operations/policies/retention.js';
import type { BackupRecord } from '../../lib/records/backups/model.js';

let n = 0;
const backup = (backupMethod: BackupRecord['backupMethod'], status: BackupRecord['status'] = 'success') =>
  ({ backupId: `b${++n}`, backupMethod, status }) as BackupRecord;
const ids = (list: BackupRecord[]) => list.map((b) => b.backupId);

describe('retention of automatic backups', () => {
  it('deletes the automatic backups beyond the newest keepAuto, oldest first, and never a manual one', () => {
    const newestFirst = [
      backup('auto'),
      backup('manual'),
      backup('auto'),
      backup('auto'),
      backup('manual'),
      backup('auto'),
    ];
    expect(ids(autoBackupsBeyond(newestFirst, 2))).toEqual(
      ids([newestFirst[5], newestFirst[3]] as BackupRecord[]),
    );
  });

  it('counts only good backups as kept', () => {
    const newestFirst = [backup('auto', 'failed'), backup('auto'), backup('auto')];
    expect(ids(autoBackupsBeyond(newestFirst, 1))).toEqual(ids([newestFirst[2]] as BackupRecord[]));
  });
});

describe('deleting a graph with keepBackup', () => {
  it('keeps the newest automatic and the two newest manual backups', () => {
    const newestFirst = [
      backup('manual'),
      backup('auto'),
      backup('manual'),
      backup('auto'),
      backup('manual'),
      backup('import'),
    ];
    const doomed = backupsToDelete(newestFirst, true);
    expect(ids(doomed)).toEqual(ids([newestFirst[3], newestFirst[4], newestFirst[5]] as BackupRecord[]));
  });

  it('deletes every backup without keepBackup', () => {
    const all = [backup('manual'), backup('auto')];
    expect(backupsToDelete(all, false)).toEqual(all);
  });
});
