import { describe, expect, it } from 'vitest';
import { progressOf } from '../../cli/progress.js';

const detail = {
  vertices: { done: 3, expected: 4 },
  edges: { done: 1, expected: 6 },
  shards: { done: 2, expected: 8 },
};

describe('progressOf', () => {
  it('reads the counts from jobDetail (today) and progressDetail (soon), either tree', () => {
    for (const job of [
      { jobProgress: 40, jobDetail: detail },
      { jobProgress: 40, progressDetail: detail },
      { job_progress: 40, job_detail: detail },
      { job_progress: 40, progress_detail: detail },
    ]) {
      expect(progressOf(job)).toEqual({
        percent: 40,
        elements: { done: 4, expected: 10 },
        vertices: detail.vertices,
        edges: detail.edges,
        shards: detail.shards,
      });
    }
  });

  it('prefers progressDetail when both are there, and tolerates a job without counts', () => {
    const newer = { vertices: { done: 9, expected: 9 }, edges: { done: 0, expected: 0 } };
    expect(progressOf({ jobDetail: detail, progressDetail: newer }).elements).toEqual({
      done: 9,
      expected: 9,
    });
    expect(progressOf({ status: 'pending' })).toEqual({ percent: 0, elements: { done: 0, expected: 0 } });
  });
});
