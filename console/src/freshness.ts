/**
 * How old a graph's newest good backup may be before the console calls it stale: twice the interval
 * of its backup policy, or a week when it has no enabled policy. A graph never backed up is stale.
 */

export type Policy = { enabled: boolean; schedule: string; keepAuto?: number; nextRunTime?: string };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
export const DEFAULT_MAX_AGE_MS = 7 * DAY;

const UNITS: Record<string, number> = { minute: MINUTE, hour: HOUR, day: DAY };

/**
 * The interval between runs of an EventBridge schedule: exact for `rate(...)`, the coarsest period
 * the fields allow for `cron(min hour dom month dow year)`.
 */
export function scheduleInterval(schedule: string): number | undefined {
  const rate = /^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$/i.exec(schedule.trim());
  if (rate?.[1] && rate[2]) return Number(rate[1]) * (UNITS[rate[2].toLowerCase()] ?? DAY);
  const cron = /^cron\((.*)\)$/i.exec(schedule.trim());
  if (!cron?.[1]) return undefined;
  const [minute = '*', hour = '*', dom = '*', month = '*', dow = '*'] = cron[1].trim().split(/\s+/);
  const every = (field: string) => field === '*' || field === '?';
  const step = (field: string) => Number(/^(?:\*|\d+)\/(\d+)$/.exec(field)?.[1] ?? Number.NaN);
  if (!every(month)) return 366 * DAY;
  if (!every(dom)) return 31 * DAY;
  if (!every(dow)) return 7 * DAY;
  if (!every(hour)) return Number.isFinite(step(hour)) ? step(hour) * HOUR : DAY;
  if (!every(minute)) return Number.isFinite(step(minute)) ? step(minute) * MINUTE : HOUR;
  return MINUTE;
}

export type Freshness = {
  /** The newest successful backup's age (undefined: there is none). */
  ageMs?: number;
  allowedMs: number;
  /** Where the allowed age comes from, for people: "2 × rate(1 hour)". */
  basis: string;
  stale: boolean;
};

export function freshness(
  newestSuccessAt: number | undefined,
  policy: Policy | undefined,
  now: number,
): Freshness {
  const interval = policy?.enabled ? scheduleInterval(policy.schedule) : undefined;
  const allowedMs = interval ? 2 * interval : DEFAULT_MAX_AGE_MS;
  const basis = interval
    ? `2 × ${policy?.schedule}`
    : policy?.enabled
      ? 'policy (7 days)'
      : 'no policy: 7 days';
  if (newestSuccessAt === undefined) return { allowedMs, basis, stale: true };
  const ageMs = Math.max(0, now - newestSuccessAt);
  return { ageMs, allowedMs, basis, stale: ageMs > allowedMs };
}

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}
