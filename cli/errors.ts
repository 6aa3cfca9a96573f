/** The exit codes of `ges-backup` (the README has the table). */
export const Exit = {
  ok: 0,
  usage: 1,
  api: 2,
  auth: 3,
  notFound: 4,
  unavailable: 5,
  verifyFailed: 6,
  jobFailed: 7,
  interrupted: 130,
} as const;
export type ExitCode = (typeof Exit)[keyof typeof Exit];

/** An error the CLI reports and exits with: `code` is the GES error code when the service gave one. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code?: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export const usage = (message: string) => new CliError(message, Exit.usage);

/** GES codes that mean "no such thing" although they come as HTTP 400. */
const NOT_FOUND_CODES = new Set(['GES.7000', 'GES.7024', 'GES.7049', 'GES.8301']);

/** Maps an HTTP answer that is not 2xx to the exit code: auth, not found, service, or another API error. */
export function exitCodeFor(status: number, code: string | undefined): ExitCode {
  if (status === 401 || status === 403 || code === 'APIGW.0301' || code === 'GES.7041') return Exit.auth;
  if (status === 404 || (code !== undefined && NOT_FOUND_CODES.has(code))) return Exit.notFound;
  if (status >= 500) return Exit.unavailable;
  return Exit.api;
}
