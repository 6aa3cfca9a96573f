/**
 * A job's progress counts. Today they sit in `jobDetail`; they are moving to `progressDetail`.
 * This is the one place that reads them: it accepts either key (and the v2 spellings).
 */

export type Count = { done: number; expected?: number };
export type ProgressCounts = { vertices?: Count; edges?: Count; shards?: Count };

export type Progress = {
  /** 0–100 */
  percent: number;
  /** Elements (vertices + edges) done, and expected when the job knows it. */
  done: number;
  expected?: number;
  shards?: Count;
  /** Elements a second since the job began, when it can be told. */
  rate?: number;
};

type JobLike = {
  jobProgress?: number;
  job_progress?: number;
  beginTime?: string;
  begin_time?: string;
  endTime?: string;
  end_time?: string;
  status?: string;
  progressDetail?: unknown;
  progress_detail?: unknown;
  jobDetail?: unknown;
  job_detail?: unknown;
};

function count(value: unknown): Count | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { done, expected } = value as { done?: unknown; expected?: unknown };
  if (typeof done !== 'number') return undefined;
  return typeof expected === 'number' ? { done, expected } : { done };
}

export function progressCounts(job: JobLike): ProgressCounts {
  const detail = job.progressDetail ?? job.progress_detail ?? job.jobDetail ?? job.job_detail;
  if (!detail || typeof detail !== 'object') return {};
  const { vertices, edges, shards } = detail as Record<string, unknown>;
  const counts: ProgressCounts = {};
  const v = count(vertices);
  const e = count(edges);
  const s = count(shards);
  if (v) counts.vertices = v;
  if (e) counts.edges = e;
  if (s) counts.shards = s;
  return counts;
}

/** The job center's times are UTC without a zone: `2026-12-01T18:40:00`. */
export function parseUtc(time: string | undefined): number | undefined {
  if (!time) return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(time) ? time : `${time}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

export function readProgress(job: JobLike, now = Date.now()): Progress {
  const { vertices, edges, shards } = progressCounts(job);
  const raw = job.jobProgress ?? job.job_progress ?? 0;
  const percent = Math.max(0, Math.min(100, Math.round(Number(raw) || 0)));
  const done = (vertices?.done ?? 0) + (edges?.done ?? 0);
  const known = vertices?.expected !== undefined && edges?.expected !== undefined;
  const progress: Progress = { percent, done };
  if (known) progress.expected = (vertices?.expected ?? 0) + (edges?.expected ?? 0);
  if (shards) progress.shards = shards;
  const begin = parseUtc(job.beginTime ?? job.begin_time);
  const end = parseUtc(job.endTime ?? job.end_time) ?? now;
  if (begin !== undefined && end - begin >= 1000 && done > 0) progress.rate = done / ((end - begin) / 1000);
  return progress;
}
