import type { SizeResult } from './data.js';
import { compare } from './report.js';

/** Issue #13's targets: ratios against a baseline measured in the same run, and two absolute limits. */
export const TARGETS = {
  apiLatency: 1.3,
  snapshot: 0.8,
  restore: 0.8,
  drop: 0.8,
  rssGrowth: 1.5,
  bundleBytes: 1_000_000,
  initMs: 150,
};

/** The largest size against the one nearest a tenth of it (100k against 1M by default). */
export function rssGrowth(sizes: SizeResult[]) {
  const to = sizes.at(-1);
  const smaller = sizes.slice(0, -1);
  if (!to || !smaller.length) return undefined;
  const distance = (s: SizeResult) => Math.abs(Math.log(s.size / (to.size / 10)));
  const from = smaller.reduce((a, b) => (distance(b) < distance(a) ? b : a));
  return {
    from,
    to,
    backup: compare('', '', to.snapshot.rssBytes, from.snapshot.rssBytes, TARGETS.rssGrowth, false),
    restore: compare('', '', to.restore.rssBytes, from.restore.rssBytes, TARGETS.rssGrowth, false),
  };
}
