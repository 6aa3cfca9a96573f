/** The clock is a dependency so that tests can move it; production uses the system's. */
export type Clock = { now(): number };
export const systemClock: Clock = { now: () => Date.now() };

/** GES `*Time` strings: UTC `yyyy-MM-ddTHH:mm:ss`, no zone suffix. */
export function utcTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19);
}

/** `yyyyMMddHHmmss` in UTC, as in GES backup names. */
export function compactUtc(epochMs: number): string {
  return utcTime(epochMs).replace(/[-T:]/g, '');
}
