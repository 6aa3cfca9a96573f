import awsCron from 'aws-cron-parser';
import { InvalidSchedule } from '../../core/errors.js';

/**
 * EventBridge schedule expressions: `rate(5 minutes)` or `cron(0 3 * * ? *)` (six fields:
 * minutes hours day-of-month month day-of-week year, UTC). aws-cron-parser computes the next
 * occurrence but assumes AWS validated the expression, so the shape is checked here first.
 */
export type Schedule = { expression: string; next(after: number): number | undefined };

const RATE = /^rate\((\d{1,6}) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** Characters each cron field may use, per EventBridge's rules. */
const CRON_FIELDS = [
  /^[\d,\-*/]+$/, // minutes
  /^[\d,\-*/]+$/, // hours
  /^([\d,\-*/?LW]+)$/, // day of month
  /^([\d,\-*/]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)+$/i, // month
  /^([\d,\-*/?L#]|SUN|MON|TUE|WED|THU|FRI|SAT)+$/i, // day of week
  /^[\d,\-*/]+$/, // year
];

export function parseSchedule(expression: string): Schedule {
  const rate = RATE.exec(expression);
  if (rate) {
    const [, value = '0', unit = ''] = rate;
    const n = Number(value);
    // EventBridge's own rule: 1 takes the singular unit, more the plural.
    if (n < 1 || (n === 1) !== !unit.endsWith('s'))
      throw new InvalidSchedule(`${expression} is not a valid rate`);
    const every = n * (UNIT_MS[unit.replace(/s$/, '')] ?? 0);
    return { expression, next: (after) => after + every };
  }
  const cron = /^cron\((.+)\)$/.exec(expression)?.[1];
  const fields = cron?.trim().split(/\s+/) ?? [];
  const valid =
    fields.length === 6 &&
    fields.every((f, i) => CRON_FIELDS[i]?.test(f)) &&
    (fields[2] === '?') !== (fields[4] === '?'); // exactly one of the two day fields is '?'
  if (!cron || !valid) throw new InvalidSchedule(`${expression} is not a valid rate() or cron() expression`);
  let parsed: ReturnType<typeof awsCron.parse>;
  try {
    parsed = awsCron.parse(cron);
  } catch {
    throw new InvalidSchedule(`${expression} is not a valid cron() expression`);
  }
  const next = (after: number) => awsCron.next(parsed, new Date(after + 1000))?.getTime();
  if (next(Date.now()) === undefined) throw new InvalidSchedule(`${expression} never fires`);
  return { expression, next };
}
