import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type Api, ApiError, createApi, type Session } from './api.js';
import { GraphPage } from './graph.js';
import { JobsPage, loadOverview, OverviewPage } from './overview.js';
import { ErrorBox, html, isActive, useNow, usePoll } from './ui.js';

const STORAGE_KEY = 'ges-console-session';
const LAST_PROJECT_KEY = 'ges-console-project';

/** Where the API is: the console lives at <api>/console/. */
function where() {
  return { base: location.pathname.replace(/\/console(\/.*)?$/, ''), host: location.host };
}

function readSession(): Session | undefined {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Session | null;
    return value?.projectId && value.auth ? value : undefined;
  } catch {
    return undefined;
  }
}

type Route = { page: 'overview' } | { page: 'jobs' } | { page: 'graph'; graphId: string };

function parseRoute(hash: string): Route {
  const graph = /^#\/graphs\/([^/]+)$/.exec(hash);
  if (graph?.[1]) return { page: 'graph', graphId: decodeURIComponent(graph[1]) };
  if (hash === '#/jobs') return { page: 'jobs' };
  return { page: 'overview' };
}

function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return useMemo(() => parseRoute(hash), [hash]);
}

function CredentialsForm({
  notice,
  onSignedIn,
}: {
  notice?: string;
  onSignedIn: (session: Session) => void;
}) {
  const [kind, setKind] = useState<'token' | 'aksk'>('token');
  const [projectId, setProjectId] = useState(sessionStorage.getItem(LAST_PROJECT_KEY) ?? '');
  const [token, setToken] = useState('');
  const [accessKey, setAccessKey] = useState('');
  const [secretKey, setSecretKey] = useState('');
  const [error, setError] = useState<unknown>();
  const [checking, setChecking] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    const session: Session = {
      projectId: projectId.trim(),
      auth:
        kind === 'token'
          ? { kind, token: token.trim() }
          : { kind, accessKey: accessKey.trim(), secretKey: secretKey.trim() },
    };
    if (!session.projectId) return setError(new Error('Enter the project id.'));
    if (kind === 'token' && !token.trim()) return setError(new Error('Enter a token.'));
    if (kind === 'aksk' && (!accessKey.trim() || !secretKey.trim()))
      return setError(new Error('Enter the access key and the secret key.'));
    setChecking(true);
    try {
      // One call proves the credentials before anything is shown.
      await createApi(session, where()).listGraphs();
      onSignedIn(session);
    } catch (e) {
      setError(e);
    } finally {
      setChecking(false);
    }
  };

  return html`<main class="signin" id="main">
    <form class="panel signin-form" onSubmit=${submit} aria-labelledby="signin-title" novalidate>
      <h1 id="signin-title">GES backup console</h1>
      <p class="sub">Sign in to a project. Credentials stay in this browser tab only.</p>
      ${notice && html`<div class="alert alert-warn" role="alert">${notice}</div>`}
      <div class="field">
        <label for="project-id">Project id</label>
        <input id="project-id" ref=${first} autocomplete="off" spellcheck="false" value=${projectId}
          onInput=${(e: Event) => setProjectId((e.target as HTMLInputElement).value)} />
      </div>
      <fieldset class="field segmented">
        <legend>Sign in with</legend>
        <input type="radio" id="kind-token" name="kind" value="token" checked=${kind === 'token'} onChange=${() => setKind('token')} />
        <label for="kind-token">Token</label>
        <input type="radio" id="kind-aksk" name="kind" value="aksk" checked=${kind === 'aksk'} onChange=${() => setKind('aksk')} />
        <label for="kind-aksk">Access key</label>
      </fieldset>
      ${
        kind === 'token'
          ? html`<div class="field">
              <label for="token">Token (X-Auth-Token)</label>
              <textarea id="token" rows="4" spellcheck="false" autocomplete="off" value=${token}
                onInput=${(e: Event) => setToken((e.target as HTMLTextAreaElement).value)}></textarea>
            </div>`
          : html`<div class="field">
                <label for="access-key">Access key (AK)</label>
                <input id="access-key" autocomplete="username" spellcheck="false" value=${accessKey}
                  onInput=${(e: Event) => setAccessKey((e.target as HTMLInputElement).value)} />
              </div>
              <div class="field">
                <label for="secret-key">Secret key (SK)</label>
                <input id="secret-key" type="password" autocomplete="current-password" value=${secretKey}
                  onInput=${(e: Event) => setSecretKey((e.target as HTMLInputElement).value)} />
                <p class="help">Requests are signed in the browser (SDK-HMAC-SHA256); the secret key is never sent.</p>
              </div>`
      }
      <${ErrorBox} error=${error} title=${error instanceof ApiError && error.refused ? 'Refused.' : undefined} />
      <button type="submit" class="button button-primary button-wide" disabled=${checking}>
        ${checking ? 'Checking…' : 'Sign in'}
      </button>
    </form>
  </main>`;
}

