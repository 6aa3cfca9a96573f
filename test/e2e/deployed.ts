/**
 * The deployed stage the end-to-end suite runs against: BASE_URL, when it is an http(s) URL.
 * Anything else is no target: Vitest itself sets BASE_URL to Vite's base, `/`, when it is unset.
 */
export function deployedBaseUrl(): string | undefined {
  const url = process.env.BASE_URL ?? '';
  return /^https?:\/\//i.test(url) ? url.replace(/\/+$/, '') : undefined;
}
