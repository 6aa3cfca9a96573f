import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../lib/records/policies/schedule.js';

const at = Date.UTC(2026, 10, 27, 8, 30, 0); // a Friday

describe('schedule expressions', () => {
  it('runs a rate every so often', () => {
    expect(parseSchedule('rate(5 minutes)').next(at)).toBe(at + 5 * 60_000);
    expect(parseSchedule('rate(1 day)').next(at)).toBe(at + 86_400_000);
  });

  it('runs a cron at its next occurrence, in UTC', () => {
    expect(parseSchedule('cron(0 3 * * ? *)').next(at)).toBe(Date.UTC(2026, 10, 28, 3, 0, 0));
    expect(parseSchedule('cron(15 10 ? * MON *)').next(at)).toBe(Date.UTC(2026, 10, 30, 10, 15, 0));
  });

  it.each([
    'rate(1 minutes)',
    'rate(5 minute)',
    'rate(0 hours)',
    'rate(5 weeks)',
    'cron(0 3 * * * *)',
    'cron(0 3 * *)',
    'cron(0 3 ? * ? *)',
    'cron(x 3 * * ? *)',
    'every day',
    '',
  ])('refuses %j', (expression) => {
    expect(() => parseSchedule(expression)).toThrow(/not a valid|never fires/);
  });
});
