import { InvalidSchedule } from '../../core/errors.js';

/**
 * EventBridge schedule expressions, read as EventBridge reads them (its documented rules, with the
 * reference table in test/unit/schedule.test.ts): `rate(5 minutes)` or `cron(min hour dom month dow
 * year)` in UTC.
 *
 * Ours rather than aws-cron-parser, which this project used before: it rolled impossible days over
 * (31 April fired on 1 May, where EventBridge never fires), threw on some expressions EventBridge
 * refuses instead of saying why, and accepted forms EventBridge does not.
 *
 * cron fields: minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7
 * or SUN-SAT (1 is Sunday), year 1970-2199. Each field is `*`, a value, a range `a-b`, a list
 * `a,b,...` of values and ranges, or (but in day-of-week) a step `start/step` (`*`, a value or a
 * range as the start).
 * Day-of-month may instead be `?`, `L` (last day), `nW` (the weekday nearest day n, within the
 * month); day-of-week may be `?`, `L` (Saturday), `nL` (the last day n of the month), `n#k` (the
 * k-th day n of the month, k 1-5). Exactly one of day-of-month and day-of-week is `?`.
 */
export type Schedule = { expression: string; next(after: number): number | undefined };

const RATE = /^rate\((\d{1,6}) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const FIRST_YEAR = 1970;
const LAST_YEAR = 2199;

/** `steps`: EventBridge takes `/` in every field but day-of-week. */
type Field = { name: string; min: number; max: number; names?: string[]; steps: boolean };
const FIELDS: Field[] = [
  { name: 'minutes', min: 0, max: 59, steps: true },
  { name: 'hours', min: 0, max: 23, steps: true },
  { name: 'day-of-month', min: 1, max: 31, steps: true },
  { name: 'month', min: 1, max: 12, names: MONTHS, steps: true },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, steps: false },
  { name: 'year', min: FIRST_YEAR, max: LAST_YEAR, steps: true },
];

const invalid = (expression: string, why: string) =>
  new InvalidSchedule(`${expression} is not a valid schedule: ${why}`);

/** A field's plain values (`*`, values, ranges, lists, steps) as the set of numbers it matches. */
function values(text: string, field: Field, expression: string): Set<number> {
  const number = (token: string): number => {
    const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
    if (named >= 0) return named + 1;
    if (!/^\d{1,4}$/.test(token)) throw invalid(expression, `${token} is not a ${field.name} value`);
    const n = Number(token);
    if (n < field.min || n > field.max) {
      throw invalid(expression, `${field.name} ${n} is outside ${field.min}-${field.max}`);
    }
    return n;
  };
  const set = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', step, extra] = part.split('/');
    if (extra !== undefined || range === '') throw invalid(expression, `${part} is not a ${field.name} term`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = field.min;
      to = field.max;
    } else if (range.includes('-')) {
      const [a = '', b = '', more] = range.split('-');
      if (more !== undefined) throw invalid(expression, `${range} is not a range`);
      from = number(a);
      to = number(b);
      if (from > to) throw invalid(expression, `the ${field.name} range ${range} runs backwards`);
    } else {
      from = number(range);
      // `5/15`: from 5 to the end of the field in steps of 15.
      to = step === undefined ? from : field.max;
    }
    let by = 1;
    if (step !== undefined && !field.steps) throw invalid(expression, `${field.name} takes no step (/)`);
    if (step !== undefined) {
      if (!/^\d{1,4}$/.test(step) || Number(step) < 1) throw invalid(expression, `${step} is not a step`);
      by = Number(step);
    }
    if (part === '*' && text !== '*') throw invalid(expression, `* cannot be part of a ${field.name} list`);
    for (let n = from; n <= to; n += by) set.add(n);
  }
  return set;
}

/** How a day field picks days of one month: (year, month 1-12) → the days 1-31 it matches. */
type DayRule = ((year: number, month: number) => Set<number>) | undefined;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1 (Sunday) to 7 (Saturday), as EventBridge numbers them. */
const weekday = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

