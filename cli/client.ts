import { readConfig } from './config.js';
import { CliError, Exit, exitCodeFor, usage } from './errors.js';
import { signRequest } from './sign.js';

export type Credentials = { token: string } | { ak: string; sk: string } | undefined;

export type Connection = { endpoint: string; project: string; credentials: Credentials };

export type GlobalOptions = {
  endpoint?: string;
  token?: string;
  project?: string;
  profile?: string;
  json?: boolean;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:3000';

/** Flags first, then GES_ENDPOINT / GES_TOKEN / GES_PROJECT, then the profile, then the default. */
export async function resolveConnection(options: GlobalOptions, env = process.env): Promise<Connection> {
  const profileName = options.profile ?? env.GES_PROFILE ?? 'default';
  const profile = (await readConfig()).profiles[profileName];
  if ((options.profile || env.GES_PROFILE) && !profile) {
    throw usage(
      `no profile "${profileName}" (write one with: ges-backup configure --profile ${profileName})`,
    );
  }
  const endpoint = (options.endpoint ?? env.GES_ENDPOINT ?? profile?.endpoint ?? DEFAULT_ENDPOINT).replace(
    /\/+$/,
    '',
  );
  const project = options.project ?? env.GES_PROJECT ?? profile?.project;
  if (!project)
    throw usage('no project: pass --project, set GES_PROJECT, or write a profile (ges-backup configure)');
  const token = options.token ?? env.GES_TOKEN ?? profile?.token;
  let credentials: Credentials;
  if (token) credentials = { token };
  else if (profile?.ak && profile.sk) credentials = { ak: profile.ak, sk: profile.sk };
  return { endpoint, project, credentials };
}

// biome-ignore lint/suspicious/noExplicitAny: the service's JSON, read by the commands that know its shape
export type Json = any;

/** The GES error of a body: v1 `errorCode/errorMessage`, v2 `error_code/error_msg`. */
export function gesError(body: unknown): { code?: string; message?: string } {
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  const code = b.errorCode ?? b.error_code;
  const message = b.errorMessage ?? b.error_msg ?? b.message;
  return {
    ...(typeof code === 'string' && { code }),
    ...(typeof message === 'string' && { message }),
  };
}

/** The management API of one project, over HTTP. */
export class Api {
  constructor(readonly connection: Connection) {}

  get project(): string {
    return this.connection.project;
  }

  /** `path` starts after the tree's project: `graphs/G` → `/v1.0/P/graphs/G` (v2: `/v2/P/...`). */
  async request(
    method: string,
    path: string,
    options: {
      tree?: 'v1.0' | 'v2';
      query?: Record<string, string | number | undefined>;
      body?: unknown;
    } = {},
  ): Promise<Json> {
    const url = new URL(
      `${this.connection.endpoint}/${options.tree ?? 'v1.0'}/${encodeURIComponent(this.project)}/${path}`,
    );
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const credentials = this.connection.credentials;
    if (credentials && 'token' in credentials) headers['x-auth-token'] = credentials.token;
    else if (credentials) {
      headers = signRequest({ method, url, headers, ...(body !== undefined && { body }) }, credentials);
      headers['x-project-id'] = this.project;
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body !== undefined && { body }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach ${this.connection.endpoint}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
        Exit.unavailable,
      );
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // not JSON: keep the text
    }
    // A 2xx body may hold errorCode too (a failed job says why it failed): only the status decides.
    if (!response.ok) {
      const { code, message } = gesError(parsed);
      const detail =
        message ?? (typeof parsed === 'string' && parsed ? parsed.slice(0, 200) : response.statusText);
      throw new CliError(detail, exitCodeFor(response.status, code), code, response.status);
    }
    return parsed;
  }

  /** Every page of a list: `key` names the array in each answer. */
  async all(path: string, key: string, query: Record<string, string | undefined> = {}): Promise<Json[]> {
    const items: Json[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await this.request('GET', path, { query: { ...query, offset, limit: 100 } });
      const got: Json[] = page[key] ?? [];
      items.push(...got);
      if (got.length < 100) return items;
    }
  }

  /** A graph by id or by name: the list of the project says which. Unknown: the service's own GES.7000. */
  async graph(idOrName: string): Promise<Json> {
    const graphs = await this.all('graphs', 'graphs');
    const found = graphs.find((g) => g.id === idOrName) ?? graphs.find((g) => g.name === idOrName);
    if (found) return found;
    if (!UUID.test(idOrName)) {
      throw new CliError(
        `The graph does not exist or has been deleted: ${idOrName}`,
        Exit.notFound,
        'GES.7000',
      );
    }
    // Ask the service by id, so that the answer (GES.7000, or the graph) is its own.
    return (await this.request('GET', `graphs/${encodeURIComponent(idOrName)}`)).graph;
  }

  async graphId(idOrName: string): Promise<string> {
    return (await this.graph(idOrName)).id;
  }

  job(graphId: string, jobId: string): Promise<Json> {
    return this.request('GET', `graphs/${graphId}/jobs/${encodeURIComponent(jobId)}/status`);
  }
}
