import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidSchedule } from '../../lib/core/errors.js';
import { parseSchedule } from '../../lib/records/policies/schedule.js';

const at = Date.UTC(2026, 10, 27, 8, 30, 0); // Friday 27 November 2026, 08:30 UTC
const utc = (y: number, m: number, d: number, h = 0, mi = 0) => Date.UTC(y, m - 1, d, h, mi);

/**
 * The reference table, built by hand from EventBridge's documented rules for schedule expressions
 * (fields, ranges, wildcards per field: `, - * /` for minutes, hours, month and year; `, - * ? / L W`
 * for day-of-month; `, - * ? L #` for day-of-week; one of the two day fields `?`; years 1970-2199),
 * each with the first time it fires after Friday 27 November 2026 08:30 UTC.
 */
const FIRES: [string, number][] = [
  ['rate(5 minutes)', at + 5 * 60_000],
  ['rate(1 day)', at + 86_400_000],
  ['rate(1 hour)', at + 3_600_000],
  ['cron(0 3 * * ? *)', utc(2026, 11, 28, 3)],
  ['cron(15 10 ? * MON *)', utc(2026, 11, 30, 10, 15)],
  ['cron(0/15 * * * ? *)', utc(2026, 11, 27, 8, 45)],
  ['cron(*/10 9-17 ? * MON-FRI *)', utc(2026, 11, 27, 9)],
  ['cron(5,35 * * * ? *)', utc(2026, 11, 27, 8, 35)],
  ['cron(0 12 L * ? *)', utc(2026, 11, 30, 12)],
  ['cron(0 12 15W * ? *)', utc(2026, 12, 15, 12)], // a Tuesday
  ['cron(0 12 1W * ? *)', utc(2026, 12, 1, 12)],
  ['cron(0 0 1W 2 ? *)', utc(2027, 2, 1)], // a Monday
  ['cron(0 0 31W * ? *)', utc(2026, 12, 31)], // a Thursday
  ['cron(0 0 6W 12 ? *)', utc(2026, 12, 7)], // the 6th is a Sunday: Monday the 7th
  ['cron(0 0 5W 12 ? *)', utc(2026, 12, 4)], // the 5th is a Saturday: Friday the 4th
  ['cron(0 8 ? * 6#4 *)', utc(2026, 12, 25, 8)], // 27 Nov at 08:00 is past: the fourth Friday of December
  ['cron(0 8 ? * 6L *)', utc(2026, 12, 25, 8)],
  ['cron(0 0 ? * L *)', utc(2026, 11, 28)], // L alone: Saturday
  ['cron(0 0 ? * 2#5 *)', utc(2026, 11, 30)], // the fifth Monday of November
  ['cron(0 0 ? * SUN,SAT *)', utc(2026, 11, 28)],
  ['cron(0 0 29 2 ? *)', utc(2028, 2, 29)],
  ['cron(0 0 1 JAN,JUL ? 2027)', utc(2027, 1, 1)],
  ['cron(0 10 * * ? 2026-2027)', utc(2026, 11, 27, 10)],
  ['cron(0 0 1 1/3 ? *)', utc(2027, 1, 1)],
  ['cron(0 0 1 1 ? 2199)', utc(2199, 1, 1)],
];

const REFUSED: [string, RegExp][] = [
  ['rate(1 minutes)', /valid rate/],
  ['rate(5 minute)', /valid rate/],
  ['rate(0 hours)', /valid rate/],
  ['rate(5 weeks)', /rate\(\) or cron\(\)/],
  ['every day', /rate\(\) or cron\(\)/],
  ['', /rate\(\) or cron\(\)/],
  ['cron(0 3 * * * *)', /exactly one of/],
  ['cron(0 3 ? * ? *)', /exactly one of/],
  ['cron(0 3 * * L *)', /exactly one of/],
  ['cron(0 3 * *)', /six fields/],
  ['cron(0 3 * * ? * *)', /six fields/],
  ['cron(60 3 * * ? *)', /minutes 60 is outside/],
  ['cron(0 24 * * ? *)', /hours 24 is outside/],
  ['cron(0 3 32 * ? *)', /outside 1-31/],
  ['cron(0 3 0 * ? *)', /outside 1-31/],
  ['cron(0 3 * 13 ? *)', /month 13 is outside/],
  ['cron(0 3 ? * 8 *)', /day-of-week 8 is outside/],
  ['cron(0 3 * * ? 1969)', /year 1969 is outside/],
  ['cron(0 3 * * ? 2200)', /year 2200 is outside/],
  ['cron(0 3 5-1 * ? *)', /runs backwards/],
  ['cron(0 3 ? * MON/2 *)', /takes no step/],
  ['cron(0 3 ? * 2#6 *)', /week of the month/],
  ['cron(0 3 LW * ? *)', /not a day-of-month/],
  ['cron(0 3 L-2 * ? *)', /not a day-of-month/],
  ['cron(0 3 1,L * ? *)', /not a day-of-month/],
  ['cron(0 3 W * ? *)', /not a day-of-month/],
  ['cron(0/0 3 * * ? *)', /not a step/],
  ['cron(x 3 * * ? *)', /not a minutes value/],
  ['cron(0 3 ? * FOO *)', /not a day-of-week value/],
  ['cron(0 3 1,* * ? *)', /cannot be part/],
  ['cron(0 0 31 4 ? *)', /never fires/], // 31 April does not exist
  ['cron(0 0 30 2 ? *)', /never fires/],
  ['cron(30 8 27 NOV ? 2026)', /never fires/], // its one run is the instant now, not after it
];

