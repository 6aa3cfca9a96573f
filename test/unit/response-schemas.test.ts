import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  backupSchema,
  errorV1Schema,
  jobSchema,
  jobV2Schema,
  policySchema,
  snakeCased,
} from '../../lib/http/response-schemas.js';
import { backupView, jobView, policyView } from '../../lib/http/views.js';
import { toSnakeCase } from '../../lib/http/wire.js';
import type { DescribedBackup } from '../../lib/records/backups/model.js';
import type { JobRecord } from '../../lib/records/jobs/model.js';

const backup: DescribedBackup = {
  projectId: 'p',
  backupId: '00000000-0000-4000-8000-000000000001',
  name: 'movies-20261201184805',
  backupMethod: 'manual',
  graphId: '00000000-0000-4000-8000-000000000002',
  graphName: 'movies',
  graphStatus: '903',
  generation: 0,
  shards: 8,
  status: 'success',
  jobId: 'a'.repeat(32),
  startAt: 1_795_766_770_594,
  endAt: 1_795_766_773_594,
  sizeBytes: 1234,
  vertexNum: 3,
  edgeNum: 2,
  arch: 'x86_64',
};
const failed: JobRecord & { graphName: string } = {
  projectId: 'p',
  jobId: 'b'.repeat(32),
  kind: 'backup',
  jobName: 'BackupGraph',
  graphId: backup.graphId,
  graphName: 'movies',
  status: 'failed',
  createdAt: backup.startAt,
  endAt: backup.endAt as number,
  progress: 40,
  detail: { vertices: { done: 1, expected: 3 }, edges: { done: 0 }, shards: { done: 2, expected: 8 } },
  deadlineAt: backup.startAt + 1_800_000,
  errorCode: 'GES.7005',
  failReason: 'job timed out',
};

describe('the response schemas', () => {
  it('describe what the views answer, on both trees', () => {
    expect(backupSchema.parse(backupView(backup))).toEqual(backupView(backup));
    expect(snakeCased(backupSchema).parse(toSnakeCase(backupView(backup)))).toBeTruthy();
    expect(jobSchema.parse(jobView(failed))).toMatchObject({ errorCode: 'GES.7005' });
    expect(jobV2Schema.parse(toSnakeCase(jobView(failed, 'v2')))).toMatchObject({
      fail_reason: 'job timed out',
    });
    const policy = {
      projectId: 'p',
      graphId: backup.graphId,
      enabled: true,
      schedule: 'rate(5 minutes)',
      keepAuto: 3,
    };
    expect(policySchema.parse(policyView({ ...policy, nextRunAt: backup.startAt }))).toBeTruthy();
  });

  it('are strict: a key they do not declare, or a v1 key on v2, is a mismatch', () => {
    expect(backupSchema.safeParse({ ...backupView(backup), extra: 1 }).success).toBe(false);
    expect(snakeCased(backupSchema).safeParse(backupView(backup)).success).toBe(false);
    expect(jobV2Schema.safeParse(toSnakeCase(jobView(failed, 'v1'))).success).toBe(false);
    expect(errorV1Schema.safeParse({ error_code: 'GES.0001', error_msg: 'x' }).success).toBe(false);
  });

  it('snakeCased renames every key of every object, nested, optional or in arrays, and no record key', () => {
    const v1 = z.strictObject({
      jobId: z.string(),
      jobDetail: z.strictObject({ doneCount: z.number() }).optional(),
      backupList: z.array(z.strictObject({ graphName: z.string() })),
      labelCounts: z.record(z.string(), z.number()),
    });
    const v2 = snakeCased(v1);
    const body = {
      job_id: 'j',
      job_detail: { done_count: 1 },
      backup_list: [{ graph_name: 'g' }],
      label_counts: { someLabel: 1 },
    };
    expect(v2.parse(body)).toEqual(body);
    expect(v2.safeParse({ ...body, job_detail: { doneCount: 1 } }).success).toBe(false);
    expect(v2.safeParse({ ...body, backup_list: [{ graphName: 'g' }] }).success).toBe(false);
  });
});
