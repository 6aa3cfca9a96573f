import { describe, expect, it } from 'vitest';
import { fieldErrors } from '../../console/src/api.js';
import { DEFAULT_MAX_AGE_MS, formatAge, freshness, scheduleInterval } from '../../console/src/freshness.js';
import { readProgress } from '../../console/src/progress.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("the console's reading of a job's progress", () => {
  const detail = {
    vertices: { done: 30, expected: 40 },
    edges: { done: 10, expected: 60 },
    shards: { done: 3, expected: 8 },
  };
  const job = { status: 'running', jobProgress: 40, beginTime: '2026-12-01T10:00:00' };
  const now = Date.parse('2026-12-01T10:00:10Z');

  it('reads the counts from jobDetail, where they are today', () => {
    expect(readProgress({ ...job, jobDetail: detail }, now)).toEqual({
      percent: 40,
      done: 40,
      expected: 100,
      shards: { done: 3, expected: 8 },
      rate: 4,
    });
  });

  it('reads them from progressDetail, where they are moving, and prefers it', () => {
    const moved = readProgress({ ...job, progressDetail: detail }, now);
    expect(moved.done).toBe(40);
    expect(moved.expected).toBe(100);
    const both = readProgress({ ...job, progressDetail: detail, jobDetail: { vertices: { done: 1 } } }, now);
    expect(both.done).toBe(40);
  });

  it('leaves out what the job does not know', () => {
    const p = readProgress({
      status: 'running',
      jobProgress: 5,
      jobDetail: { vertices: { done: 7 }, edges: { done: 0 } },
    });
    expect(p).toEqual({ percent: 5, done: 7 });
    expect(readProgress({ status: 'waiting' })).toEqual({ percent: 0, done: 0 });
  });

  it('keeps the percentage within 0 to 100', () => {
    expect(readProgress({ jobProgress: 140 }).percent).toBe(100);
    expect(readProgress({ jobProgress: -3 }).percent).toBe(0);
  });
});

describe('how old a backup may be', () => {
  it('takes the interval of rate() exactly and estimates cron()', () => {
    expect(scheduleInterval('rate(5 minutes)')).toBe(5 * MINUTE);
    expect(scheduleInterval('rate(1 hour)')).toBe(HOUR);
    expect(scheduleInterval('rate(2 days)')).toBe(2 * DAY);
    expect(scheduleInterval('cron(0 3 * * ? *)')).toBe(DAY);
    expect(scheduleInterval('cron(0/15 * * * ? *)')).toBe(15 * MINUTE);
    expect(scheduleInterval('cron(0 */6 * * ? *)')).toBe(6 * HOUR);
    expect(scheduleInterval('cron(0 3 ? * MON *)')).toBe(7 * DAY);
    expect(scheduleInterval('nonsense')).toBeUndefined();
  });

  it('allows twice the policy interval, and flags a backup older than that', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const policy = { enabled: true, schedule: 'rate(1 hour)' };
    expect(freshness(now - 90 * MINUTE, policy, now)).toMatchObject({ stale: false, allowedMs: 2 * HOUR });
    expect(freshness(now - 3 * HOUR, policy, now)).toMatchObject({ stale: true, ageMs: 3 * HOUR });
  });

  it('flags a graph never backed up, and allows a week without an enabled policy', () => {
    const now = Date.now();
    expect(freshness(undefined, { enabled: true, schedule: 'rate(1 day)' }, now).stale).toBe(true);
    expect(freshness(now - 6 * DAY, undefined, now)).toMatchObject({
      stale: false,
      allowedMs: DEFAULT_MAX_AGE_MS,
    });
    expect(freshness(now - 8 * DAY, { enabled: false, schedule: 'rate(1 hour)' }, now).stale).toBe(true);
  });

  it('says ages as people do', () => {
    expect(formatAge(42_000)).toBe('42 s');
    expect(formatAge(12 * MINUTE)).toBe('12 min');
    expect(formatAge(3 * HOUR + 5 * MINUTE)).toBe('3 h 5 min');
    expect(formatAge(2 * DAY + 4 * HOUR)).toBe('2 d 4 h');
  });
});

describe("the API's validation messages, by field", () => {
  it('puts each message next to the field it names', () => {
    expect(
      fieldErrors('keepAuto: Too big: expected number to be <=100; schedule: not a rate or cron expression', [
        'schedule',
        'keepAuto',
      ]),
    ).toEqual({
      keepAuto: 'Too big: expected number to be <=100',
      schedule: 'not a rate or cron expression',
    });
    expect(fieldErrors('The body is not valid JSON.', ['schedule'])).toEqual({
      '': 'The body is not valid JSON.',
    });
  });
});