/** The page's routes live in the hash: the skip link moves focus without changing it. */
function skipToContent(event: Event) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

function Shell({
  api,
  onSignOut,
  onRefused,
}: {
  api: Api;
  onSignOut: () => void;
  onRefused: (e: ApiError) => void;
}) {
  const route = useRoute();
  const now = useNow();
  const [announcement, setAnnouncement] = useState('');
  // The notice goes after a while; the live region keeps the text for screen readers.
  const [notice, setNotice] = useState('');
  useEffect(() => {
    setNotice(announcement);
    const timer = setTimeout(() => setNotice(''), 8000);
    return () => clearTimeout(timer);
  }, [announcement]);
  const onError = useCallback(
    (error: unknown) => {
      if (error instanceof ApiError && error.refused) onRefused(error);
    },
    [onRefused],
  );
  const overview = usePoll(
    () => loadOverview(api),
    api.projectId,
    (data) => (data?.jobs.some((j) => isActive(j.status)) ? 1000 : 5000),
    onError,
  );
  const heading = useRef<HTMLHeadingElement>(null);
  const routeKey = route.page === 'graph' ? `graph/${route.graphId}` : route.page;
  // A new page: focus its heading, so that keyboard and screen reader users start at the top.
  useEffect(() => {
    heading.current?.focus();
  }, [routeKey]);

  const graphName =
    route.page === 'graph'
      ? (overview.data?.graphs.find((g) => g.id === route.graphId)?.name ?? 'Graph')
      : undefined;
  const title = route.page === 'jobs' ? 'Jobs' : route.page === 'graph' ? graphName : 'Overview';
  useEffect(() => {
    document.title = `${title} · GES backup console`;
  }, [title]);

  return html`
    <a class="skip" href="#main" onClick=${skipToContent}>Skip to content</a>
    <header class="topbar">
      <div class="topbar-inner">
        <a class="brand" href="#/">GES backups</a>
        <nav aria-label="Main">
          <a href="#/" aria-current=${route.page === 'overview' ? 'page' : undefined}>Overview</a>
          <a href="#/jobs" aria-current=${route.page === 'jobs' ? 'page' : undefined}>Jobs</a>
        </nav>
        <div class="who">
          <span class="project" title="Project">Project <strong>${api.projectId}</strong></span>
          <button type="button" class="button button-small button-on-dark" onClick=${onSignOut}>Sign out</button>
        </div>
      </div>
    </header>
    <main id="main" class="content" tabindex="-1">
      <div class="page-head">
        ${route.page === 'graph' && html`<a class="back" href="#/">← All graphs</a>`}
        <h1 ref=${heading} tabindex="-1">${title}</h1>
        <p class="updated">
          ${overview.data ? `Updated ${new Date(overview.data.loadedAt).toISOString().slice(11, 19)} UTC` : ''}
          <button type="button" class="button button-small" onClick=${overview.reload}>Refresh</button>
        </p>
      </div>
      ${
        notice &&
        html`<div class="alert alert-ok notice" aria-hidden="true">
          <span>${notice}</span>
          <button type="button" class="button button-small" onClick=${() => setNotice('')}>Dismiss</button>
        </div>`
      }
      ${overview.error && !(overview.error instanceof ApiError && overview.error.refused) && html`<${ErrorBox} error=${overview.error} title="Refreshing failed:" />`}
      ${route.page === 'overview' && html`<${OverviewPage} data=${overview.data} now=${now} error=${overview.error} />`}
      ${route.page === 'jobs' && html`<${JobsPage} data=${overview.data} now=${now} />`}
      ${
        route.page === 'graph' &&
        html`<${GraphPage}
          key=${route.graphId}
          api=${api}
          graphId=${route.graphId}
          overview=${overview.data}
          reloadOverview=${overview.reload}
          onError=${onError}
          announce=${setAnnouncement}
          now=${now}
        />`
      }
      <div class="visually-hidden" role="status" aria-live="polite">${announcement}</div>
    </main>
  `;
}

function App() {
  const [session, setSession] = useState<Session | undefined>(readSession);
  const [notice, setNotice] = useState<string | undefined>();
  const api = useMemo(() => session && createApi(session, where()), [session]);

  const signIn = (next: Session) => {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    sessionStorage.setItem(LAST_PROJECT_KEY, next.projectId);
    setNotice(undefined);
    setSession(next);
  };
  const signOut = useCallback((message?: string) => {
    sessionStorage.removeItem(STORAGE_KEY);
    setNotice(message);
    setSession(undefined);
  }, []);
  const onRefused = useCallback(
    (error: ApiError) => signOut(`The service refused the credentials: ${error.readable}. Sign in again.`),
    [signOut],
  );

  if (!api) return html`<${CredentialsForm} notice=${notice} onSignedIn=${signIn} />`;
  return html`<${Shell} key=${session?.projectId} api=${api} onSignOut=${() => signOut()} onRefused=${onRefused} />`;
}

export function start(root: HTMLElement): void {
  render(html`<${App} />`, root);
}