function dayOfMonth(text: string, expression: string): DayRule {
  if (text === '?') return undefined;
  if (text === 'L') return (y, m) => new Set([daysIn(y, m)]);
  const nearest = /^(\d{1,2})W$/.exec(text);
  if (nearest) {
    const target = Number(nearest[1]);
    if (target < 1 || target > 31) throw invalid(expression, `day-of-month ${target}W is outside 1-31`);
    return (y, m) => {
      const last = daysIn(y, m);
      if (target > last) return new Set();
      const wd = weekday(y, m, target);
      if (wd >= 2 && wd <= 6) return new Set([target]);
      // Saturday: the Friday before, unless that leaves the month; Sunday: the Monday after, likewise.
      if (wd === 7) return new Set([target === 1 ? 3 : target - 1]);
      return new Set([target === last ? target - 2 : target + 1]);
    };
  }
  if (/[LW#?]/i.test(text)) throw invalid(expression, `${text} is not a day-of-month`);
  const days = values(text, FIELDS[2] as Field, expression);
  return (y, m) => new Set([...days].filter((d) => d <= daysIn(y, m)));
}

function dayOfWeek(text: string, expression: string): DayRule {
  if (text === '?') return undefined;
  const dayNumber = (token: string) => [...values(token, FIELDS[4] as Field, expression)][0] as number;
  const pick = (match: (y: number, m: number, d: number) => boolean) => (y: number, m: number) => {
    const days = new Set<number>();
    for (let d = 1; d <= daysIn(y, m); d++) if (match(y, m, d)) days.add(d);
    return days;
  };
  const lastOf = /^([1-7]|[A-Z]{3})?L$/i.exec(text);
  if (lastOf) {
    // `L` alone is the last day of the week, Saturday; `nL` the last day n of the month.
    if (!lastOf[1]) return pick((y, m, d) => weekday(y, m, d) === 7);
    const wd = dayNumber(lastOf[1]);
    return pick((y, m, d) => weekday(y, m, d) === wd && d + 7 > daysIn(y, m));
  }
  const nth = /^([1-7]|[A-Z]{3})#(\d)$/i.exec(text);
  if (nth) {
    const wd = dayNumber(nth[1] as string);
    const k = Number(nth[2]);
    if (k < 1 || k > 5) throw invalid(expression, `${text}: the week of the month is 1-5`);
    return pick((y, m, d) => weekday(y, m, d) === wd && Math.ceil(d / 7) === k);
  }
  if (/[LW#?]/i.test(text)) throw invalid(expression, `${text} is not a day-of-week`);
  const weekdays = values(text, FIELDS[4] as Field, expression);
  return pick((y, m, d) => weekdays.has(weekday(y, m, d)));
}

function parseCron(expression: string, body: string): Schedule {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw invalid(expression, 'a cron() expression has six fields');
  const [min = '', hour = '', dom = '', month = '', dow = '', year = ''] = fields;
  if ((dom === '?') === (dow === '?')) {
    throw invalid(expression, 'exactly one of day-of-month and day-of-week must be ?');
  }
  const field = (i: number) => FIELDS[i] as Field;
  const minutes = [...values(min, field(0), expression)].sort((a, b) => a - b);
  const hours = [...values(hour, field(1), expression)].sort((a, b) => a - b);
  const months = values(month, field(3), expression);
  const years = values(year, field(5), expression);
  const days = dayOfMonth(dom, expression) ?? (dayOfWeek(dow, expression) as NonNullable<DayRule>);

  /** The first minute strictly after `after` that every field matches; none before 2200. */
  const next = (after: number): number | undefined => {
    const start = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
    for (let y = Math.max(start.getUTCFullYear(), FIRST_YEAR); y <= LAST_YEAR; y++) {
      if (!years.has(y)) continue;
      for (let m = 1; m <= 12; m++) {
        if (!months.has(m)) continue;
        const monthDays = [...days(y, m)].sort((a, b) => a - b);
        for (const d of monthDays) {
          for (const h of hours) {
            for (const mi of minutes) {
              const at = Date.UTC(y, m - 1, d, h, mi);
              if (at >= start.getTime()) return at;
            }
          }
        }
      }
    }
    return undefined;
  };
  return { expression, next };
}

/** The schedule, or InvalidSchedule saying why EventBridge would refuse it (or why it never fires). */
export function parseSchedule(expression: string, now: number = Date.now()): Schedule {
  const rate = RATE.exec(expression);
  if (rate) {
    const [, value = '0', unit = ''] = rate;
    const n = Number(value);
    // EventBridge's own rule: 1 takes the singular unit, more the plural.
    if (n < 1 || (n === 1) !== !unit.endsWith('s')) throw invalid(expression, 'not a valid rate');
    const every = n * (UNIT_MS[unit.replace(/s$/, '')] ?? 0);
    return { expression, next: (after) => after + every };
  }
  const body = /^cron\((.+)\)$/.exec(expression)?.[1];
  if (!body) throw invalid(expression, 'not a rate() or cron() expression');
  const schedule = parseCron(expression, body);
  if (schedule.next(now) === undefined) throw new InvalidSchedule(`${expression} never fires`);
  return schedule;
}
