import { utcTime } from '../time.js';
import { FORMAT_VERSION } from './format.js';
import type { BackupRecord } from './model.js';

/** GES rounds sizes to MB; ours is the ceiling, so only an empty graph's backup is 0 MB. */
export function sizeInMb(backup: Pick<BackupRecord, 'sizeBytes' | 'vertexNum' | 'edgeNum'>): number {
  if (!backup.vertexNum && !backup.edgeNum) return 0;
  return Math.ceil((backup.sizeBytes ?? 0) / 2 ** 20);
}

/** The Backup object of the spec (v1 keys). */
export function backupView(b: BackupRecord) {
  return {
    id: b.backupId,
    name: b.name,
    backupMethod: b.backupMethod,
    graphId: b.graphId,
    graphName: b.graphName,
    graphStatus: b.graphStatus,
    graphSizeTypeIndex: '0',
    dataStoreVersion: FORMAT_VERSION,
    arch: b.arch,
    status: b.status,
    startTimestamp: b.startAt,
    startTime: utcTime(b.startAt),
    ...(b.endAt !== undefined && {
      endTimestamp: b.endAt,
      endTime: utcTime(b.endAt),
      duration: Math.round((b.endAt - b.startAt) / 1000),
    }),
    size: sizeInMb(b),
    encrypted: false,
  };
}
