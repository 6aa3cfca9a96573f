import { appendFileSync } from 'node:fs';

/**
 * A figure a test measured, for RELIABILITY.md: appended as a JSON line to the file named by
 * `RELIABILITY_FIGURES` when `npm run reliability` runs the tests; nothing otherwise. A figure is
 * reported, never asserted on (timings belong to reports, not to pass/fail).
 */
export function recordFigure(name: string, value: unknown, unit?: string): void {
  const file = process.env.RELIABILITY_FIGURES;
  if (file) appendFileSync(file, `${JSON.stringify({ name, value, unit })}\n`);
}
