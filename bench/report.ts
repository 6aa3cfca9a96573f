/** Small helpers for timing and for printing the results as plain-text tables. */

export const now = () => performance.now();

/** Runs `fn` and returns its result with the wall time it took, in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = now();
  const value = await fn();
  return { value, ms: now() - start };
}

/** The p-th percentile (0–100) of some samples, nearest-rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

/** A measured figure beside its baseline, and whether the ratio meets its target. */
export type Comparison = {
  what: string;
  unit: string;
  value: number;
  baseline: number | undefined;
  /** value / baseline, or a ratio given directly (RSS growth) */
  ratio: number | undefined;
  /** e.g. "≤ 1.30×" */
  target: string;
  met: boolean | undefined;
  /** how far the figure is from its target, relative: -0.25 is a quarter short of it */
  off: number;
  note?: string;
};

/** `higherIsBetter`: throughput (target is a floor on the ratio); else latency, size, time (a ceiling). */
export function compare(
  what: string,
  unit: string,
  value: number,
  baseline: number,
  limit: number,
  higherIsBetter: boolean,
  note?: string,
): Comparison {
  const ratio = value / baseline;
  return {
    what,
    unit,
    value,
    baseline,
    ratio,
    target: `${higherIsBetter ? '≥' : '≤'} ${limit.toFixed(2)}×`,
    met: higherIsBetter ? ratio >= limit : ratio <= limit,
    off: ratio / limit - 1,
    ...(note && { note }),
  };
}

/** A figure held to an absolute limit (bundle size, init time): no baseline, the limit is the target. */
export function limitCheck(
  what: string,
  unit: string,
  value: number,
  limit: number,
  note?: string,
): Comparison {
  return {
    what,
    unit,
    value,
    baseline: undefined,
    ratio: value / limit,
    target: `< ${fmt(limit)} ${unit}`,
    met: value < limit,
    off: value / limit - 1,
    ...(note && { note }),
  };
}

/** Three significant figures at most, thousands grouped: readable at a glance. */
export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '–';
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export const ratio = (r: number | undefined) =>
  r === undefined || Number.isNaN(r) ? '–' : `${r.toFixed(2)}×`;

/** A table with aligned columns; numbers (and ratios) right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = (s: string) => /^[-\d.,]+(×| ms| s| MB| kB)?$/.test(s) || s === '–';
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return numeric(c) && i > 0 ? c.padStart(w) : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function comparisonTable(rows: Comparison[]): string {
  return table(
    ['measure', 'value', 'baseline', 'ratio', 'target', 'met'],
    rows.map((c) => [
      c.what,
      `${fmt(c.value)} ${c.unit}`.trim(),
      c.baseline === undefined ? '–' : `${fmt(c.baseline)} ${c.unit}`.trim(),
      ratio(c.ratio),
      c.target,
      verdict(c),
    ]),
  );
}

/** yes, or NO with how far off its target the figure is. */
export function verdict(c: Comparison): string {
  if (c.met === undefined) return '–';
  if (c.met) return 'yes';
  const off = Math.round(c.off * 100);
  return `NO (${off > 0 ? '+' : ''}${off}%)${c.note ? ` ${c.note}` : ''}`;
}

export const mb = (bytes: number) => bytes / 1_000_000;
