import { inject } from 'vitest';
import type { Role } from '../../lib/http/authenticate.js';
import { issueToken } from '../../local/auth.js';
import { mismatch } from './openapi-check.js';

// biome-ignore lint/suspicious/noExplicitAny: a reply body is whatever JSON the server sent; tests assert its shape
export type Reply = { status: number; body: any };

/**
 * A GES client over HTTP: what a team's own tooling would send. Every answer is checked against
 * openapi.json (the schema of its route for its status, see openapi-check.ts): one the document does
 * not describe fails the test, naming the route, the status and what did not match.
 */
export async function call(
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers['x-auth-token'] = options.token ?? (await tokenFor('e2e'));
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(inject('baseUrl') + path, {
    method,
    headers,
    ...(options.body !== undefined && {
      body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const wrong = mismatch(method.toUpperCase(), path, response.status, body);
  if (wrong) throw new Error(wrong);
  return { status: response.status, body };
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
