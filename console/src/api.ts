import { signedHeaders } from './signer.js';

/** What the person entered: kept in sessionStorage, never in the URL. */
export type Session = {
  projectId: string;
  auth: { kind: 'token'; token: string } | { kind: 'aksk'; accessKey: string; secretKey: string };
};

/** An answer that was not a success, as a person should read it. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }

  /** The credentials were refused (or do not reach this project). */
  get refused(): boolean {
    return this.status === 401 || this.status === 403;
  }

  /** "GES.7003: The graph is not running. (HTTP 400)" */
  get readable(): string {
    return `${this.code ? `${this.code}: ` : ''}${this.message} (HTTP ${this.status})`;
  }
}

const STATUS_TEXT: Record<number, string> = {
  401: 'The credentials were not accepted.',
  403: 'These credentials may not do this.',
  404: 'Not found.',
  500: 'The service failed to answer.',
  503: 'The service is unavailable right now.',
};

/** v1 `{errorCode, errorMessage}`, v2 `{error_code, error_msg}`, or anything else. */
export function apiError(status: number, text: string): ApiError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const c = body.errorCode ?? body.error_code;
    const m = body.errorMessage ?? body.error_msg ?? body.message;
    if (typeof c === 'string') code = c;
    if (typeof m === 'string') message = m;
  } catch {
    // not JSON: fall back on the status
  }
  return new ApiError(status, code, message ?? STATUS_TEXT[status] ?? `The request failed (HTTP ${status}).`);
}

export type Graph = {
  id: string;
  name: string;
  status: string;
  createdTime?: string;
  vertexNum?: number;
  edgeNum?: number;
};

export type Backup = {
  id: string;
  name: string;
  backupMethod: string;
  graphId: string;
  graphName: string;
  status: string;
  startTimestamp: number;
  startTime?: string;
  endTimestamp?: number;
  endTime?: string;
  size?: number;
  duration?: number;
};

export type Job = {
  jobId: string;
  status: string;
  jobName: string;
  relatedGraph?: string;
  beginTime?: string;
  endTime?: string;
  jobProgress?: number;
  jobDetail?: unknown;
  progressDetail?: unknown;
  failReason?: string;
  errorCode?: string;
  errorMessage?: string;
};

export type Policy = {
  enabled: boolean;
  schedule: string;
  keepAuto: number;
  nextRunTime?: string;
  lastRun?: { time: string; result: string; jobId?: string; reason?: string };
};

export type BackupFile = { name: string; size: number; download_link: string; link_expired_time?: string };

type Request = { method?: string; query?: Record<string, string | number | undefined>; body?: unknown };

/** The public HTTP API of the service, as this person (v1 tree, camelCase; v2 where only v2 has it). */
export function createApi(session: Session, where: { base: string; host: string }) {
  const project = encodeURIComponent(session.projectId);

  async function call<T>(path: string, { method = 'GET', query, body }: Request = {}): Promise<T> {
    const search = Object.entries(query ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const url = `${where.base}${path}${search ? `?${search}` : ''}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (text !== undefined) headers['content-type'] = 'application/json';
    if (session.auth.kind === 'token') headers['x-auth-token'] = session.auth.token;
    else
      Object.assign(
        headers,
        await signedHeaders({ method, url, host: where.host, body: text ?? '' }, session.auth),
      );
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: text });
    } catch {
      throw new ApiError(0, undefined, 'The service could not be reached. Check the network and try again.');
    }
    const answer = await response.text();
    if (!response.ok) throw apiError(response.status, answer);
    return (answer ? JSON.parse(answer) : {}) as T;
  }

  const graphs = `/v1.0/${project}/graphs`;
  const graph = (g: string) => `${graphs}/${encodeURIComponent(g)}`;
  return {
    projectId: session.projectId,
    listGraphs: async () =>
      (await call<{ graphs?: Graph[] }>(graphs, { query: { offset: 0, limit: 100 } })).graphs ?? [],
    getGraph: async (g: string) => (await call<{ graph: Graph }>(graph(g))).graph,
    /** Newest first: the project's, or one graph's. */
    listBackups: async (g?: string) =>
      (
        await call<{ backupList?: Backup[] }>(g ? `${graph(g)}/backups` : `${graphs}/backups`, {
          query: { offset: 0, limit: 100 },
        })
      ).backupList ?? [],
    listJobs: async () =>
      (await call<{ jobList?: Job[] }>(`${graphs}/jobs`, { query: { offset: 0, limit: 50 } })).jobList ?? [],
    job: (g: string, j: string) => call<Job>(`${graph(g)}/jobs/${encodeURIComponent(j)}/status`),
    backUp: (g: string) =>
      call<{ jobId: string; backupId: string }>(`${graph(g)}/backups`, { method: 'POST' }),
    deleteBackup: (g: string, b: string) =>
      call<unknown>(`${graph(g)}/backups/${encodeURIComponent(b)}`, { method: 'DELETE' }),
    backupFiles: (g: string, b: string) =>
      call<{ bucket?: string; files?: BackupFile[] }>(
        `/v2/${project}/graphs/${encodeURIComponent(g)}/backup-files`,
        {
          query: { backup_id: b },
        },
      ),
    stop: (g: string) =>
      call<{ jobId: string }>(`${graph(g)}/action`, { method: 'POST', query: { action_id: 'stop' } }),
    start: (g: string, backupId?: string) =>
      call<{ jobId: string }>(`${graph(g)}/action`, {
        method: 'POST',
        query: { action_id: 'start' },
        ...(backupId && { body: { graph_backup_id: backupId } }),
      }),
    /** undefined: the graph has no policy (GES.7049). */
    policy: async (g: string) => {
      try {
        return await call<Policy>(`${graph(g)}/backup-policy`);
      } catch (error) {
        if (error instanceof ApiError && error.code === 'GES.7049') return undefined;
        throw error;
      }
    },
    putPolicy: (g: string, policy: { enabled: boolean; schedule: string; keepAuto: number }) =>
      call<Policy>(`${graph(g)}/backup-policy`, { method: 'PUT', body: policy }),
  };
}

export type Api = ReturnType<typeof createApi>;

/**
 * A validation message of the API, `The request body or header is invalid. keepAuto: Too big...;
 * schedule: ...`, split by the field it names (what names no field is under `''`).
 */
export function fieldErrors(message: string, fields: readonly string[]): Record<string, string> {
  const errors: Record<string, string> = {};
  const add = (key: string, text: string) => {
    errors[key] = errors[key] ? `${errors[key]}; ${text}` : text;
  };
  for (const part of message.split('; ')) {
    const match = /^(?:(.*?[.!?])\s+)?([A-Za-z_][A-Za-z0-9_.]*): (.*)$/.exec(part);
    const field = match?.[2] === 'keep_auto' ? 'keepAuto' : match?.[2];
    if (match && field && fields.includes(field)) add(field, match[3] ?? '');
    else add('', part);
  }
  return errors;
}
