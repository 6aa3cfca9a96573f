import { inject } from 'vitest';
import type { Role } from '../../lib/core/roles.js';
import { signRequest } from '../../lib/core/sdk-signature.js';
import { issueToken } from '../../local/auth.js';
import { mismatch } from './openapi-check.js';

// biome-ignore lint/suspicious/noExplicitAny: a reply body is whatever JSON the server sent; tests assert its shape
export type Reply = { status: number; body: any };

export type Credentials = { accessKey: string; secretKey: string };
/**
 * An AK/SK signature instead of a token, made as GES's SDK makes it (every header sent is signed,
 * `host` included); `at` dates it (now by default), `tamper` changes the signed headers afterwards.
 */
export type Signing = {
  credentials: Credentials;
  at?: number;
  tamper?: (headers: Record<string, string>) => Record<string, string>;
};

/**
 * A GES client over HTTP: what a team's own tooling would send. Every answer is checked against
 * openapi.json (the schema of its route for its status, see openapi-check.ts): one the document does
 * not describe fails the test, naming the route, the status and what did not match.
 */
export async function call(
  method: string,
  path: string,
  options: {
    body?: unknown;
    token?: string | null;
    headers?: Record<string, string>;
    sign?: Signing;
  } = {},
): Promise<Reply> {
  let headers: Record<string, string> = { ...options.headers };
  if (options.token !== null && !options.sign) {
    headers['x-auth-token'] = options.token ?? (await tokenFor('e2e'));
  }
  if (options.token) headers['x-auth-token'] = options.token;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  if (options.sign) headers = signed(options.sign, method, path, headers, body ?? '');
  const response = await fetch(inject('baseUrl') + path, {
    method,
    headers,
    ...(body !== undefined && { body }),
  });
  const text = await response.text();
  let reply: unknown = text;
  try {
    reply = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const wrong = mismatch(method.toUpperCase(), path, response.status, reply);
  if (wrong) throw new Error(wrong);
  return { status: response.status, body: reply };
}

/** The headers of `path?query` signed for the local stack (its host is the one fetch sends). */
export function signed(
  signing: Signing,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string>,
  body: string | Uint8Array,
): Record<string, string> {
  const q = pathAndQuery.indexOf('?');
  const host = new URL(inject('baseUrl')).host;
  const all = signRequest(
    signing.credentials,
    {
      method,
      path: q < 0 ? pathAndQuery : pathAndQuery.slice(0, q),
      query: q < 0 ? '' : pathAndQuery.slice(q + 1),
      headers: { ...headers, host },
      body,
    },
    signing.at ?? Date.now(),
  );
  return signing.tamper ? signing.tamper(all) : all;
}

const keys = new Map<string, Promise<Credentials>>();
/** An access key of the project with the role, issued once through the admin route. */
export function accessKeyFor(projectId: string, role: Role = 'operator'): Promise<Credentials> {
  const key = `${projectId}/${role}`;
  if (!keys.has(key)) keys.set(key, issueAccessKey(projectId, role));
  return keys.get(key) as Promise<Credentials>;
}

/** A new access key, through the admin route (v1), with an admin token. */
export async function issueAccessKey(projectId: string, role: Role): Promise<Credentials> {
  const created = await call('POST', `/v1.0/${projectId}/access-keys`, {
    token: await tokenFor(projectId, 'admin'),
    body: { role, description: 'e2e' },
  });
  if (created.status !== 200) throw new Error(`create access key: ${JSON.stringify(created)}`);
  return { accessKey: created.body.credential.access, secretKey: created.body.credential.secret };
}

const tokens = new Map<string, Promise<string>>();
export function tokenFor(projectId: string, role: Role = 'admin'): Promise<string> {
  const key = `${projectId}/${role}`;
  if (!tokens.has(key)) tokens.set(key, issueToken({ projectId, roles: [role] }));
  return tokens.get(key) as Promise<string>;
}

/** Polls the job center, as a client would, until the job ends. */
export async function waitForJob(projectId: string, graphId: string, jobId: string, tree = 'v1.0') {
  const token = await tokenFor(projectId);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await call('GET', `/${tree}/${projectId}/graphs/${graphId}/jobs/${jobId}/status`, {
      token,
    });
    if (body.status === 'success' || body.status === 'failed') return body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not end: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let n = 0;
/** A graph with the given content, made through the API. */
export async function graphWith(
  projectId: string,
  content: { vertices?: unknown[]; edges?: unknown[] } = {},
): Promise<{ graphId: string; name: string }> {
  const token = await tokenFor(projectId);
  const name = `g${Date.now().toString(36)}_${++n}`;
  const created = await call('POST', `/v1.0/${projectId}/graphs`, { token, body: { graph: { name } } });
  if (created.status !== 200) throw new Error(`create graph: ${JSON.stringify(created)}`);
  const data = `/ges/v1.0/${projectId}/graphs/${name}`;
  if (content.vertices?.length) {
    const r = await call('POST', `${data}/vertices/action?action_id=batch-add`, {
      token,
      body: { vertices: content.vertices },
    });
    if (r.status !== 200) throw new Error(`add vertices: ${JSON.stringify(r)}`);
  }
  if (content.edges?.length) {
    const r = await call('POST', `${data}/edges/action?action_id=batch-add`, {
      token,
      body: { edges: content.edges },
    });
    if (r.status !== 200) throw new Error(`add edges: ${JSON.stringify(r)}`);
  }
  return { graphId: created.body.id, name };
}
