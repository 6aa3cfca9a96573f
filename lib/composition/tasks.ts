import { backupTask } from '../operations/backup/backup-task.js';
import { deleteGraphTask } from '../operations/delete-graph/delete-graph-task.js';
import { exportTask } from '../operations/export/export-backup.js';
import { importTask } from '../operations/import/import-backup.js';
import { retainAfterBackup } from '../operations/policies/retention.js';
import { restoreTask } from '../operations/restore/restore-task.js';
import type { JobTasks } from '../runtime/task.js';

/**
 * Every kind of job the worker runs, by kind: a new kind is a folder under `operations/` and a line
 * here. Retention hangs on a backup's success here, so the backup knows nothing of policies.
 */
export const jobTasks: JobTasks = {
  backup: { ...backupTask, afterSuccess: retainAfterBackup },
  restore: restoreTask,
  'delete-graph': deleteGraphTask,
  export: exportTask,
  import: importTask,
};