describe('schedule expressions', () => {
  it.each(FIRES)('%s fires next as EventBridge would', (expression, expected) => {
    expect(parseSchedule(expression, at).next(at)).toBe(expected);
  });

  it.each(REFUSED)('refuses %j, saying why', (expression, why) => {
    expect(() => parseSchedule(expression, at)).toThrow(InvalidSchedule);
    expect(() => parseSchedule(expression, at)).toThrow(why);
  });

  it('never fires on a day that does not exist, where a naive reading rolls over', () => {
    const april = parseSchedule('cron(0 0 31 * ? *)', at);
    let t = at;
    for (let i = 0; i < 24; i++) {
      const next = april.next(t) as number;
      expect(new Date(next).getUTCDate()).toBe(31);
      t = next;
    }
  });
});

/** An independent, naive reading of the plain subset (values, ranges, lists, steps), minute by minute. */
function naiveMatcher(fields: string[]): (ms: number) => boolean {
  const names: Record<string, number> = Object.fromEntries([
    ...'JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC'.split(' ').map((n, i) => [n, i + 1]),
    ...'SUN MON TUE WED THU FRI SAT'.split(' ').map((n, i) => [n, i + 1]),
  ]);
  const num = (t: string) => names[t] ?? Number(t);
  const term = (text: string, min: number, max: number) => (v: number) =>
    text.split(',').some((part) => {
      const [range = '', step] = part.split('/');
      const [lo, hi] =
        range === '*'
          ? [min, max]
          : range.includes('-')
            ? range.split('-').map(num)
            : [num(range), step ? max : num(range)];
      return v >= (lo as number) && v <= (hi as number) && (v - (lo as number)) % Number(step ?? 1) === 0;
    });
  const [mi = '', h = '', dom = '', mo = '', dow = '', y = ''] = fields;
  const checks = {
    mi: term(mi, 0, 59),
    h: term(h, 0, 23),
    dom: dom === '?' ? () => true : term(dom, 1, 31),
    mo: term(mo, 1, 12),
    dow: dow === '?' ? () => true : term(dow, 1, 7),
    y: term(y, 1970, 2199),
  };
  return (ms) => {
    const d = new Date(ms);
    return (
      checks.mi(d.getUTCMinutes()) &&
      checks.h(d.getUTCHours()) &&
      checks.dom(d.getUTCDate()) &&
      checks.mo(d.getUTCMonth() + 1) &&
      checks.dow(d.getUTCDay() + 1) &&
      checks.y(d.getUTCFullYear())
    );
  };
}

const fieldOf = (min: number, max: number, steps: boolean) => {
  const value = fc.integer({ min, max });
  const range = fc.tuple(value, value).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`);
  const step = fc.tuple(
    fc.oneof(fc.constant('*'), value.map(String)),
    fc.integer({ min: 1, max: max - min + 1 }),
  );
  const term = fc.oneof(value.map(String), range, ...(steps ? [step.map(([s, n]) => `${s}/${n}`)] : []));
  return fc.oneof(
    fc.constant('*'),
    fc.array(term, { minLength: 1, maxLength: 3 }).map((t) => t.join(',')),
  );
};
/** Tokens EventBridge refuses, to be mixed into otherwise good expressions. */
const junk = fc.constantFrom(
  '',
  '-',
  '*/',
  '/5',
  '1-',
  ',',
  '99',
  'LL',
  '#',
  '1#',
  '?',
  'x',
  '5-1',
  '0/0',
  'L-1',
  '**',
);

describe('schedule expressions, generated', () => {
  it('never throws anything but a reason, and fires exactly when the fields say, within 45 days', () => {
    const days = fc.oneof(
      fc.tuple(fieldOf(1, 31, true), fc.constant('?')),
      fc.tuple(fc.constant('?'), fieldOf(1, 7, false)),
    );
    const good = fc.tuple(
      fieldOf(0, 59, true),
      fieldOf(0, 23, true),
      days,
      fieldOf(1, 12, true),
      fc.constantFrom('*', '2026-2027', '2027'),
    );
    fc.assert(
      fc.property(
        good,
        fc.integer({ min: 0, max: 5 }),
        fc.option(junk, { nil: undefined }),
        ([mi, h, [dom, dow], mo, y], where, bad) => {
          const fields = [mi, h, dom, mo, dow, y];
          if (bad !== undefined) fields[where] = bad;
          const expression = `cron(${fields.join(' ')})`;
          let schedule: ReturnType<typeof parseSchedule>;
          try {
            schedule = parseSchedule(expression, at);
          } catch (e) {
            expect(e).toBeInstanceOf(InvalidSchedule);
            return;
          }
          const next = schedule.next(at);
          const matches = naiveMatcher(fields);
          let expected: number | undefined;
          for (let t = at + 60_000; t <= at + 45 * 86_400_000; t += 60_000) {
            if (matches(t)) {
              expected = t;
              break;
            }
          }
          if (expected !== undefined) expect(next, expression).toBe(expected);
          else expect(next === undefined || next > at + 45 * 86_400_000, expression).toBe(true);
        },
      ),
      { numRuns: 150, seed: 20261201 },
    );
  }, 60_000);
});
